package io.ringlb.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;
import java.util.TreeSet;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

class HashRingTest {

  @Test
  void serverFor_emptyRing() {
    assertThat(HashRing.seed().serverFor(123)).isEqualTo(-1);
    assertThat(HashRing.seed().labelIndexFor(123)).isEqualTo(-1);
  }

  @Test
  void serverFor_firstLabelAtOrAfter_thenWraps() {
    HashRing ring = fixed(new int[][] {{0, 100, 200}, {1, 150, -2}});
    assertThat(ring.serverFor(100)).isZero();
    assertThat(ring.serverFor(101)).isEqualTo(1);
    assertThat(ring.serverFor(150)).isEqualTo(1);
    assertThat(ring.serverFor(151)).isZero();
    assertThat(ring.serverFor(-3)).isEqualTo(1);
    assertThat(ring.serverFor(-1)).isZero(); // above the last label: wraps to position 100
    assertThat(ring.labelCount()).isEqualTo(4);
    assertThat(ring.positionAt(3)).isEqualTo(-2);
  }

  @Test
  void serverFor_tiedPositions_lowerIdFirst() {
    HashRing ring = fixed(new int[][] {{5, 100}, {3, 100}});
    assertThat(ring.serverFor(50)).isEqualTo(3);
    assertThat(ring.serverAt(0)).isEqualTo(3);
    assertThat(ring.serverAt(1)).isEqualTo(5);
  }

  @Test
  void seed_labelsAreTheOriginalOnes() {
    HashRing ring = HashRing.seed();
    ring.addServer(1, Placement.MoveListener.NONE);
    List<Integer> positions = new ArrayList<>();
    for (int i = 0; i < ring.labelCount(); i++) {
      positions.add(ring.positionAt(i));
    }
    assertThat(positions)
        .containsExactlyInAnyOrder(
            Hashes.seedLabel(1), Hashes.seedLabel(100_001), Hashes.seedLabel(200_001));
    assertThat(ring.points(1)).isEqualTo(3);
    assertThat(ring.share(1)).isEqualTo(1.0);
  }

  @Test
  void seed_rejectsWeightsAndLargeIds() {
    HashRing ring = HashRing.seed();
    assertThatThrownBy(() -> ring.addServer(100_000, Placement.MoveListener.NONE))
        .hasMessageContaining("99999");
    assertThatThrownBy(() -> ring.addServer(1, 2, Placement.MoveListener.NONE))
        .hasMessageContaining("weights");
    assertThat(ring.size()).isZero();
  }

  @Test
  void share_sumsToOne() {
    HashRing ring = HashRing.seed();
    for (int id = 0; id < 50; id++) {
      ring.addServer(id, Placement.MoveListener.NONE);
    }
    double total = 0;
    for (int id : ring.servers()) {
      total += ring.share(id);
    }
    assertThat(total).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-9));
  }

  /**
   * On rings with crowded positions (ties, labels at 0 and at the top of the space), the ranges a
   * change reports are exactly the hashes whose owner changed, with the right endpoints.
   */
  @Property(tries = 200)
  void reportedMoves_areExactlyTheOwnerChanges(@ForAll long seed) {
    Random random = new Random(seed);
    int spread = 1 + random.nextInt(40);
    TreeMap<Integer, int[]> layout = new TreeMap<>();
    HashRing ring = HashRing.create("test", Hashes.djb2(), (id, weight) -> layout.get(id));
    TreeSet<Integer> present = new TreeSet<>();
    int[] probes = probes(spread);
    for (int step = 0; step < 30; step++) {
      int[] before = owners(ring, probes);
      List<int[]> moves = new ArrayList<>();
      Placement.MoveListener listener =
          new Placement.MoveListener() {
            @Override
            public void moved(int from, int to, int lo, int hi) {
              moves.add(new int[] {from, to, lo, hi});
            }

            @Override
            public void reassigned() {
              throw new AssertionError("a ring reports ranges");
            }
          };
      boolean add = present.isEmpty() || (present.size() < 8 && random.nextBoolean());
      if (add) {
        int id = random.nextInt(20);
        if (present.contains(id)) {
          continue;
        }
        int[] points = new int[1 + random.nextInt(3)];
        for (int i = 0; i < points.length; i++) {
          points[i] = position(random, spread);
        }
        layout.put(id, points);
        ring.addServer(id, listener);
        present.add(id);
      } else {
        int id = new ArrayList<>(present).get(random.nextInt(present.size()));
        ring.removeServer(id, listener);
        present.remove(id);
      }
      int[] after = owners(ring, probes);
      for (int p = 0; p < probes.length; p++) {
        int h = probes[p];
        int[] covering = null;
        for (int[] move : moves) {
          if (Integer.compareUnsigned(h, move[2]) >= 0
              && Integer.compareUnsigned(h, move[3]) <= 0) {
            assertThat(covering).as("ranges overlap at %s", h).isNull();
            covering = move;
          }
        }
        if (before[p] < 0 || after[p] < 0 || before[p] == after[p]) {
          assertThat(covering).as("hash %s did not change owner", h).isNull();
        } else {
          assertThat(covering).as("hash %s moved %s -> %s", h, before[p], after[p]).isNotNull();
          assertThat(covering[0]).isEqualTo(before[p]);
          assertThat(covering[1]).isEqualTo(after[p]);
        }
      }
    }
  }

  private static int position(Random random, int spread) {
    int r = random.nextInt(spread + 2);
    return r == spread ? -1 : r == spread + 1 ? 0 : r * 7;
  }

  /** Every position that matters on such a ring: each candidate position and its neighbours. */
  private static int[] probes(int spread) {
    TreeSet<Integer> set = new TreeSet<>();
    for (int r = 0; r < spread; r++) {
      set.add(r * 7 - 1);
      set.add(r * 7);
      set.add(r * 7 + 1);
    }
    set.add(-1);
    set.add(-2);
    set.add(0);
    set.add(Integer.MAX_VALUE);
    return set.stream().mapToInt(Integer::intValue).toArray();
  }

  private static int[] owners(HashRing ring, int[] probes) {
    int[] owners = new int[probes.length];
    for (int i = 0; i < probes.length; i++) {
      owners[i] = ring.serverFor(probes[i]);
    }
    return owners;
  }

  private static HashRing fixed(int[][] servers) {
    TreeMap<Integer, int[]> layout = new TreeMap<>();
    for (int[] server : servers) {
      layout.put(server[0], java.util.Arrays.copyOfRange(server, 1, server.length));
    }
    HashRing ring = HashRing.create("fixed", Hashes.djb2(), (id, weight) -> layout.get(id));
    for (int id : layout.keySet()) {
      ring.addServer(id, Placement.MoveListener.NONE);
    }
    return ring;
  }
}
