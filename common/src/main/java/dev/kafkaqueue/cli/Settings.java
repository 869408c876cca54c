package dev.kafkaqueue.cli;

import java.time.Duration;
import java.util.OptionalInt;

/**
 * Checks shared by the services' settings records. Each failure is an {@link InvalidSettingException} naming the flag,
 * the value and what is allowed.
 */
public final class Settings {

    private Settings() {
    }

    /** A topic or group name: required, and legal for Kafka. */
    public static String requireName(String flag, String env, String value) {
        if (value == null || value.isBlank()) {
            throw new InvalidSettingException(flag + " is required (or set " + env + ")");
        }
        if (!value.matches("[a-zA-Z0-9._-]{1,249}")) {
            throw new InvalidSettingException(flag + "='" + value
                    + "' is not a valid name: use 1 to 249 of the characters a-z A-Z 0-9 . _ -");
        }
        return value;
    }

    /** An integer that may not be negative. */
    public static int requireNonNegative(String flag, int value) {
        return (int) requireNonNegative(flag, (long) value);
    }

    /** A number that may not be negative. */
    public static long requireNonNegative(String flag, long value) {
        if (value < 0) {
            throw new InvalidSettingException(flag + "=" + value + " is not allowed: it must be 0 or more");
        }
        return value;
    }

    /** An optional TCP port: absent, or 0 (any free port) to 65535. */
    public static OptionalInt port(String flag, Integer value) {
        if (value == null) {
            return OptionalInt.empty();
        }
        if (value < 0 || value > 65_535) {
            throw new InvalidSettingException(flag + "=" + value + " is not allowed: use 0 (any free port) to 65535");
        }
        return OptionalInt.of(value);
    }

    /** A duration above zero. */
    public static Duration requirePositive(String flag, Duration value) {
        if (value == null || value.isZero() || value.isNegative()) {
            throw new InvalidSettingException(flag + "=" + text(value) + " is not allowed: it must be above zero");
        }
        return value;
    }

    /** A duration of zero or more. */
    public static Duration requireNonNegative(String flag, Duration value) {
        if (value == null || value.isNegative()) {
            throw new InvalidSettingException(flag + "=" + text(value) + " is not allowed: it must be 0 or more");
        }
        return value;
    }

    /** A duration as people write it on the command line: {@code 0s}, {@code 200ms}, {@code 1500ms}, {@code 30s}. */
    public static String text(Duration value) {
        if (value == null) {
            return "(none)";
        }
        long millis = value.toMillis();
        return millis % 1000 == 0 ? millis / 1000 + "s" : millis + "ms";
    }
}
