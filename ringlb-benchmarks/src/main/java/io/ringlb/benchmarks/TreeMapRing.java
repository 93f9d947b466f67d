package io.ringlb.benchmarks;

import java.util.Map;
import java.util.TreeMap;

/**
 * A ketama-style ring the way spymemcached's {@code KetamaNodeLocator} and Dubbo's {@code
 * ConsistentHashLoadBalance} build it: a {@code TreeMap<Long, node>} of label positions, looked up
 * with {@code ceilingEntry}, wrapping to {@code firstEntry}. The reference ringlb's array ring is
 * measured against.
 */
final class TreeMapRing {

  private final TreeMap<Long, Integer> ring = new TreeMap<>();

  /** Adds a server's labels at the given unsigned 32-bit positions; ties keep the lower id. */
  void add(int serverId, int[] positions) {
    for (int position : positions) {
      ring.merge(Integer.toUnsignedLong(position), serverId, Math::min);
    }
  }

  /** Returns the server owning the unsigned 32-bit {@code hash}, or -1 when the ring is empty. */
  int serverFor(int hash) {
    Map.Entry<Long, Integer> entry = ring.ceilingEntry(Integer.toUnsignedLong(hash));
    if (entry == null) {
      entry = ring.firstEntry();
      if (entry == null) {
        return -1;
      }
    }
    return entry.getValue();
  }

  /** Returns the number of labels. */
  int labelCount() {
    return ring.size();
  }
}
