package dev.kafkaqueue.producer.join;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kafkaqueue.cli.ExitCode;
import dev.kafkaqueue.internal.lag.Join;
import dev.kafkaqueue.internal.lag.LagSnapshot;
import dev.kafkaqueue.internal.lag.PartitionLag;
import java.io.PrintStream;
import java.time.Instant;

/**
 * Join progress for scripts: one JSON object per line. Snapshots look like
 * <pre>{"event":"lag","time":"...","topic":"jobs","group":"workers","lag":3,"members":2,"partitions":[
 *   {"partition":0,"committed":5,"start":0,"end":7,"lag":2}, ...]}</pre>
 * and the last line is {@code {"event":"result","outcome":"DONE","exitCode":0,"reason":"lag 0 on all 3 partitions of
 * jobs for group workers","timeoutMs":60000,"lost":0,"lag":0,"records":23,"openPartitions":[]}}; every outcome
 * (DONE, TIMEOUT, LOST_WORK, STOPPED) carries its reason.
 */
final class JsonJoinDisplay implements JoinDisplay {

    private final ObjectMapper mapper = new ObjectMapper();
    private final PrintStream out;
    private final JoinSettings settings;

    JsonJoinDisplay(PrintStream out, JoinSettings settings) {
        this.out = out;
        this.settings = settings;
    }

    @Override
    public void progress(LagSnapshot snapshot) {
        long now = System.currentTimeMillis();
        ObjectNode line = mapper.createObjectNode().put("event", "lag")
                .put("time", Instant.ofEpochMilli(now).toString())
                .put("topic", snapshot.topic()).put("group", snapshot.group())
                .put("topicExists", snapshot.topicExists()).put("lag", snapshot.totalLag())
                .put("members", snapshot.members()).put("groupState", snapshot.groupState());
        snapshot.oldestAgeMillis(now).ifPresent(age -> line.put("oldestUnfinishedAgeMs", age));
        ArrayNode partitions = line.putArray("partitions");
        for (PartitionLag p : snapshot.partitions()) {
            ObjectNode node = partitions.addObject().put("partition", p.partition());
            if (p.committed() == null) {
                node.putNull("committed");
            } else {
                node.put("committed", p.committed());
            }
            node.put("start", p.startOffset()).put("end", p.endOffset()).put("lag", p.lag()).put("lost", p.lost());
            p.ageMillis(now).ifPresent(age -> node.put("oldestUnfinishedAgeMs", age)
                    .put("oldestUnfinishedTime", Instant.ofEpochMilli(p.oldestUnfinishedMillis()).toString()));
        }
        out.println(line);
        out.flush();
    }

    @Override
    public void finish(Join.Result result) {
        ObjectNode line = mapper.createObjectNode().put("event", "result")
                .put("outcome", result.outcome().name()).put("exitCode", ExitCode.of(result.outcome()))
                .put("reason", Verdict.reason(result, settings))
                .put("timeoutMs", settings.timeout().toMillis()).put("lost", result.lostRecords());
        settings.expectedItems().ifPresent(n -> line.put("expectedItems", n));
        if (result.last() != null) {
            line.put("topicExists", result.last().topicExists());
            line.put("lag", result.last().totalLag());
            line.put("records", result.last().records());
            line.put("neverCommitted", result.last().neverCommitted());
            result.last().openPartitions().forEach(line.putArray("openPartitions")::add);
        }
        out.println(line);
        out.flush();
    }
}
