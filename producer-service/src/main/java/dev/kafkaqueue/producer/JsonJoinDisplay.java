package dev.kafkaqueue.producer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kafkaqueue.common.Join;
import dev.kafkaqueue.common.LagSnapshot;
import dev.kafkaqueue.common.PartitionLag;
import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;

/**
 * Join progress for scripts: one JSON object per line. Snapshots look like
 * <pre>{"event":"lag","time":"...","topic":"jobs","group":"workers","lag":3,"members":2,"partitions":[
 *   {"partition":0,"committed":5,"start":0,"end":7,"lag":2}, ...]}</pre>
 * and the last line is {@code {"event":"result","outcome":"DONE","exitCode":0,"lag":0,"lost":0}}.
 */
final class JsonJoinDisplay implements JoinDisplay {

    private final ObjectMapper mapper = new ObjectMapper();
    private final PrintStream out;

    JsonJoinDisplay(PrintStream out) {
        this.out = out;
    }

    @Override
    public void progress(LagSnapshot snapshot) {
        ObjectNode line = mapper.createObjectNode().put("event", "lag").put("time", Instant.now().toString())
                .put("topic", snapshot.topic()).put("group", snapshot.group())
                .put("topicExists", snapshot.topicExists()).put("lag", snapshot.totalLag())
                .put("members", snapshot.members()).put("groupState", snapshot.groupState());
        ArrayNode partitions = line.putArray("partitions");
        for (PartitionLag p : snapshot.partitions()) {
            ObjectNode node = partitions.addObject().put("partition", p.partition());
            if (p.committed() == null) {
                node.putNull("committed");
            } else {
                node.put("committed", p.committed());
            }
            node.put("start", p.startOffset()).put("end", p.endOffset()).put("lag", p.lag()).put("lost", p.lost());
        }
        out.println(line);
        out.flush();
    }

    @Override
    public void finish(Join.Result result, Duration timeout) {
        ObjectNode line = mapper.createObjectNode().put("event", "result")
                .put("outcome", result.outcome().name()).put("exitCode", result.outcome().exitCode())
                .put("timeoutMs", timeout.toMillis()).put("lost", result.lostRecords());
        if (result.last() != null) {
            line.put("lag", result.last().totalLag());
            result.last().openPartitions().forEach(line.putArray("openPartitions")::add);
        }
        out.println(line);
        out.flush();
    }
}
