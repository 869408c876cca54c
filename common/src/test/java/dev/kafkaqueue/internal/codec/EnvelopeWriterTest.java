package dev.kafkaqueue.internal.codec;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The fast writer writes exactly Jackson's bytes, or leaves the message to Jackson. */
class EnvelopeWriterTest {

    private final RecordCodec codec = new RecordCodec();

    @Test
    void writesJacksonsBytesForPlainMessages() {
        SplittableRandom random = new SplittableRandom(11);
        for (int i = 0; i < 100_000; i++) {
            long second = random.nextLong(-62_000_000_000L, 253_000_000_000L);
            int nano = switch (random.nextInt(4)) {
                case 0 -> 0;
                case 1 -> random.nextInt(1000) * 1_000_000;
                case 2 -> random.nextInt(1_000_000) * 1_000;
                default -> random.nextInt(1_000_000_000);
            };
            Instant at = Instant.ofEpochSecond(second, nano);
            QueueMessage message = random.nextInt(5) == 0
                    ? new QueueMessage.PoisonPill("run-" + random.nextInt(), at)
                    : new QueueMessage.Item(random.nextLong(0, Long.MAX_VALUE >> random.nextInt(63)),
                            "item-" + random.nextInt(), "r" + i, at);
            byte[] fast = EnvelopeWriter.write(message);
            if (fast != null) {
                assertThat(new String(fast, StandardCharsets.UTF_8)).as(message.toString())
                        .isEqualTo(new String(StrictJson.encode(message), StandardCharsets.UTF_8));
            } else {
                assertThat(at.toString()).as("only years outside 0000-9999 are left to Jackson here")
                        .matches("^[+-].*");
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"quote \"", "back\\slash", "tab\t", "é", "日本", "👍", "\u007f"})
    void leavesTextThatNeedsEscapingOrIsNotAsciiToJackson(String payload) throws UnreadableRecordException {
        QueueMessage item = new QueueMessage.Item(1, payload, "r", Instant.now());

        assertThat(EnvelopeWriter.write(item)).isNull();
        assertThat(codec.decode(codec.encode(item))).isEqualTo(item);
    }
}
