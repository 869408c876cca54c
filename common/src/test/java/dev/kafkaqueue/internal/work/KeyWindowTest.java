package dev.kafkaqueue.internal.work;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The flat-array window behaves exactly like an insertion-ordered set that forgets its oldest key. */
class KeyWindowTest {

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 7, 64, 1000})
    void agreesWithAnInsertionOrderedSet(int capacity) {
        agreesWithAnInsertionOrderedSet(capacity, 1);
    }

    @ParameterizedTest
    @ValueSource(longs = {65_536, 1L << 40, 4096})
    void agreesWithItForIdsFarApartToo(long stride) {
        agreesWithAnInsertionOrderedSet(500, stride);
    }

    private static void agreesWithAnInsertionOrderedSet(int capacity, long stride) {
        SplittableRandom random = new SplittableRandom(capacity + stride);
        KeyWindow window = new KeyWindow(capacity);
        LinkedHashSet<String> model = new LinkedHashSet<>();
        String[] runs = {"r1", "r2", "run with space", "r4"};
        for (int i = 0; i < 200_000; i++) {
            String run = new String(runs[random.nextInt(runs.length)]); // equal, not the same string
            long id = random.nextInt(3 * capacity + 3) * stride;
            String key = run + "/" + id;
            if (random.nextInt(3) == 0) {
                assertThat(window.contains(run, id)).as(key).isEqualTo(model.contains(key));
            } else {
                window.add(run, id);
                if (model.add(key) && model.size() > capacity) {
                    model.remove(model.iterator().next());
                }
            }
        }
        assertThat(window.size()).isEqualTo(model.size());
        List<String> held = new ArrayList<>();
        window.forEach((run, id) -> held.add(run + "/" + id));
        assertThat(held).containsExactlyElementsOf(model);
    }

    /** A run's items in id order, with redeliveries of recent ones: the path that skips the table for new ids. */
    @ParameterizedTest
    @ValueSource(ints = {1, 3, 100})
    void agreesWithItForIdsInOrderWithRedeliveries(int capacity) {
        SplittableRandom random = new SplittableRandom(capacity);
        KeyWindow window = new KeyWindow(capacity);
        LinkedHashSet<String> model = new LinkedHashSet<>();
        long[] next = new long[2];
        for (int i = 0; i < 100_000; i++) {
            int r = random.nextInt(2);
            String run = "run" + r;
            long id = random.nextInt(4) == 0 ? Math.max(0, next[r] - 1 - random.nextInt(2 * capacity + 2)) : next[r]++;
            String key = run + "/" + id;
            assertThat(window.contains(run, id)).as(key).isEqualTo(model.contains(key));
            window.add(run, id);
            if (model.add(key) && model.size() > capacity) {
                model.remove(model.iterator().next());
            }
        }
        List<String> held = new ArrayList<>();
        window.forEach((run, id) -> held.add(run + "/" + id));
        assertThat(held).containsExactlyElementsOf(model);
    }

    @Test
    void aRunWhoseKeysWereAllForgottenIsUnknownAgain() {
        KeyWindow window = new KeyWindow(2);
        window.add("old", 1);
        window.add("new", 1);
        window.add("new", 2);

        assertThat(window.contains("old", 1)).isFalse();
        window.add("old", 1);
        assertThat(window.contains("old", 1)).isTrue();
        assertThat(window.contains("new", 1)).isFalse();
    }
}
