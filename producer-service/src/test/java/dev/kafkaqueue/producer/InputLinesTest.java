package dev.kafkaqueue.producer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** --input's reader: lines, their numbers, and every way a line can fail to be an item. */
class InputLinesTest {

    @Test
    void textLinesAreTheirTextWithoutTheLineEnd() throws Exception {
        assertThat(texts("a\nb\r\n\n\u00e9t\u00e9\nno newline at the end", ProducerSettings.Format.TEXT))
                .containsExactly("a", "b", "", "\u00e9t\u00e9", "no newline at the end");
        assertThat(texts("", ProducerSettings.Format.TEXT)).isEmpty();
        assertThat(texts("one\n", ProducerSettings.Format.TEXT)).containsExactly("one");
    }

    @Test
    void linesLongerThanTheBufferAreWhole() throws Exception {
        String longLine = "y".repeat(200_000);
        assertThat(texts(longLine + "\nshort\n", ProducerSettings.Format.TEXT)).containsExactly(longLine, "short");
    }

    @Test
    void theNumberIsTheLineNumber() throws Exception {
        InputLines lines = lines("a\nb\nc\n", ProducerSettings.Format.TEXT, 100);
        lines.next();
        lines.next();
        assertThat(lines.number()).isEqualTo(2);
    }

    @Test
    void jsonLinesMustEachBeOneValue() {
        assertBad("{\"a\":1}\n{\"a\":\n", ProducerSettings.Format.JSON, "line 2: not valid JSON: ");
        assertBad("1\n2 3\n", ProducerSettings.Format.JSON, "line 2: not valid JSON: ");
        assertBad("1\n\n", ProducerSettings.Format.JSON, "line 2: empty, not a JSON value");
        assertBad("null\n", ProducerSettings.Format.JSON, "line 1: null is not an item");
        assertBad("{\"a\":1,\"a\":2}\n", ProducerSettings.Format.JSON, "line 1: not valid JSON: Duplicate field 'a'");
    }

    @Test
    void aLineThatIsNotUtf8IsNamed() {
        byte[] bytes = {'o', 'k', '\n', 'b', 'a', (byte) 0xff, 'd', '\n'};
        assertThatThrownBy(() -> drain(new InputLines(new ByteArrayInputStream(bytes), ProducerSettings.Format.TEXT,
                100))).isInstanceOf(InputLines.BadLine.class).hasMessageStartingWith("line 2: not UTF-8 text");
    }

    @Test
    void aLineLongerThanAnyRecordIsRefusedWithoutReadingItAll() {
        // An endless line, as a binary file or a stream with no newline would be: reading stops past the limit.
        InputStream endless = new InputStream() {
            @Override
            public int read() {
                return 'z';
            }
        };
        assertThatThrownBy(() -> new InputLines(endless, ProducerSettings.Format.TEXT, 1000).next())
                .isInstanceOf(InputLines.BadLine.class)
                .hasMessage("line 1: more than 1000 bytes, more than the largest record the producer sends "
                        + "(max.request.size 1000); nothing of it was sent");
    }

    private static void assertBad(String input, ProducerSettings.Format format, String message) {
        assertThatThrownBy(() -> drain(lines(input, format, 1000))).isInstanceOf(InputLines.BadLine.class)
                .hasMessageStartingWith(message);
    }

    private static List<String> texts(String input, ProducerSettings.Format format) throws Exception {
        List<String> texts = new ArrayList<>();
        for (JsonNode node : drain(lines(input, format, 1_000_000))) {
            texts.add(node.isTextual() ? node.textValue() : node.toString());
        }
        return texts;
    }

    private static List<JsonNode> drain(InputLines lines) throws IOException, InputLines.BadLine {
        List<JsonNode> all = new ArrayList<>();
        for (JsonNode node = lines.next(); node != null; node = lines.next()) {
            all.add(node);
        }
        return all;
    }

    private static InputLines lines(String input, ProducerSettings.Format format, int max) {
        return new InputLines(new ByteArrayInputStream(input.getBytes(StandardCharsets.UTF_8)), format, max);
    }
}
