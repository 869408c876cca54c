package dev.kafkaqueue.internal;

/** Counts as people read them: "1 item", "3 partitions". */
public final class Words {

    private Words() {
    }

    /** "1 item", "2 items": the count with its noun. */
    public static String items(long n) {
        return plural(n, "item");
    }

    /** {@code n} and {@code noun}, with an "s" unless n is 1: "1 pill", "3 partitions". */
    public static String plural(long n, String noun) {
        return n + " " + noun + (n == 1 ? "" : "s");
    }
}
