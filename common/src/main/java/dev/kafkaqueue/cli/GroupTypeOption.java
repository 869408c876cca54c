package dev.kafkaqueue.cli;

import dev.kafkaqueue.options.GroupType;
import picocli.CommandLine.Option;

/**
 * The {@code --group-type consumer|share} flag (env {@code QUEUE_GROUP_TYPE}), as a picocli mixin: a command adds
 * {@code @Mixin GroupTypeOption groupType;}. A value other than the two fails at parse time with exit code 2 and
 * picocli's message naming the allowed values.
 */
public final class GroupTypeOption {

    @Option(names = "--group-type", paramLabel = "TYPE", defaultValue = "${env:QUEUE_GROUP_TYPE:-consumer}",
            description = "The kind of group that works the queue: consumer (default; one member per partition) or "
                    + "share (a Kafka share group: any number of members per partition, records acknowledged one "
                    + "by one) (env QUEUE_GROUP_TYPE).")
    GroupType groupType = GroupType.CONSUMER;

    /** The chosen group type. */
    public GroupType groupType() {
        return groupType;
    }

    /** True for {@code --group-type share}. */
    public boolean isShare() {
        return groupType == GroupType.SHARE;
    }
}
