package io.ringlb.placement;

import io.ringlb.core.HashRing;
import io.ringlb.core.Placement.MoveListener;

/** Reports, as hash ranges, where two rings disagree about the owner of a hash. */
final class RingDiff {

  private RingDiff() {}

  /**
   * Reports every maximal range of hashes whose owner in {@code before} differs from its owner in
   * {@code after}, merging adjacent ranges with the same two servers. Neither ring may be empty.
   */
  static void report(HashRing before, HashRing after, MoveListener moves) {
    if (before.labelCount() == 0 || after.labelCount() == 0) {
      return;
    }
    int[] bounds = boundaries(before, after);
    // intervals: [0, b0], (b0, b1], ..., (b_last, 2^32 - 1]; an interval's owner in a ring is the
    // owner of its last hash
    int pendingFrom = -1;
    int pendingTo = -1;
    int pendingLo = 0;
    int pendingHi = 0;
    boolean pending = false;
    int lo = 0;
    int count = bounds.length;
    boolean tail = bounds[count - 1] != -1;
    for (int k = 0; k <= count; k++) {
      int hi;
      if (k < count) {
        hi = bounds[k];
      } else if (tail) {
        hi = -1;
      } else {
        break;
      }
      int from = before.serverFor(hi);
      int to = after.serverFor(hi);
      if (from != to) {
        if (pending && pendingFrom == from && pendingTo == to && pendingHi + 1 == lo) {
          pendingHi = hi;
        } else {
          if (pending) {
            moves.moved(pendingFrom, pendingTo, pendingLo, pendingHi);
          }
          pending = true;
          pendingFrom = from;
          pendingTo = to;
          pendingLo = lo;
          pendingHi = hi;
        }
      }
      lo = hi + 1;
    }
    if (pending) {
      moves.moved(pendingFrom, pendingTo, pendingLo, pendingHi);
    }
  }

  /** Returns the distinct label positions of both rings, ascending unsigned. */
  private static int[] boundaries(HashRing a, HashRing b) {
    int n = a.labelCount();
    int m = b.labelCount();
    int[] out = new int[n + m];
    int i = 0;
    int j = 0;
    int count = 0;
    while (i < n || j < m) {
      int next;
      if (j == m || (i < n && Integer.compareUnsigned(a.positionAt(i), b.positionAt(j)) <= 0)) {
        next = a.positionAt(i++);
      } else {
        next = b.positionAt(j++);
      }
      if (count == 0 || out[count - 1] != next) {
        out[count++] = next;
      }
    }
    return java.util.Arrays.copyOf(out, count);
  }
}
