package dev.kafkaqueue.internal.work;

/**
 * How many records a share-group member takes per poll ({@code max.poll.records}), chosen when it starts. One record
 * per poll spreads the work best, since a record a member holds unstarted is one an idle member cannot take, but it
 * costs a broker round trip per record (about 500 records a second here). So the batch follows the backlog: at most
 * an eighth of this member's fair share of it, so that members joining later still find work; at most half of the
 * record locks the partitions allow per member ({@code share.partition.max.record.locks}; with more acquired than
 * that, members starve); and at most {@value #MAX}, Kafka's own default. A member that starts with nothing to do
 * takes one record per poll.
 *
 * <p>The batch must be finished within the record lock ({@code share.record.lock.duration.ms}, 30 s by default), or
 * the broker delivers its records again: work slow enough for that on a large backlog should set
 * {@code max.poll.records} itself (the consumer's {@code --exec} takes one record per poll unless told otherwise).
 */
final class ShareBatch {

    /** The most records per poll: Kafka's default {@code max.poll.records}. */
    static final int MAX = 500;
    /** A member takes at most this fraction of its fair share of the backlog at once. */
    static final int SPREAD = 8;

    private ShareBatch() {
    }

    /**
     * @param backlog      records not yet acknowledged by the group, on all the topic's partitions
     * @param otherMembers members of the group before this one
     * @param partitions   the topic's partitions
     * @param recordLocks  the group's record locks per partition
     * @return records per poll, from 1 to {@link #MAX}
     */
    static int size(long backlog, int otherMembers, int partitions, int recordLocks) {
        long members = Math.max(0, otherMembers) + 1L;
        long fairShare = Math.max(0, backlog) / (SPREAD * members);
        long lockShare = (long) Math.max(1, recordLocks) * Math.max(1, partitions) / (2 * members);
        return (int) Math.max(1, Math.min(MAX, Math.min(fairShare, lockShare)));
    }
}
