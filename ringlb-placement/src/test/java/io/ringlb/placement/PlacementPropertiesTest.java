package io.ringlb.placement;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ringlb.core.Placement;
import io.ringlb.core.Placement.MoveListener;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Properties every strategy promises, checked on seeded random topologies and key hashes. */
class PlacementPropertiesTest {

  /** Strategies whose additions move keys only to the new server. */
  private static final Set<String> MINIMAL_ADD =
      Set.of(
          "seed",
          "ring:160",
          "ring:7",
          "ketama",
          "jump",
          "rendezvous",
          "multiprobe:21",
          "memento",
          "slots:65536",
          "slots:1024");

  /** Strategies whose removals move only the removed server's keys (any server). */
  private static final Set<String> MINIMAL_REMOVE =
      Set.of(
          "seed",
          "ring:160",
          "ring:7",
          "ketama",
          "rendezvous",
          "multiprobe:21",
          "memento",
          "slots:65536",
          "slots:1024");

  @ParameterizedTest
  @ValueSource(
      strings = {
        "seed",
        "ring:160",
        "ring:7",
        "ketama",
        "ketama:libketama",
        "ketama:twemproxy",
        "jump",
        "rendezvous",
        "maglev:65537",
        "maglev:1009",
        "bounded:0.25",
        "bounded:0.05:16",
        "multiprobe:21",
        "memento",
        "slots:65536",
        "slots:1024"
      })
  void serverFor_randomTopologies_everyKeyOnLiveServer(String spec) {
    Random random = new Random(spec.hashCode());
    Placement p = Placements.byName(spec);
    assertThat(p.serverFor(random.nextInt())).isEqualTo(-1);
    List<Integer> order = new ArrayList<>(); // jump may only remove the last one added
    int nextId = 0;
    for (int step = 0; step < 60; step++) {
      boolean add = p.size() == 0 || (p.size() < 25 && random.nextInt(3) > 0);
      if (add) {
        int id = nextId;
        nextId += 1 + random.nextInt(5);
        p.addServer(id, MoveListener.NONE);
        order.add(id);
      } else {
        int id =
            p.supportsArbitraryRemoval()
                ? order.get(random.nextInt(order.size()))
                : order.get(order.size() - 1);
        p.removeServer(id, MoveListener.NONE);
        order.remove(Integer.valueOf(id));
      }
      Set<Integer> live = new TreeSet<>(order);
      assertThat(p.size()).isEqualTo(live.size());
      assertThat(p.servers()).containsExactly(live.stream().mapToInt(i -> i).toArray());
      for (int k = 0; k < 300; k++) {
        int owner = p.serverFor(random.nextInt());
        if (live.isEmpty()) {
          assertThat(owner).isEqualTo(-1);
        } else {
          assertThat(live).as("%s after step %d", spec, step).contains(owner);
        }
      }
    }
    while (p.size() > 0) {
      p.removeServer(order.remove(order.size() - 1), MoveListener.NONE);
    }
    assertThat(p.serverFor(12345)).isEqualTo(-1);
    p.addServer(3, MoveListener.NONE);
    assertThat(p.serverFor(12345)).isEqualTo(3);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "seed",
        "ring:160",
        "ring:7",
        "ketama",
        "jump",
        "rendezvous",
        "multiprobe:21",
        "memento",
        "slots:65536",
        "slots:1024"
      })
  void addServer_afterChurn_movesKeysOnlyToNewServer(String spec) {
    assertThat(MINIMAL_ADD).contains(spec);
    Random random = new Random(spec.hashCode() * 31L);
    Placement p = Placements.byName(spec);
    List<Integer> order = new ArrayList<>();
    for (int id = 0; id < 30; id++) {
      p.addServer(id, MoveListener.NONE);
      order.add(id);
    }
    // some churn first, so that memento and slots add into a history of removals
    for (int r = 0; r < 8; r++) {
      int id =
          p.supportsArbitraryRemoval()
              ? order.get(random.nextInt(order.size()))
              : order.get(order.size() - 1);
      p.removeServer(id, MoveListener.NONE);
      order.remove(Integer.valueOf(id));
    }
    int[] hashes = random.ints(20_000).toArray();
    for (int added = 100; added < 106; added++) {
      int[] before = owners(p, hashes);
      p.addServer(added, MoveListener.NONE);
      int[] after = owners(p, hashes);
      int moved = 0;
      for (int i = 0; i < hashes.length; i++) {
        if (after[i] != before[i]) {
          assertThat(after[i]).as("%s: a key moved between old servers", spec).isEqualTo(added);
          moved++;
        }
      }
      assertThat(moved).as("%s: the new server took some keys", spec).isPositive();
    }
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "seed",
        "ring:160",
        "ring:7",
        "ketama",
        "rendezvous",
        "multiprobe:21",
        "memento",
        "slots:65536",
        "slots:1024"
      })
  void removeServer_anyServer_movesOnlyItsKeys(String spec) {
    assertThat(MINIMAL_REMOVE).contains(spec);
    Random random = new Random(spec.hashCode() * 17L);
    Placement p = Placements.byName(spec);
    List<Integer> live = new ArrayList<>();
    for (int id = 0; id < 30; id++) {
      p.addServer(id, MoveListener.NONE);
      live.add(id);
    }
    int[] hashes = random.ints(20_000).toArray();
    for (int r = 0; r < 10; r++) {
      int removed = live.remove(random.nextInt(live.size()));
      int[] before = owners(p, hashes);
      p.removeServer(removed, MoveListener.NONE);
      int[] after = owners(p, hashes);
      for (int i = 0; i < hashes.length; i++) {
        if (before[i] != removed) {
          assertThat(after[i]).as("%s: a key of a staying server moved", spec).isEqualTo(before[i]);
        } else {
          assertThat(live).contains(after[i]);
        }
      }
    }
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "seed",
        "ring:160",
        "ring:7",
        "ketama",
        "ketama:libketama",
        "ketama:twemproxy",
        "maglev:65537",
        "maglev:1009",
        "slots:65536",
        "slots:1024"
      })
  void moves_rangeStrategies_reportExactlyTheKeysThatChangedOwner(String spec) {
    Random random = new Random(spec.hashCode() * 7L);
    Placement p = Placements.byName(spec);
    List<Integer> live = new ArrayList<>();
    // 24 -> 25 servers changes every server's points in the twemproxy flavor: a rebuild
    for (int id = 0; id < 24; id++) {
      p.addServer(id, MoveListener.NONE);
      live.add(id);
    }
    int[] hashes = random.ints(30_000).toArray();
    for (int step = 0; step < 6; step++) {
      Recorder recorder = new Recorder();
      int[] before = owners(p, hashes);
      if (step % 2 == 0) {
        int id = 1000 + step;
        p.addServer(id, recorder);
        live.add(id);
      } else {
        int id = live.remove(random.nextInt(live.size()));
        p.removeServer(id, recorder);
      }
      assertThat(recorder.reassigned).as(spec).isFalse();
      assertThat(recorder.ranges).as(spec).isNotEmpty();
      int[] after = owners(p, hashes);
      int[] probes = probes(hashes, recorder.ranges);
      recorder.index();
      for (int i = 0; i < probes.length; i++) {
        int h = probes[i];
        int[] range = recorder.find(h);
        int was = i < hashes.length ? before[i] : -2;
        int now = i < hashes.length ? after[i] : p.serverFor(h);
        if (range == null) {
          if (was != -2) {
            assertThat(now)
                .as("%s: hash %d moved outside the reported ranges", spec, h)
                .isEqualTo(was);
          }
        } else {
          assertThat(now).as("%s: hash %d in a reported range", spec, h).isEqualTo(range[1]);
          if (was != -2) {
            assertThat(was)
                .as("%s: hash %d came from the reported server", spec, h)
                .isEqualTo(range[0]);
            assertThat(was).isNotEqualTo(now);
          }
        }
      }
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"jump", "rendezvous", "multiprobe:21", "memento", "bounded:0.25"})
  void moves_otherStrategies_reportReassignment(String spec) {
    Placement p = Placements.byName(spec);
    for (int id = 0; id < 10; id++) {
      p.addServer(id, MoveListener.NONE);
    }
    for (int h = 0; h < 1000; h++) {
      p.serverFor(h * 7919); // bounded reassigns only what it has placed
    }
    Recorder recorder = new Recorder();
    p.addServer(10, recorder);
    assertThat(recorder.reassigned).isTrue();
    assertThat(recorder.ranges).isEmpty();
    recorder = new Recorder();
    p.removeServer(10, recorder);
    assertThat(recorder.reassigned).isTrue();
  }

  @ParameterizedTest
  @ValueSource(strings = {"ring:160", "ketama", "rendezvous", "maglev:65537", "slots:65536"})
  void addServer_weight3_takesThreeTimesTheShare(String spec) {
    Placement p = Placements.byName(spec);
    p.addServer(0, 3, MoveListener.NONE);
    for (int id = 1; id < 10; id++) {
      p.addServer(id, MoveListener.NONE);
    }
    int[] hashes = new Random(5).ints(200_000).toArray();
    int heavy = 0;
    for (int h : hashes) {
      heavy += p.serverFor(h) == 0 ? 1 : 0;
    }
    double share = (double) heavy / hashes.length;
    double tolerance = spec.startsWith("ring") || spec.startsWith("ketama") ? 0.05 : 0.01;
    assertThat(share).as(spec).isBetween(0.25 - tolerance, 0.25 + tolerance);
  }

  @ParameterizedTest
  @ValueSource(strings = {"seed", "jump", "memento", "multiprobe:21", "bounded:0.25"})
  void addServer_weightOnUnweightedStrategy_rejected(String spec) {
    Placement p = Placements.byName(spec);
    assertThatThrownBy(() -> p.addServer(1, 2, MoveListener.NONE))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("2");
    assertThat(p.size()).isZero();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "seed",
        "ring:160",
        "ketama",
        "jump",
        "rendezvous",
        "maglev:1009",
        "bounded:0.25",
        "multiprobe:21",
        "memento",
        "slots:1024"
      })
  void topologyChanges_invalidIds_rejectedWithTheValue(String spec) {
    Placement p = Placements.byName(spec);
    p.addServer(4, MoveListener.NONE);
    assertThatThrownBy(() -> p.addServer(-1, MoveListener.NONE))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("-1");
    assertThatThrownBy(() -> p.addServer(4, MoveListener.NONE))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("4");
    assertThatThrownBy(() -> p.addServer(5, 0, MoveListener.NONE))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("0");
    assertThatThrownBy(() -> p.removeServer(9, MoveListener.NONE))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("9");
    assertThat(p.servers()).containsExactly(4);
    assertThat(p.supportsArbitraryRemoval()).isEqualTo(!spec.equals("jump"));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "seed",
        "ring:160",
        "ketama",
        "jump",
        "rendezvous",
        "maglev:1009",
        "bounded:0.25",
        "multiprobe:21",
        "memento",
        "slots:1024"
      })
  void share_servers_sumToOneAndPointsPositive(String spec) {
    Placement p = Placements.byName(spec);
    for (int id = 0; id < 10; id++) {
      p.addServer(id * 3, MoveListener.NONE);
    }
    double total = 0;
    for (int id : p.servers()) {
      assertThat(p.share(id)).as("%s share of %d", spec, id).isBetween(0.0, 1.0);
      assertThat(p.points(id)).isPositive();
      total += p.share(id);
    }
    assertThat(total).as(spec).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-6));
    assertThat(p.share(1)).isZero();
    assertThat(p.points(1)).isZero();
  }

  @Test
  void removeServer_jumpNotLast_unsupported() {
    Placement p = Placements.byName("jump");
    p.addServer(7, MoveListener.NONE);
    p.addServer(3, MoveListener.NONE);
    assertThatThrownBy(() -> p.removeServer(7, MoveListener.NONE))
        .isInstanceOf(UnsupportedOperationException.class)
        .hasMessageContaining("7")
        .hasMessageContaining("most recently added server (3)");
    p.removeServer(3, MoveListener.NONE);
    p.removeServer(7, MoveListener.NONE);
    assertThat(p.size()).isZero();
  }

  @Test
  void memento_removalsThenReadditions_restoreTheOriginalMapping() {
    Placement p = Placements.byName("memento");
    for (int id = 0; id < 40; id++) {
      p.addServer(id, MoveListener.NONE);
    }
    int[] hashes = new Random(11).ints(20_000).toArray();
    int[] original = owners(p, hashes);
    int[] removed = {17, 3, 39, 25, 8};
    for (int id : removed) {
      p.removeServer(id, MoveListener.NONE);
    }
    // added servers take the removed buckets back, most recent first
    int[] replacement = new int[100];
    for (int k = removed.length - 1; k >= 0; k--) {
      int id = 200 + k;
      p.addServer(id, MoveListener.NONE);
      replacement[removed[k]] = id;
    }
    int[] now = owners(p, hashes);
    Set<Integer> gone = new TreeSet<>();
    for (int id : removed) {
      gone.add(id);
    }
    for (int i = 0; i < hashes.length; i++) {
      int was = original[i];
      assertThat(now[i]).isEqualTo(gone.contains(was) ? replacement[was] : was);
    }
  }

  @Test
  void slots_sameChanges_sameTable_andEveryServerWithinOneSlotOfItsTarget() {
    Random random = new Random(3);
    SlotPlacement a = new SlotPlacement(4096);
    SlotPlacement b = new SlotPlacement(4096);
    java.util.Map<Integer, Integer> weights = new java.util.TreeMap<>();
    for (int step = 0; step < 80; step++) {
      if (weights.size() < 3 || random.nextBoolean()) {
        int weight = 1 + random.nextInt(3);
        a.addServer(step, weight, MoveListener.NONE);
        b.addServer(step, weight, MoveListener.NONE);
        weights.put(step, weight);
      } else {
        List<Integer> ids = new ArrayList<>(weights.keySet());
        int id = ids.get(random.nextInt(ids.size()));
        a.removeServer(id, MoveListener.NONE);
        b.removeServer(id, MoveListener.NONE);
        weights.remove(id);
      }
      for (int s = 0; s < 4096; s++) {
        assertThat(a.serverFor(s << 20)).isEqualTo(b.serverFor(s << 20));
      }
      double total = weights.values().stream().mapToInt(Integer::intValue).sum();
      int sum = 0;
      for (var e : weights.entrySet()) {
        double target = 4096 * e.getValue() / total;
        assertThat((double) a.points(e.getKey()))
            .as("step %d", step)
            .isCloseTo(target, org.assertj.core.data.Offset.offset(1.0));
        sum += a.points(e.getKey());
      }
      assertThat(sum).isEqualTo(4096);
    }
  }

  private static int[] owners(Placement p, int[] hashes) {
    int[] owners = new int[hashes.length];
    for (int i = 0; i < hashes.length; i++) {
      owners[i] = p.serverFor(hashes[i]);
    }
    return owners;
  }

  /** The sampled hashes followed by both ends of every reported range and their neighbours. */
  private static int[] probes(int[] hashes, List<int[]> ranges) {
    int[] out = Arrays.copyOf(hashes, hashes.length + ranges.size() * 4);
    int at = hashes.length;
    for (int[] r : ranges) {
      out[at++] = r[2];
      out[at++] = r[3];
      out[at++] = r[2] - 1;
      out[at++] = r[3] + 1;
    }
    return out;
  }

  /** Records reported moves. */
  static final class Recorder implements MoveListener {
    final List<int[]> ranges = new ArrayList<>();
    boolean reassigned;

    @Override
    public void moved(int fromServer, int toServer, int lo, int hi) {
      assertThat(Integer.compareUnsigned(lo, hi)).isLessThanOrEqualTo(0);
      assertThat(fromServer).isNotEqualTo(toServer);
      ranges.add(new int[] {fromServer, toServer, lo, hi});
    }

    @Override
    public void reassigned() {
      reassigned = true;
    }

    private int[][] sorted;

    /** Sorts the ranges for lookups and checks that none overlap. */
    void index() {
      sorted = ranges.toArray(new int[0][]);
      Arrays.sort(sorted, (x, y) -> Integer.compareUnsigned(x[2], y[2]));
      for (int i = 1; i < sorted.length; i++) {
        assertThat(Integer.compareUnsigned(sorted[i - 1][3], sorted[i][2]))
            .as("overlapping ranges")
            .isLessThan(0);
      }
    }

    /** Returns the [from, to] of the range holding {@code h}, or null. */
    int[] find(int h) {
      int lo = 0;
      int hi = sorted.length - 1;
      while (lo <= hi) {
        int mid = (lo + hi) >>> 1;
        int[] r = sorted[mid];
        if (Integer.compareUnsigned(h, r[2]) < 0) {
          hi = mid - 1;
        } else if (Integer.compareUnsigned(h, r[3]) > 0) {
          lo = mid + 1;
        } else {
          return new int[] {r[0], r[1]};
        }
      }
      return null;
    }
  }
}
