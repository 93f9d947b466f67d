package io.ringlb.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

/** The ring's label table: changed in place, it equals the table built from scratch. */
class LabelTableTest {

  @Property(tries = 200)
  void incrementalTable_equalsRebuilt(@ForAll long seed) {
    Random random = new Random(seed);
    // narrow windows make buckets of many labels, repeated positions and long empty runs
    int width = random.nextBoolean() ? -1 : 1 << random.nextInt(24);
    int base = random.nextInt();
    TreeMap<Integer, int[]> layout = new TreeMap<>();
    HashRing ring = HashRing.create("test", Hashes.djb2(), (id, weight) -> layout.get(id));
    List<Integer> present = new ArrayList<>();
    int steps = 1 + random.nextInt(300);
    for (int step = 0; step < steps; step++) {
      if (present.isEmpty() || random.nextInt(3) > 0) {
        int id = random.nextInt(1000);
        if (ring.contains(id)) {
          continue;
        }
        int[] points = new int[1 + random.nextInt(6)];
        for (int i = 0; i < points.length; i++) {
          points[i] = width < 0 ? random.nextInt() : base + random.nextInt(width);
        }
        layout.put(id, points);
        ring.addServer(id, Placement.MoveListener.NONE);
        present.add(id);
      } else {
        int id = present.remove(random.nextInt(present.size()));
        ring.removeServer(id, Placement.MoveListener.NONE);
      }
      LabelTable table = ring.labelTable();
      assertThat(table.tableCopy()).as("step %s", step).isDeepEqualTo(table.rebuiltTable());
      for (int probe = 0; probe < 20; probe++) {
        int hash = random.nextBoolean() ? random.nextInt() : base + random.nextInt(3) - 1;
        int expected = ring.labelCount() == 0 ? -1 : ring.serverAt(ring.labelIndexFor(hash));
        assertThat(ring.serverFor(hash)).as("hash %s", hash).isEqualTo(expected);
      }
    }
  }

  @Test
  void add_touchesAConstantNumberOfEntriesAmortized() {
    // Today's index work per add must not grow with the ring: 2,000 and 32,000 servers alike.
    List<Integer> ids = new ArrayList<>();
    for (int id = 0; id < 32_000; id++) {
      ids.add(id);
    }
    Collections.shuffle(ids, new Random(7));
    HashRing ring = HashRing.seed();
    long before = 0;
    int added = 0;
    for (int checkpoint : new int[] {2_000, 8_000, 32_000}) {
      int from = added;
      while (added < checkpoint) {
        ring.addServer(ids.get(added++), Placement.MoveListener.NONE);
      }
      long work = ring.indexWork() - before;
      before = ring.indexWork();
      double perAdd = (double) work / (added - from);
      // 3 labels each: a bucket array of about 2 cells rewritten, a trailing cell or two, the
      // amortized rebuilds when the bucket count doubles; a full rebuild would be >= 6,000
      assertThat(perAdd).as("index work per add up to %s servers", checkpoint).isLessThan(40);
    }
    // the shape that bounds that work: at most two labels per bucket on average, and short buckets
    int buckets = 1 << ring.labelTable().bits();
    assertThat(ring.labelCount()).isEqualTo(96_000).isLessThanOrEqualTo(2 * buckets);
    int longest = 0;
    for (long[] cells : ring.labelTable().tableCopy()) {
      longest = Math.max(longest, cells == null ? 0 : cells.length - 1);
    }
    assertThat(longest).isLessThan(16);
  }

  @Test
  void remove_touchesAConstantNumberOfEntriesAmortized() {
    HashRing ring = HashRing.seed();
    for (int id = 0; id < 30_000; id++) {
      ring.addServer(id, Placement.MoveListener.NONE);
    }
    long before = ring.indexWork();
    for (int id = 0; id < 29_000; id++) {
      ring.removeServer(id, Placement.MoveListener.NONE);
    }
    double perRemove = (double) (ring.indexWork() - before) / 29_000;
    assertThat(perRemove).isLessThan(40);
    assertThat(ring.labelTable().tableCopy()).isDeepEqualTo(ring.labelTable().rebuiltTable());
  }

  @Test
  void remove_absentCell() {
    LabelTable table = new LabelTable();
    table.insert(LabelTable.cell(5, 1));
    assertThatThrownBy(() -> table.remove(LabelTable.cell(5, 2)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("no label");
  }

  @Test
  void cell_ordersAsLabels() {
    assertThat(LabelTable.cell(0, 7)).isLessThan(LabelTable.cell(1, 0));
    assertThat(LabelTable.cell(-1, 0)).isGreaterThan(LabelTable.cell(Integer.MAX_VALUE, 99_999));
    assertThat(LabelTable.cell(42, 3)).isLessThan(LabelTable.cell(42, 4));
    assertThat(LabelTable.position(LabelTable.cell(-2, 9))).isEqualTo(-2);
    assertThat(LabelTable.server(LabelTable.cell(-2, 9))).isEqualTo(9);
  }
}
