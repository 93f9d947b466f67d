package io.ringlb.server;

import io.ringlb.core.Placement;
import java.util.ArrayList;
import java.util.List;

/**
 * Divides the 32-bit hash space into the arcs each server of a {@link Placement} owns, for a
 * picture of the ring: the owner of {@value #SAMPLES} evenly spaced hashes, runs of one owner
 * merged into one arc, so an arc is exact to 1/{@value #SAMPLES} of the ring whatever the placement
 * (ring labels, slots, jump...).
 */
public final class RingArcs {

  /** Hashes sampled around the ring. */
  public static final int SAMPLES = 2048;

  private static final long SPACE = 1L << 32;

  private RingArcs() {}

  /** Returns the arcs of {@code placement}, which the caller keeps from changing meanwhile. */
  public static List<RingView.Arc> of(Placement placement) {
    List<RingView.Arc> arcs = new ArrayList<>();
    if (placement.size() == 0) {
      return arcs;
    }
    long step = SPACE / SAMPLES;
    long start = 0;
    int owner = placement.serverFor(0);
    for (int i = 1; i < SAMPLES; i++) {
      long at = i * step;
      int next = placement.serverFor((int) at);
      if (next != owner) {
        arcs.add(new RingView.Arc(owner, start, at));
        owner = next;
        start = at;
      }
    }
    arcs.add(new RingView.Arc(owner, start, SPACE));
    return arcs;
  }
}
