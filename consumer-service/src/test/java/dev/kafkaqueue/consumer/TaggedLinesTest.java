package dev.kafkaqueue.consumer;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A command's output, line by line, each tagged with its item. */
class TaggedLinesTest {

    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);

    @Test
    void eachLineIsTaggedAndALastLineWithoutNewlineGetsOne() throws Exception {
        TaggedLines lines = new TaggedLines(out, "42", true);

        lines.copy(input("first\nsecond\r\n\nno newline"));

        assertThat(text()).isEqualTo("42\tfirst\n42\tsecond\r\n42\t\n42\tno newline\n");
        assertThat(lines.tail()).isEqualTo("first\nsecond\n\nno newline");
        assertThat(lines.lastLine()).isEqualTo("no newline");
    }

    @Test
    void nothingPrintedIsNothingWritten() throws Exception {
        TaggedLines lines = new TaggedLines(out, "7", true);

        lines.copy(input(""));

        assertThat(text()).isEmpty();
        assertThat(lines.tail()).isEmpty();
    }

    @Test
    void aVeryLongLineGoesOutInTaggedPieces() throws Exception {
        String line = "x".repeat(TaggedLines.MAX_LINE * 2 + 10);

        new TaggedLines(out, "1", false).copy(input(line + "\n"));

        List<String> written = text().lines().toList();
        assertThat(written).hasSize(3).allMatch(piece -> piece.startsWith("1\tx"));
        assertThat(written.get(0)).hasSize(2 + TaggedLines.MAX_LINE);
        assertThat(String.join("", written.stream().map(piece -> piece.substring(2)).toList())).isEqualTo(line);
    }

    @Test
    void theTailKeepsTheLastLinesWithinItsCap() throws Exception {
        StringBuilder input = new StringBuilder();
        for (int i = 0; i < 100; i++) {
            input.append("line ").append(i).append(' ').append("y".repeat(150)).append('\n');
        }
        TaggedLines lines = new TaggedLines(out, "3", true);

        lines.copy(input(input.toString()));

        assertThat(lines.tail()).hasSizeLessThanOrEqualTo(TaggedLines.TAIL_CHARS).startsWith("...")
                .endsWith("line 99 " + "y".repeat(150)).doesNotContain("line 79 ");
    }

    private static ByteArrayInputStream input(String text) {
        return new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8));
    }

    private String text() {
        return bytes.toString(StandardCharsets.UTF_8);
    }
}
