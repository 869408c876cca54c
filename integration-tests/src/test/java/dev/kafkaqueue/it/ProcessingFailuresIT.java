package dev.kafkaqueue.it;

import static dev.kafkaqueue.it.TestQueue.EXIT_TIMEOUT;
import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kafkaqueue.cli.ExitCode;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalTime;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Processing that throws, through the consumer's hidden test hook {@code --fail-items ID[:TIMES],...}: a failing item
 * is retried with a doubling backoff up to {@code --max-retries}, then dead-lettered; a failure that clears in time is
 * applied, not dead-lettered; and when the dead-letter write itself fails, the consumer stops with exit code 1
 * without committing that record, so a later consumer finds it again and nothing is lost.
 */
class ProcessingFailuresIT {

    /** A service log line: "HH:mm:ss.SSS LEVEL Logger - message". */
    private static final Pattern LOG_TIME = Pattern.compile("^(\\d{2}:\\d{2}:\\d{2}\\.\\d{3}) ");
    private static final String INJECTED = IllegalStateException.class.getName();

    @RegisterExtension
    final TestQueue queue = new TestQueue();

    @TempDir
    Path dir;

    @Test
    void aPermanentFailureIsRetriedWithBackoffUpToTheLimitThenDeadLettered() {
        int items = 20;
        String run = run();
        Path applied = dir.resolve("applied.log");
        ServiceProcess producer = queue.producer().count(items).partitions(2).runId(run).run();
        assertThat(producer.awaitExit(EXIT_TIMEOUT)).as(producer.output()).isZero();

        // 3 and 11 always fail; 9 fails 3 times: exactly one more than --max-retries 2 allows.
        ServiceProcess consumer = queue.consumer().appliedLog(applied)
                .flag("--fail-items", "3,11,9:3").flag("--max-retries", "2").flag("--retry-backoff", "100ms")
                .start();

        assertThat(consumer.awaitExit(EXIT_TIMEOUT)).as(consumer.output()).isZero();
        assertThat(Consumer.doneReason(consumer)).isEqualTo("all partitions closed by poison pills");
        List<Long> failed = List.of(3L, 9L, 11L);
        assertThat(Consumer.ids(consumer)).as("the rest is processed")
                .containsExactlyInAnyOrderElementsOf(range(0, items, failed));
        for (long id : failed) {
            List<LocalTime> attempts = attemptTimes(consumer, id);
            assertThat(attempts).as("item %d: 3 attempts (1 + --max-retries 2), then dead-lettered", id).hasSize(3);
            assertThat(Duration.between(attempts.get(0), attempts.get(1))).as("first backoff of item %d", id)
                    .isGreaterThanOrEqualTo(Duration.ofMillis(100));
            assertThat(Duration.between(attempts.get(1), attempts.get(2))).as("second backoff (doubled) of item %d", id)
                    .isGreaterThanOrEqualTo(Duration.ofMillis(200));
        }

        List<DeadLetterTopic.DeadLetter> deadLetters = DeadLetterTopic.read(queue);
        assertThat(deadLetters).extracting(DeadLetterTopic.DeadLetter::itemId)
                .containsExactlyInAnyOrderElementsOf(failed);
        Map<Long, Producer.Produced> produced = Producer.produced(producer).stream()
                .collect(Collectors.toMap(Producer.Produced::id, p -> p));
        for (DeadLetterTopic.DeadLetter d : deadLetters) {
            Producer.Produced source = produced.get(d.itemId());
            assertThat(d.sourceTopic()).isEqualTo(queue.topic());
            assertThat(d.source()).as("source of item %d", d.itemId())
                    .isEqualTo(new DeadLetterTopic.Source(source.partition(), source.offset()));
            assertThat(d.errorClass()).isEqualTo(INJECTED);
            assertThat(d.errorMessage()).isEqualTo("injected failure for item " + d.itemId());
            assertThat(d.key()).as("the original key").isEqualTo(Long.toString(d.itemId()).getBytes());
        }
        assertThat(consumer.line(Consumer.DONE).text())
                .startsWith("Consumer done: " + (items - failed.size()) + " items processed, 3 dead-lettered");
        assertLagZero();
        Oracle.Result oracle = new Oracle().acked(run, producer).consumers(consumer).appliedLog(applied)
                .deadLetters(queue).check("processing-permanent-failure");
        report("permanent", items, oracle);
        assertThat(oracle.lost()).as(oracle.toString()).isZero();
        assertThat(oracle.dupApplied()).as(oracle.toString()).isZero();
        assertThat(oracle.applied()).isEqualTo(items - failed.size());
    }

    @Test
    void aFailureThatClearsWithinTheRetriesIsAppliedNotDeadLettered() {
        int items = 10;
        String run = run();
        Path applied = dir.resolve("applied.log");
        ServiceProcess producer = queue.producer().count(items).runId(run).run();
        assertThat(producer.awaitExit(EXIT_TIMEOUT)).as(producer.output()).isZero();

        // 2 fails once; 5 fails 3 times, as many as --max-retries 3 allows: its 4th attempt succeeds.
        ServiceProcess consumer = queue.consumer().appliedLog(applied)
                .flag("--fail-items", "2:1,5:3").flag("--max-retries", "3").flag("--retry-backoff", "50ms")
                .start();

        assertThat(consumer.awaitExit(EXIT_TIMEOUT)).as(consumer.output()).isZero();
        assertThat(attemptTimes(consumer, 2)).as("item 2 failed once").hasSize(1);
        assertThat(attemptTimes(consumer, 5)).as("item 5 failed 3 times").hasSize(3);
        assertThat(Consumer.ids(consumer)).as("every item applied once, in order")
                .containsExactlyElementsOf(range(0, items, List.of()));
        assertThat(consumer.line(Consumer.DONE).text()).startsWith("Consumer done: 10 items processed, 0 dead-lettered");
        assertThat(consumer.stderr()).as("nothing dead-lettered")
                .noneMatch(line -> line.text().contains("goes to"));
        assertThat(DeadLetterTopic.read(queue)).as("the dead-letter topic stays empty (never created)").isEmpty();
        assertLagZero();
        Oracle.Result oracle = new Oracle().acked(run, producer).consumers(consumer).appliedLog(applied)
                .deadLetters(queue).check("processing-failure-clears");
        report("clears", items, oracle);
        assertThat(oracle.lost()).as(oracle.toString()).isZero();
        assertThat(oracle.dupApplied()).as(oracle.toString()).isZero();
        assertThat(oracle.applied()).isEqualTo(items);
    }

    /** Ways to make the dead-letter write fail for real on the shared broker, and to put it right again. */
    enum DeadLetterFault {
        /**
         * The topic is missing and the broker will not create it: a topic whose name differs only in '_' for '.'
         * exists, so auto-creation is refused, as it is on a broker with auto.create.topics.enable=false. The
         * dead-letter producer waits for metadata up to --connect-timeout and times out.
         */
        MISSING_AND_NOT_CREATABLE("not present in metadata") {
            @Override
            void inflict(Admin admin, String deadLetters) throws Exception {
                admin.createTopics(List.of(new NewTopic(blocker(deadLetters), 1, (short) 1))).all().get(30, SECONDS);
            }

            @Override
            void repair(Admin admin, String deadLetters) throws Exception {
                admin.deleteTopics(List.of(blocker(deadLetters))).all().get(30, SECONDS);
                admin.createTopics(List.of(new NewTopic(deadLetters, 1, (short) 1))).all().get(30, SECONDS);
            }

            private static String blocker(String deadLetters) {
                return deadLetters.replace('.', '_');
            }
        },
        /** The topic exists but takes no record this big: the broker rejects the write at once. */
        REJECTS_THE_RECORD("RecordTooLargeException") {
            @Override
            void inflict(Admin admin, String deadLetters) throws Exception {
                admin.createTopics(List.of(new NewTopic(deadLetters, 1, (short) 1)
                        .configs(Map.of(TopicConfig.MAX_MESSAGE_BYTES_CONFIG, "64")))).all().get(30, SECONDS);
            }

            @Override
            void repair(Admin admin, String deadLetters) throws Exception {
                ConfigResource topic = new ConfigResource(ConfigResource.Type.TOPIC, deadLetters);
                Collection<AlterConfigOp> ops = List.of(new AlterConfigOp(
                        new ConfigEntry(TopicConfig.MAX_MESSAGE_BYTES_CONFIG, ""), AlterConfigOp.OpType.DELETE));
                admin.incrementalAlterConfigs(Map.of(topic, ops)).all().get(30, SECONDS);
            }
        };

        /** What the consumer's error says about this fault. */
        final String symptom;

        DeadLetterFault(String symptom) {
            this.symptom = symptom;
        }

        abstract void inflict(Admin admin, String deadLetters) throws Exception;

        abstract void repair(Admin admin, String deadLetters) throws Exception;
    }

    @ParameterizedTest
    @EnumSource(DeadLetterFault.class)
    void whenTheDeadLetterWriteFailsTheOffsetIsNotCommittedAndTheConsumerStops(DeadLetterFault fault)
            throws Exception {
        int items = 10;
        long failing = 4;
        String run = run();
        String deadLetters = DeadLetterTopic.defaultName(queue.topic());
        Path applied = dir.resolve("applied.log");
        ServiceProcess producer = queue.producer().count(items).partitions(1).runId(run).run();
        assertThat(producer.awaitExit(EXIT_TIMEOUT)).as(producer.output()).isZero();
        long failingOffset = Producer.produced(producer).stream().filter(p -> p.id() == failing).findFirst()
                .orElseThrow().offset();
        try (Admin admin = queue.broker().admin()) {
            fault.inflict(admin, deadLetters);
        }

        ServiceProcess first = failingConsumer(applied).start();

        assertThat(first.awaitExit(Duration.ofSeconds(60))).as("stops instead of looping\n" + first.output())
                .isEqualTo(ExitCode.FAILURE);
        String failure = first.line(Pattern.compile("^Consumer failed: ")).text();
        System.out.printf("DLT_WRITE_FAILED fault=%s message=%s%n", fault, failure);
        assertThat(failure).as("names the record and the dead-letter topic")
                .contains("cannot write " + queue.topic() + "-0@" + failingOffset + " to dead-letter topic "
                        + deadLetters)
                .contains(fault.symptom);
        assertThat(Consumer.ids(first)).as("items before the failing one were processed")
                .containsExactlyElementsOf(range(0, failing, List.of()));
        assertThat(queue.lag().committed()).as("committed up to, not past, the record that could not be dead-lettered")
                .isEqualTo(Map.of(0, failingOffset));

        try (Admin admin = queue.broker().admin()) {
            fault.repair(admin, deadLetters);
        }
        ServiceProcess second = failingConsumer(applied).start();

        assertThat(second.awaitExit(EXIT_TIMEOUT)).as(second.output()).isZero();
        assertThat(Consumer.ids(second)).as("the restart resumes at the failing record and does the rest")
                .containsExactlyElementsOf(range(failing + 1, items, List.of()));
        List<DeadLetterTopic.DeadLetter> dlt = DeadLetterTopic.read(queue);
        assertThat(dlt).extracting(DeadLetterTopic.DeadLetter::itemId).containsExactly(failing);
        assertThat(dlt.get(0).source()).isEqualTo(new DeadLetterTopic.Source(0, failingOffset));
        assertThat(dlt.get(0).errorClass()).isEqualTo(INJECTED);
        assertLagZero();
        Oracle.Result oracle = new Oracle().acked(run, producer).consumers(first, second).appliedLog(applied)
                .deadLetters(queue).check("dlt-write-fails-" + fault.name().toLowerCase(Locale.ROOT));
        report("dlt-write-fails-" + fault.name().toLowerCase(Locale.ROOT), items, oracle);
        assertThat(oracle.lost()).as(oracle.toString()).isZero();
        assertThat(oracle.dupApplied()).as(oracle.toString()).isZero();
        assertThat(oracle.deadLettered()).isEqualTo(1);
    }

    private Consumer failingConsumer(Path applied) {
        // --connect-timeout bounds each dead-letter write too: a missing topic fails in 5 s, not Kafka's 60 s.
        return queue.consumer().appliedLog(applied).flag("--fail-items", "4").flag("--max-retries", "1")
                .flag("--retry-backoff", "50ms").flag("--connect-timeout", "5s");
    }

    private void assertLagZero() {
        ServiceProcess join = queue.join().timeout("30s").run();
        assertThat(join.awaitExit(EXIT_TIMEOUT)).as(join.output()).isZero();
        Lag.Snapshot lag = queue.lag();
        assertThat(lag.total()).isZero();
        assertThat(lag.committed()).isEqualTo(lag.ends());
    }

    /** When each failed attempt of item {@code id} was logged, by the service's own clock, in order. */
    private static List<LocalTime> attemptTimes(ServiceProcess consumer, long id) {
        Pattern attempt = Pattern.compile("Item " + id + " failed( \\(attempt \\d+ of \\d+\\)| \\d+ times, goes to)");
        return consumer.stderr().stream().map(ServiceProcess.Line::text).filter(text -> attempt.matcher(text).find())
                .map(text -> {
                    Matcher m = LOG_TIME.matcher(text);
                    if (!m.find()) {
                        throw new AssertionError("no time on log line: " + text);
                    }
                    return LocalTime.parse(m.group(1));
                }).toList();
    }

    private static List<Long> range(long from, long to, List<Long> except) {
        return LongStream.range(from, to).boxed().filter(id -> !except.contains(id)).toList();
    }

    private static String run() {
        return "failures-" + UUID.randomUUID().toString().substring(0, 8);
    }

    private static void report(String name, int items, Oracle.Result oracle) {
        System.out.printf("PROCESSING_FAILURES case=%s injected=%d good_processed=%d dead_lettered=%d lost=%d "
                + "dup_applied=%d%n", name, items, oracle.applied(), oracle.deadLettered(), oracle.lost(),
                oracle.dupApplied());
    }
}
