package io.ringlb.placement;

import static org.assertj.core.api.Assertions.assertThat;

import io.ringlb.core.Placement;
import io.ringlb.core.Placement.MoveListener;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Balance and movement on 50 servers and 200,000 seeded key hashes, within the published bounds of
 * each scheme (a noise margin of a few standard deviations of the key sampling, about 1.6% per
 * server here, included).
 */
class BalanceAndMovementTest {

  private static final int SERVERS = 50;
  private static final int KEYS = 200_000;

  @ParameterizedTest(name = "{0}")
  @CsvSource({
    // spec, max peak/avg, add moves / optimal (min, max), remove moves / optimal (min, max)
    "ring:160,      1.35, 0.70, 1.30, 0.70, 1.30",
    "ketama,        1.35, 0.70, 1.30, 0.70, 1.30",
    "jump,          1.08, 0.93, 1.07, -1, -1",
    "rendezvous,    1.08, 0.93, 1.07, 0.93, 1.07",
    "memento,       1.08, 0.93, 1.07, 0.93, 1.07",
    "slots:65536,   1.08, 0.93, 1.07, 0.93, 1.07",
    "maglev:65537,  1.08, 0.93, 2.50, 0.93, 2.50",
    "multiprobe:21, 1.15, 0.10, 1.40, 0.10, 1.40",
    // bounded loads: the paper bounds expected moves by O(1/epsilon^2) times the optimum
    "bounded:0.25,  1.25, 0.70, 16.0, 0.70, 16.0",
    "bounded:0.05:16, 1.05, 0.70, 400, 0.70, 400",
  })
  void placement_50Servers_withinPublishedBounds(
      String spec,
      double maxPeak,
      double addMin,
      double addMax,
      double removeMin,
      double removeMax) {
    Random random = new Random(42);
    int[] hashes = random.ints().distinct().limit(KEYS).toArray(); // bounded counts a hash once
    Placement p = Placements.byName(spec);
    for (int id = 0; id < SERVERS; id++) {
      p.addServer(id, MoveListener.NONE);
    }
    int[] before = owners(p, hashes);
    int[] loads = new int[SERVERS + 1];
    for (int owner : before) {
      loads[owner]++;
    }
    int max = 0;
    for (int load : loads) {
      max = Math.max(max, load);
    }
    double average = (double) KEYS / SERVERS;
    if (spec.startsWith("bounded")) {
      // the guarantee itself: no server above ceil((1 + epsilon) * m / n)
      double epsilon = Double.parseDouble(spec.split(":")[1]);
      assertThat(max).isLessThanOrEqualTo((int) Math.ceil((1 + epsilon) * KEYS / SERVERS));
    }
    assertThat(max / average).as("%s peak/avg", spec).isLessThanOrEqualTo(maxPeak);

    p.addServer(SERVERS, MoveListener.NONE);
    double addRatio = changed(before, owners(p, hashes)) / (KEYS / (SERVERS + 1.0));
    assertThat(addRatio).as("%s add moves / optimal", spec).isBetween(addMin, addMax);

    if (removeMin < 0) {
      assertThat(p.supportsArbitraryRemoval()).isFalse();
      return;
    }
    Placement q = Placements.byName(spec);
    for (int id = 0; id < SERVERS; id++) {
      q.addServer(id, MoveListener.NONE);
    }
    int[] base = owners(q, hashes);
    q.removeServer(random.nextInt(SERVERS), MoveListener.NONE);
    double removeRatio = changed(base, owners(q, hashes)) / ((double) KEYS / SERVERS);
    assertThat(removeRatio).as("%s remove moves / optimal", spec).isBetween(removeMin, removeMax);
  }

  private static int[] owners(Placement p, int[] hashes) {
    int[] owners = new int[hashes.length];
    for (int i = 0; i < hashes.length; i++) {
      owners[i] = p.serverFor(hashes[i]);
    }
    return owners;
  }

  private static double changed(int[] a, int[] b) {
    int n = 0;
    for (int i = 0; i < a.length; i++) {
      n += a[i] != b[i] ? 1 : 0;
    }
    return n;
  }
}
