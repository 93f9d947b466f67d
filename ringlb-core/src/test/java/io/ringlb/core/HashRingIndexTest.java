package io.ringlb.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import java.util.TreeMap;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

/** The ring's lookup index against a plain scan of the labels, on spread and clustered rings. */
class HashRingIndexTest {

  @Property(tries = 300)
  void labelIndexFor_agreesWithScan(@ForAll long seed) {
    Random random = new Random(seed);
    // spread 0: positions anywhere; otherwise clustered into a few narrow windows, so that some
    // index buckets hold many labels and take the bisection path
    int windows = random.nextInt(4);
    int width = 1 << random.nextInt(20);
    int[] windowStarts = new int[Math.max(1, windows)];
    for (int w = 0; w < windowStarts.length; w++) {
      windowStarts[w] = random.nextInt();
    }
    TreeMap<Integer, int[]> layout = new TreeMap<>();
    HashRing ring = HashRing.create("test", Hashes.djb2(), (id, weight) -> layout.get(id));
    int servers = 1 + random.nextInt(60);
    for (int id = 0; id < servers; id++) {
      int[] points = new int[1 + random.nextInt(12)];
      for (int i = 0; i < points.length; i++) {
        points[i] =
            windows == 0
                ? random.nextInt()
                : windowStarts[random.nextInt(windows)] + random.nextInt(width);
      }
      layout.put(id, points);
      ring.addServer(id, Placement.MoveListener.NONE);
    }
    if (servers > 1 && random.nextBoolean()) {
      ring.removeServer(random.nextInt(servers), Placement.MoveListener.NONE);
    }
    for (int probe = 0; probe < 2000; probe++) {
      int hash = probeHash(ring, random);
      assertThat(ring.labelIndexFor(hash))
          .as("hash %s", Integer.toUnsignedString(hash))
          .isEqualTo(scan(ring, hash));
    }
  }

  @Test
  void labelIndexFor_extremeHashes() {
    TreeMap<Integer, int[]> layout = new TreeMap<>();
    layout.put(1, new int[] {0, -1, Integer.MIN_VALUE, Integer.MAX_VALUE});
    layout.put(2, new int[] {0, 1, -2});
    HashRing ring = HashRing.create("test", Hashes.djb2(), (id, weight) -> layout.get(id));
    ring.addServer(1, Placement.MoveListener.NONE);
    ring.addServer(2, Placement.MoveListener.NONE);
    for (int hash :
        new int[] {
          0,
          1,
          2,
          -1,
          -2,
          -3,
          Integer.MIN_VALUE,
          Integer.MAX_VALUE,
          Integer.MIN_VALUE + 1,
          Integer.MAX_VALUE - 1
        }) {
      assertThat(ring.labelIndexFor(hash))
          .as("hash %s", Integer.toUnsignedString(hash))
          .isEqualTo(scan(ring, hash));
    }
  }

  /** A hash near a label position or a bucket edge as often as a random one. */
  private static int probeHash(HashRing ring, Random random) {
    switch (random.nextInt(4)) {
      case 0:
        return ring.positionAt(random.nextInt(ring.labelCount())) + random.nextInt(3) - 1;
      case 1:
        return (random.nextInt() & 0xFFFFF000) + random.nextInt(3) - 1;
      default:
        return random.nextInt();
    }
  }

  /** The first label at or after {@code hash}, wrapping to 0, by scanning every label. */
  private static int scan(HashRing ring, int hash) {
    for (int i = 0; i < ring.labelCount(); i++) {
      if (Integer.compareUnsigned(ring.positionAt(i), hash) >= 0) {
        return i;
      }
    }
    return 0;
  }
}
