package dev.kafkaqueue.internal.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class RecordCodecTest {

    private final RecordCodec codec = new RecordCodec();
    private final Instant now = Instant.parse("2026-11-24T09:00:00Z");

    @ParameterizedTest
    @ValueSource(longs = {0, 7, 10, 99, 1_000_000, Long.MAX_VALUE})
    void anItemsKeyIsItsIdInDecimalAscii(long id) {
        assertThat(new String(RecordCodec.key(id), StandardCharsets.US_ASCII)).isEqualTo(Long.toString(id));
    }

    @Test
    void aNegativeIdHasNoKey() {
        assertThatThrownBy(() -> RecordCodec.key(-1)).hasMessageContaining("-1");
    }

    @Test
    void itemsAndPillsSurviveTheRoundTrip() throws Exception {
        QueueMessage item = new QueueMessage.Item(3, "item-3", "r1", now);
        QueueMessage pill = new QueueMessage.PoisonPill("r1", now);

        assertThat(codec.decode(codec.encode(item))).isEqualTo(item);
        assertThat(codec.decode(codec.encode(pill))).isEqualTo(pill);
    }

    @Test
    void fieldsInAnyOrderAndAnyIsoInstantAreReadToo() throws Exception {
        String json = "{\"producedAt\":\"2026-11-24T10:00:00+01:00\",\"runId\":\"r1\",\"payload\":\"p\","
                + "\"id\":7,\"type\":\"item\",\"schema\":1}";

        assertThat(codec.decode(json.getBytes(StandardCharsets.UTF_8)))
                .isEqualTo(new QueueMessage.Item(7, "p", "r1", now.plusSeconds(0)));
    }

    @Test
    void aDuplicatedFieldIsStillRejected() {
        String json = "{\"schema\":1,\"type\":\"poison-pill\",\"runId\":\"a\",\"runId\":\"b\","
                + "\"producedAt\":\"2026-11-24T09:00:00Z\"}";

        assertThatThrownBy(() -> codec.decode(json.getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(UnreadableRecordException.class).hasMessageContaining("runId");
    }

    @Test
    void aPillCannotBeMistakenForAnItem() {
        String json = new String(codec.encode(new QueueMessage.PoisonPill("r1", now)), StandardCharsets.UTF_8);

        assertThat(json).contains("\"type\":\"poison-pill\"").doesNotContain("\"id\"");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "not JSON                 | hello                                                                  | not JSON",
        "JSON array               | [1,2]                                                                  | expected a JSON object, got array",
        "missing schema           | {\"type\":\"item\"}                                                    | missing field 'schema'",
        "unknown schema version   | {\"schema\":2,\"type\":\"item\"}                                       | unknown schema version 2",
        "unknown control type     | {\"schema\":1,\"type\":\"shutdown\",\"runId\":\"r\",\"producedAt\":\"2026-11-24T09:00:00Z\"} | unknown type 'shutdown'",
        "id as text               | {\"schema\":1,\"type\":\"item\",\"id\":\"3\",\"payload\":\"p\",\"runId\":\"r\",\"producedAt\":\"2026-11-24T09:00:00Z\"} | field 'id' must be an integer",
        "unexpected field         | {\"schema\":1,\"type\":\"poison-pill\",\"runId\":\"r\",\"producedAt\":\"2026-11-24T09:00:00Z\",\"id\":1} | unexpected field 'id'",
        "bad timestamp            | {\"schema\":1,\"type\":\"poison-pill\",\"runId\":\"r\",\"producedAt\":\"yesterday\"} | not an ISO-8601 instant",
        "trailing garbage         | {\"schema\":1,\"type\":\"poison-pill\",\"runId\":\"r\",\"producedAt\":\"2026-11-24T09:00:00Z\"} x | not JSON",
    })
    void rejectsWhatItDoesNotUnderstandAndSaysWhy(String description, String value, String reason) {
        assertThatThrownBy(() -> codec.decode(value.getBytes(StandardCharsets.UTF_8)))
                .as(description)
                .isInstanceOf(UnreadableRecordException.class)
                .hasMessageContaining(reason);
    }

    @Test
    void rejectsNullEmptyAndInvalidUtf8() {
        assertThatThrownBy(() -> codec.decode(null)).hasMessageContaining("null value");
        assertThatThrownBy(() -> codec.decode(new byte[0])).hasMessageContaining("empty value");
        byte[] invalidUtf8 = {'{', '"', 's', (byte) 0xC3, (byte) 0x28, '"', ':', '1', '}'};
        assertThatThrownBy(() -> codec.decode(invalidUtf8)).isInstanceOf(UnreadableRecordException.class);
    }
}
