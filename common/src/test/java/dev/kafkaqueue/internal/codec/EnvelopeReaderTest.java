package dev.kafkaqueue.internal.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The fast path reads what the codec writes, and never accepts what the strict reader would not. */
class EnvelopeReaderTest {

    private final RecordCodec codec = new RecordCodec();
    private final EnvelopeReader reader = new EnvelopeReader();

    @ParameterizedTest
    @ValueSource(strings = {"item-3", "", "ünïcödé ✓", "日本語", "with space"})
    void readsWhatTheCodecWrites(String payload) {
        QueueMessage item = new QueueMessage.Item(3, payload, "run-1", Instant.parse("2026-11-24T09:00:00.123Z"));
        QueueMessage pill = new QueueMessage.PoisonPill("run-1", Instant.parse("2026-11-24T09:00:00Z"));

        assertThat(reader.read(codec.encode(item))).isEqualTo(item);
        assertThat(reader.read(codec.encode(pill))).isEqualTo(pill);
    }

    @Test
    void leavesEscapesToTheStrictReader() throws UnreadableRecordException {
        // Jackson writes a character outside the BMP as an escaped surrogate pair.
        QueueMessage item = new QueueMessage.Item(3, "quote \" and 👍", "run-1", Instant.now());

        assertThat(reader.read(codec.encode(item))).isNull();
        assertThat(codec.decode(codec.encode(item))).isEqualTo(item);
    }

    @Test
    void itemsOfOneRunShareTheRunIdString() {
        Instant at = Instant.now();
        var first = (QueueMessage.Item) reader.read(codec.encode(new QueueMessage.Item(1, "a", "run-1", at)));
        var second = (QueueMessage.Item) reader.read(codec.encode(new QueueMessage.Item(2, "b", "run-1", at)));

        assertThat(second.runId()).isSameAs(first.runId());
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "{\"schema\":1,\"type\":\"item\",\"id\":3,\"payload\":\"a\\\"b\",\"runId\":\"r\",\"producedAt\":\"2026-11-24T09:00:00Z\"}",
        "{\"schema\":1, \"type\":\"item\",\"id\":3,\"payload\":\"p\",\"runId\":\"r\",\"producedAt\":\"2026-11-24T09:00:00Z\"}",
        "{\"schema\":1,\"type\":\"item\",\"id\":03,\"payload\":\"p\",\"runId\":\"r\",\"producedAt\":\"2026-11-24T09:00:00Z\"}",
        "{\"schema\":1,\"type\":\"item\",\"id\":-3,\"payload\":\"p\",\"runId\":\"r\",\"producedAt\":\"2026-11-24T09:00:00Z\"}",
        "{\"schema\":1,\"type\":\"item\",\"id\":3,\"payload\":\"p\",\"runId\":\"r\",\"producedAt\":\"2026-11-24T09:00:00Z\"} ",
        "{\"schema\":1,\"type\":\"item\",\"id\":3,\"payload\":\"p\",\"runId\":\"r\",\"producedAt\":\"2026-11-24T09:00:00+01:00\"}",
        "{\"schema\":1,\"type\":\"poison-pill\",\"runId\":\"r\",\"producedAt\":\"2026-11-24T09:00:00Z\",\"id\":1}",
        "{\"schema\":1,\"type\":\"item\",\"id\":1234567890123456789,\"payload\":\"p\",\"runId\":\"r\",\"producedAt\":\"2026-11-24T09:00:00Z\"}",
    })
    void declinesAnyOtherLayoutForTheStrictReader(String json) {
        assertThat(reader.read(json.getBytes(StandardCharsets.UTF_8))).isNull();
    }

    @Test
    void declinesMalformedUtf8() {
        byte[] value = codec.encode(new QueueMessage.Item(3, "é", "r", Instant.now()));
        int accent = indexOf(value, (byte) 0xC3);
        value[accent + 1] = '(';

        assertThat(reader.read(value)).isNull();
        assertThatThrownBy(() -> codec.decode(value)).isInstanceOf(UnreadableRecordException.class);
    }

    /**
     * Damages encoded messages at random (a byte changed, dropped or added, the value cut short) and checks that
     * whatever the fast path accepts, the strict reader accepts as the same message.
     */
    @Test
    void neverAcceptsWhatTheStrictReaderRejectsOrReadsItDifferently() {
        SplittableRandom random = new SplittableRandom(7);
        byte[] alphabet = "{}[]\":,\\ 0123456789-.TZabcdeiklmnoprstuxyzé\u0001".getBytes(StandardCharsets.UTF_8);
        int accepted = 0;
        for (int i = 0; i < 200_000; i++) {
            QueueMessage original = random.nextBoolean()
                    ? new QueueMessage.Item(random.nextLong(0, 1_000_000), "p" + random.nextInt(100), "r" + (i % 3),
                            Instant.ofEpochSecond(1_700_000_000L + random.nextInt(1_000_000), random.nextInt(1000)))
                    : new QueueMessage.PoisonPill("r" + (i % 3), Instant.ofEpochSecond(1_800_000_000L));
            byte[] value = damage(codec.encode(original), random, alphabet);
            QueueMessage fast = reader.read(value);
            if (fast == null) {
                continue;
            }
            accepted++;
            QueueMessage strict;
            try {
                strict = StrictJson.decode(value);
            } catch (UnreadableRecordException e) {
                throw new AssertionError("the fast path accepted what the strict reader rejects: "
                        + new String(value, StandardCharsets.UTF_8), e);
            }
            assertThat(fast).as(new String(value, StandardCharsets.UTF_8)).isEqualTo(strict);
        }
        assertThat(accepted).as("damaged messages still readable, such as another id").isGreaterThan(1000);
    }

    private static byte[] damage(byte[] value, SplittableRandom random, byte[] alphabet) {
        int at = random.nextInt(value.length);
        byte replacement = alphabet[random.nextInt(alphabet.length)];
        return switch (random.nextInt(4)) {
            case 0 -> {
                byte[] copy = value.clone();
                copy[at] = replacement;
                yield copy;
            }
            case 1 -> {
                byte[] copy = new byte[value.length - 1];
                System.arraycopy(value, 0, copy, 0, at);
                System.arraycopy(value, at + 1, copy, at, value.length - at - 1);
                yield copy;
            }
            case 2 -> {
                byte[] copy = new byte[value.length + 1];
                System.arraycopy(value, 0, copy, 0, at);
                copy[at] = replacement;
                System.arraycopy(value, at, copy, at + 1, value.length - at);
                yield copy;
            }
            default -> Arrays.copyOf(value, at);
        };
    }

    private static int indexOf(byte[] value, byte wanted) {
        for (int i = 0; i < value.length; i++) {
            if (value[i] == wanted) {
                return i;
            }
        }
        throw new AssertionError("not found");
    }
}
