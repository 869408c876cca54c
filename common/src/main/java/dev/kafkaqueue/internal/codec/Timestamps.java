package dev.kafkaqueue.internal.codec;

import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDate;
import java.util.Arrays;

/**
 * Reads and writes the queue's timestamps in {@code Instant#toString()}'s form, without the cost of a general ISO-8601
 * parser or formatter.
 */
final class Timestamps {

    private static final int[] POWERS_OF_TEN = {1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000,
        100_000_000, 1_000_000_000};

    /** {@code yyyy-MM-ddTHH:mm:ssZ}, before any fraction. */
    private static final int BASE_LENGTH = 20;
    /** {@code yyyy-MM-ddTHH:mm:}: the minute, before the seconds. */
    private static final int MINUTE_LENGTH = 17;
    /** {@link #minuteEpochSecond}'s answer for a minute that is not canonical. */
    private static final long NO_MINUTE = Long.MIN_VALUE;

    private Timestamps() {
    }

    /**
     * A minute's text ({@code yyyy-MM-ddTHH:mm:}) and its first epoch second: what the reader and the writer remember.
     * The writer's text is null for a minute {@code Instant#toString()} writes otherwise than with years 0000-9999.
     */
    private record Minute(byte[] text, long epochSecond) {
    }

    /**
     * Writes instants as {@code Instant#toString()} does, as ASCII bytes, remembering the text of the last minute
     * written ({@code yyyy-MM-ddTHH:mm:}): puts come milliseconds apart, so nearly every timestamp copies it and
     * writes only its seconds. Thread-safe.
     */
    static final class Writer {

        private volatile Minute last = new Minute(null, Long.MIN_VALUE); // no minute starts there

        /** How many bytes {@link #write} writes for {@code at}; -1 when its year is outside 0000-9999. */
        int length(Instant at) {
            if (minute(at).text == null) {
                return -1;
            }
            int fraction = fractionDigits(at.getNano());
            return BASE_LENGTH + (fraction == 0 ? 0 : 1 + fraction);
        }

        /** Writes {@code at} at {@code out[from]}, when {@link #length} is not -1; returns the index after it. */
        int write(Instant at, byte[] out, int from) {
            Minute minute = minute(at);
            System.arraycopy(minute.text, 0, out, from, MINUTE_LENGTH);
            int i = putDigits(out, from + MINUTE_LENGTH, at.getEpochSecond() - minute.epochSecond, 2);
            int fraction = fractionDigits(at.getNano());
            if (fraction > 0) {
                out[i++] = '.';
                i = putDigits(out, i, at.getNano() / POWERS_OF_TEN[9 - fraction], fraction);
            }
            out[i++] = 'Z';
            return i;
        }

        private Minute minute(Instant at) {
            long epochMinute = Math.floorDiv(at.getEpochSecond(), 60);
            Minute minute = last;
            if (minute.epochSecond != epochMinute * 60) {
                minute = new Minute(minuteText(epochMinute), epochMinute * 60);
                last = minute; // a benign race between threads
            }
            return minute;
        }

        private static byte[] minuteText(long epochMinute) {
            LocalDate date = LocalDate.ofEpochDay(Math.floorDiv(epochMinute, 1_440));
            if (date.getYear() < 0 || date.getYear() > 9999) {
                return null;
            }
            int minuteOfDay = Math.floorMod(epochMinute, 1_440);
            byte[] text = new byte[MINUTE_LENGTH];
            int i = putDigits(text, 0, date.getYear(), 4);
            text[i++] = '-';
            i = putDigits(text, i, date.getMonthValue(), 2);
            text[i++] = '-';
            i = putDigits(text, i, date.getDayOfMonth(), 2);
            text[i++] = 'T';
            i = putDigits(text, i, minuteOfDay / 60, 2);
            text[i++] = ':';
            i = putDigits(text, i, minuteOfDay % 60, 2);
            text[i] = ':';
            return text;
        }
    }

    /** The fraction digits {@code Instant#toString} prints: none, or 3, 6 or 9. */
    private static int fractionDigits(int nano) {
        if (nano == 0) {
            return 0;
        }
        return nano % 1_000_000 == 0 ? 3 : nano % 1_000 == 0 ? 6 : 9;
    }

    /**
     * Parses {@code Instant#toString()}'s own form, {@code yyyy-MM-ddTHH:mm:ss[.f{1,9}]Z}, from the ASCII bytes
     * {@code bytes[from, to)}; returns null for any other text, which the caller then hands to {@link Instant#parse}.
     * The same instant as {@code Instant.parse} either way.
     */
    static Instant parseCanonical(byte[] bytes, int from, int to) {
        if (!canonicalLayout(bytes, from, to)) {
            return null;
        }
        long minute = minuteEpochSecond(bytes, from);
        return minute == NO_MINUTE ? null : atMinute(bytes, from, to, minute);
    }

    /**
     * {@link #parseCanonical} that remembers the last minute it read ({@code yyyy-MM-ddTHH:mm:}): the records of a
     * stream were put seconds apart, so nearly every timestamp shares it and only its seconds are read. Thread-safe.
     */
    static final class Reader {

        private volatile Minute last = new Minute(new byte[MINUTE_LENGTH], 0); // zeros: never canonical

        Instant parse(byte[] bytes, int from, int to) {
            if (!canonicalLayout(bytes, from, to)) {
                return null;
            }
            Minute minute = last;
            if (Arrays.equals(bytes, from, from + MINUTE_LENGTH, minute.text, 0, MINUTE_LENGTH)) {
                return atMinute(bytes, from, to, minute.epochSecond);
            }
            long epochSecond = minuteEpochSecond(bytes, from);
            if (epochSecond == NO_MINUTE) {
                return null;
            }
            last = new Minute(Arrays.copyOfRange(bytes, from, from + MINUTE_LENGTH), epochSecond); // a benign race
            return atMinute(bytes, from, to, epochSecond);
        }
    }

    /** The separators, the length and the closing {@code Z} of the canonical form. */
    private static boolean canonicalLayout(byte[] bytes, int from, int to) {
        int length = to - from;
        return from >= 0 && to <= bytes.length && length >= 20 && length != 21 && length <= 30
                && bytes[from + 4] == '-' && bytes[from + 7] == '-' && bytes[from + 10] == 'T'
                && bytes[from + 13] == ':' && bytes[from + 16] == ':' && bytes[to - 1] == 'Z';
    }

    /** The first epoch second of the minute {@code yyyy-MM-ddTHH:mm} at {@code from}, or {@link #NO_MINUTE}. */
    private static long minuteEpochSecond(byte[] bytes, int from) {
        int year = digits(bytes, from, 4);
        int month = digits(bytes, from + 5, 2);
        int day = digits(bytes, from + 8, 2);
        int hour = digits(bytes, from + 11, 2);
        int minute = digits(bytes, from + 14, 2);
        if (year < 0 || month < 1 || day < 1 || hour < 0 || hour > 23 || minute < 0 || minute > 59) {
            return NO_MINUTE;
        }
        try {
            return LocalDate.of(year, month, day).toEpochDay() * 86_400 + hour * 3_600L + minute * 60L;
        } catch (DateTimeException e) {
            return NO_MINUTE;
        }
    }

    /** The instant at {@code ss[.f{1,9}]Z} into the minute; null when those bytes are not canonical. */
    private static Instant atMinute(byte[] bytes, int from, int to, long minuteEpochSecond) {
        int second = digits(bytes, from + 17, 2);
        if (second < 0 || second > 59) {
            return null; // a leap second, among others: Instant.parse knows what to do
        }
        int nano = 0;
        int length = to - from;
        if (length > 20) {
            int fraction = length - 21;
            if (bytes[from + 19] != '.') {
                return null;
            }
            int value = digits(bytes, from + 20, fraction);
            if (value < 0) {
                return null;
            }
            nano = value * POWERS_OF_TEN[9 - fraction];
        }
        return Instant.ofEpochSecond(minuteEpochSecond + second, nano);
    }

    /** The decimal number in {@code bytes[from, from + count)}, or -1 if a byte is not a digit. */
    private static int digits(byte[] bytes, int from, int count) {
        int value = 0;
        for (int i = from; i < from + count; i++) {
            byte c = bytes[i];
            if (c < '0' || c > '9') {
                return -1;
            }
            value = value * 10 + (c - '0');
        }
        return value;
    }

    /** Writes {@code value} as exactly {@code digits} decimal digits, zero-padded; returns the index after them. */
    static int putDigits(byte[] out, int at, long value, int digits) {
        for (int i = at + digits - 1; i >= at; i--) {
            out[i] = (byte) ('0' + value % 10);
            value /= 10;
        }
        return at + digits;
    }
}
