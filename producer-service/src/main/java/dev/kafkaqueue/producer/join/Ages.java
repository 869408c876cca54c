package dev.kafkaqueue.producer.join;

import java.util.Locale;
import java.util.OptionalLong;

/** How long the oldest unfinished item has waited, as join shows it: {@code 850ms}, {@code 12.3s}, {@code 4m05s}. */
final class Ages {

    private Ages() {
    }

    /** {@code prefix} and the age, or nothing when there is none. */
    static String text(OptionalLong millis, String prefix) {
        return millis.isPresent() ? prefix + text(millis.getAsLong()) : "";
    }

    static String text(long millis) {
        if (millis < 1_000) {
            return millis + "ms";
        }
        if (millis < 60_000) {
            return String.format(Locale.ROOT, "%.1fs", millis / 1000.0);
        }
        long seconds = millis / 1000;
        if (seconds < 3600) {
            return String.format(Locale.ROOT, "%dm%02ds", seconds / 60, seconds % 60);
        }
        return String.format(Locale.ROOT, "%dh%02dm", seconds / 3600, seconds % 3600 / 60);
    }
}
