package dev.kafkaqueue.internal.work;

/** A getter found the queue closed: {@link #why()} says by what (the pills, an immediate shutdown, a close). */
public final class QueueClosed extends Exception {

    private static final long serialVersionUID = 1L;

    QueueClosed(String why) {
        super(why, null, false, false);
    }

    /** What closed it, as a sentence a person reads. */
    public String why() {
        return getMessage();
    }
}
