package dev.kafkaqueue.internal;

/**
 * A Kafka client setting given to the queue contradicts one its guarantees rest on, such as
 * {@code enable.auto.commit=true}: refused before any client is made.
 */
public final class ConflictingSettingException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    private final String key;
    private final String found;
    private final String required;

    ConflictingSettingException(String key, Object found, Object required) {
        super("config(\"" + key + "\", " + found + ") is not allowed: the queue requires " + key + "=" + required);
        this.key = key;
        this.found = String.valueOf(found);
        this.required = String.valueOf(required);
    }

    /** The setting's key. */
    public String key() {
        return key;
    }

    /** The value given. */
    public String found() {
        return found;
    }

    /** The value the queue requires. */
    public String required() {
        return required;
    }
}
