package io.ringlb.proxy;

import io.ringlb.core.Placement;
import java.util.Arrays;
import java.util.Collection;

/**
 * One immutable state of the ring, as the I/O threads route by it: the placement that owns each
 * key, the placement before the running migration (null when none runs), and every backend either
 * names.
 *
 * <p>Topologies are replaced, never changed: a change publishes a new one with a higher epoch, and
 * requests routed by the older one are waited for before any request of the newer one is sent (see
 * {@link Topologies#switchTo}), so the two never interleave on a key.
 */
final class Topology {

  private final long epoch;

  /** Who owns each key now; excludes ejected backends. */
  private final Placement placement;

  /** Who owned each key before the running migration, or null. */
  private final Placement previous;

  /** The ring members as configured (ejected ones included), ascending. */
  private final int[] ring;

  /** Every backend that {@link #placement}, {@link #previous} or {@link #ring} names, by id. */
  private final int[] ids;

  private final Backend[] backends;

  /** The running migration, or null. */
  private final Migration migration;

  Topology(
      long epoch,
      Placement placement,
      Placement previous,
      int[] ring,
      Collection<Backend> backends,
      Migration migration) {
    this.epoch = epoch;
    this.placement = placement;
    this.previous = previous;
    this.ring = ring.clone();
    Arrays.sort(this.ring);
    Backend[] sorted = backends.toArray(new Backend[0]);
    Arrays.sort(sorted, (a, b) -> Integer.compare(a.id(), b.id()));
    this.backends = sorted;
    this.ids = new int[sorted.length];
    for (int i = 0; i < sorted.length; i++) {
      ids[i] = sorted[i].id();
    }
    this.migration = migration;
  }

  /** Rises with every topology published. */
  long epoch() {
    return epoch;
  }

  /** Who owns each key now; excludes ejected backends. */
  Placement placement() {
    return placement;
  }

  /** Who owned each key before the running migration, or null. */
  Placement previous() {
    return previous;
  }

  /** The ring members as configured (ejected ones included), ascending, as a new array. */
  int[] ring() {
    return ring.clone();
  }

  /** The number of ring members (ejected ones included). */
  int ringSize() {
    return ring.length;
  }

  /** The running migration, or null. */
  Migration migration() {
    return migration;
  }

  /** Returns the backend with {@code id}, or null. */
  Backend backend(int id) {
    int i = Arrays.binarySearch(ids, id);
    return i < 0 ? null : backends[i];
  }

  /** Returns every backend, ascending by id. */
  Backend[] backends() {
    return backends.clone();
  }

  /** Returns every backend, ascending by id, as a new list. */
  java.util.List<Backend> backendsList() {
    return new java.util.ArrayList<>(Arrays.asList(backends));
  }

  int backendCount() {
    return backends.length;
  }

  Backend backendAt(int index) {
    return backends[index];
  }

  boolean inRing(int id) {
    return Arrays.binarySearch(ring, id) >= 0;
  }
}
