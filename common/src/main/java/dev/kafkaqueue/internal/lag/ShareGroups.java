package dev.kafkaqueue.internal.lag;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.ShareGroupDescription;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.GroupIdNotFoundException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The share-group configs a queue relies on, read and set with the Admin client on the GROUP resource. */
public final class ShareGroups {

    /** Where a share group starts on a partition it has no state for; Kafka's default is {@code latest}. */
    public static final String AUTO_OFFSET_RESET = "share.auto.offset.reset";
    /** How many times a record is delivered before the broker archives it; Kafka's default is 5. */
    public static final String DELIVERY_COUNT_LIMIT = "share.delivery.count.limit";
    /** Kafka's default for {@link #DELIVERY_COUNT_LIMIT}, used when the group's config cannot be read. */
    public static final int DEFAULT_DELIVERY_COUNT_LIMIT = 5;
    /** How many records of a partition the group's members may hold acquired at once; Kafka's default is 2000. */
    public static final String RECORD_LOCKS = "share.partition.max.record.locks";
    /** How long a member may hold a record it acquired before the broker delivers it again; default 30000 ms. */
    public static final String RECORD_LOCK_DURATION = "share.record.lock.duration.ms";

    /**
     * The group configs the engine sizes its batches by, with Kafka's defaults where the broker does not say.
     *
     * @param deliveryCountLimit  {@value #DELIVERY_COUNT_LIMIT}
     * @param recordLocks         {@value #RECORD_LOCKS}
     * @param recordLockDuration  {@value #RECORD_LOCK_DURATION}
     */
    public record Limits(int deliveryCountLimit, int recordLocks, Duration recordLockDuration) {
        /** Kafka's defaults. */
        public static final Limits DEFAULTS = new Limits(DEFAULT_DELIVERY_COUNT_LIMIT, 2000, Duration.ofSeconds(30));
    }

    private static final Logger log = LoggerFactory.getLogger(ShareGroups.class);

    private ShareGroups() {
    }

    /**
     * Sets {@code share.auto.offset.reset=earliest} on the group. A share group starts at the latest offset by
     * default, so one created after the items were put would get none of them; a queue starts at its first item.
     * Call before the group's first poll. Needs ALTER_CONFIGS on the group.
     */
    public static void startAtEarliest(Admin admin, String group, Duration timeout)
            throws InterruptedException, ExecutionException, TimeoutException {
        ConfigResource resource = new ConfigResource(ConfigResource.Type.GROUP, group);
        admin.incrementalAlterConfigs(Map.of(resource, List.of(new AlterConfigOp(
                        new ConfigEntry(AUTO_OFFSET_RESET, "earliest"), AlterConfigOp.OpType.SET))))
                .all().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        log.info("Share group {}: {}=earliest", group, AUTO_OFFSET_RESET);
    }

    /** The group's {@code share.delivery.count.limit}, or Kafka's default when the broker does not say. */
    public static int deliveryCountLimit(Admin admin, String group, Duration timeout)
            throws InterruptedException, ExecutionException, TimeoutException {
        return limits(admin, group, timeout).deliveryCountLimit();
    }

    /** The group's delivery count limit and record locks, in one request; Kafka's defaults where it says nothing. */
    public static Limits limits(Admin admin, String group, Duration timeout)
            throws InterruptedException, ExecutionException, TimeoutException {
        ConfigResource resource = new ConfigResource(ConfigResource.Type.GROUP, group);
        Config config = admin.describeConfigs(List.of(resource)).all()
                .get(timeout.toMillis(), TimeUnit.MILLISECONDS).get(resource);
        Limits defaults = Limits.DEFAULTS;
        return new Limits(
                (int) value(config, DELIVERY_COUNT_LIMIT, defaults.deliveryCountLimit()),
                (int) value(config, RECORD_LOCKS, defaults.recordLocks()),
                Duration.ofMillis(value(config, RECORD_LOCK_DURATION, defaults.recordLockDuration().toMillis())));
    }

    /**
     * The members the group has now, 0 when it has none or does not exist yet: {@code kafka-share-groups --describe
     * --members} counts the same.
     */
    public static int members(Admin admin, String group, Duration timeout)
            throws InterruptedException, ExecutionException, TimeoutException {
        try {
            ShareGroupDescription description = admin.describeShareGroups(List.of(group)).describedGroups().get(group)
                    .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return description.members().size();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof GroupIdNotFoundException) {
                return 0;
            }
            throw e;
        }
    }

    private static long value(Config config, String name, long otherwise) {
        ConfigEntry entry = config == null ? null : config.get(name);
        return entry == null || entry.value() == null ? otherwise : Long.parseLong(entry.value());
    }
}
