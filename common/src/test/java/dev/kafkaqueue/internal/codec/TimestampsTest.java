package dev.kafkaqueue.internal.codec;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The hand-written timestamp reader agrees with {@link Instant#parse}, or declines. */
class TimestampsTest {

    @Test
    void agreesWithInstantParseOnWhatInstantWrites() {
        SplittableRandom random = new SplittableRandom(42);
        for (int i = 0; i < 100_000; i++) {
            Instant instant = Instant.ofEpochSecond(random.nextLong(-62_000_000_000L, 253_000_000_000L),
                    random.nextInt(4) == 0 ? 0 : random.nextInt(1_000_000_000));
            String text = instant.toString();
            assertThat(parse(text)).as(text).isEqualTo(Instant.parse(text));
        }
    }

    @Test
    void readerThatRemembersTheMinuteAgreesWithInstantParse() {
        Timestamps.Reader reader = new Timestamps.Reader();
        SplittableRandom random = new SplittableRandom(7);
        Instant at = Instant.parse("2026-11-24T09:00:00Z");
        for (int i = 0; i < 100_000; i++) {
            // Mostly a few milliseconds apart, as a stream's records are; now and then far away, then back.
            at = random.nextInt(100) == 0 ? Instant.ofEpochSecond(random.nextLong(0, 253_000_000_000L))
                    : at.plusNanos(random.nextLong(0, 5_000_000_000L));
            String text = at.toString();
            byte[] bytes = text.getBytes(StandardCharsets.US_ASCII);
            assertThat(reader.parse(bytes, 0, bytes.length)).as(text).isEqualTo(Instant.parse(text));
        }
    }

    @Test
    void writerThatRemembersTheMinuteWritesWhatInstantWrites() {
        Timestamps.Writer writer = new Timestamps.Writer();
        SplittableRandom random = new SplittableRandom(3);
        Instant at = Instant.parse("1969-12-31T23:58:00Z");
        for (int i = 0; i < 100_000; i++) {
            // Mostly a few milliseconds apart, as puts are; now and then far away (before 1970 too), then back.
            at = random.nextInt(100) == 0 ? Instant.ofEpochSecond(random.nextLong(-62_000_000_000L, 253_000_000_000L))
                    : at.plusNanos(random.nextInt(4) == 0 ? random.nextLong(0, 5_000) * 1_000_000
                            : random.nextLong(0, 5_000_000_000L));
            String text = at.toString();
            int length = writer.length(at);
            if (text.startsWith("+") || text.startsWith("-")) {
                assertThat(length).as(text).isEqualTo(-1);
                continue;
            }
            byte[] out = new byte[length + 2];
            assertThat(writer.write(at, out, 1)).isEqualTo(length + 1);
            assertThat(new String(out, 1, length, StandardCharsets.US_ASCII)).isEqualTo(text);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"2026-11-24T09:00:60Z", "2026-11-24T09:00:0aZ", "2026-11-24T09:00:00.Z",
        "2026-11-24T09:00:00,5Z", "2026-11-24T09:00:00.5+", "2026-11-24T09:00:00.12345678901Z"})
    void readerDeclinesBadSecondsInTheMinuteItRemembers(String text) {
        Timestamps.Reader reader = new Timestamps.Reader();
        byte[] minute = "2026-11-24T09:00:00Z".getBytes(StandardCharsets.US_ASCII);
        assertThat(reader.parse(minute, 0, minute.length)).isEqualTo(Instant.parse("2026-11-24T09:00:00Z"));
        byte[] bytes = text.getBytes(StandardCharsets.US_ASCII);
        assertThat(reader.parse(bytes, 0, bytes.length)).isNull();
    }

    @ParameterizedTest
    @ValueSource(strings = {"yesterday", "2026-11-24 09:00:00Z", "2026-02-30T09:00:00Z", "2026-11-24T24:00:00Z",
        "2026-11-24T09:00:00.Z", "2026-11-24T09:00:00.1234567890Z", "2026-11-24T09:00:00+01:00",
        "+12026-11-24T09:00:00Z", "2026-11-24T23:59:60Z", "2026-1a-24T09:00:00Z"})
    void declinesAnythingElse(String text) {
        assertThat(parse(text)).isNull();
    }

    @Test
    void readsOnlyTheBytesItIsGiven() {
        byte[] framed = "\"2026-11-24T09:00:00.5Z\"".getBytes(StandardCharsets.US_ASCII);
        assertThat(Timestamps.parseCanonical(framed, 1, framed.length - 1))
                .isEqualTo(Instant.parse("2026-11-24T09:00:00.5Z"));
    }

    private static Instant parse(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        return Timestamps.parseCanonical(bytes, 0, bytes.length);
    }
}
