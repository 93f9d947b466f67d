package io.ringlb.placement;

import io.ringlb.core.HashRing;
import io.ringlb.core.Placement;

/**
 * Runs {@code serverFor} over key hashes with one loop per placement class, so that each strategy
 * is timed through a call the JIT compiler binds to that one class and may inline, as in a server
 * that routes with a single placement, rather than through one call site shared (and made
 * megamorphic) by every strategy measured before it.
 */
final class LookupLoops {

  private LookupLoops() {}

  /** Looks up every hash {@code repeat} times and returns the sum of the owners. */
  static long run(Placement p, int[] hashes, int repeat) {
    if (p instanceof HashRing) {
      return loopRing((HashRing) p, hashes, repeat);
    }
    if (p instanceof KetamaPlacement) {
      return loopKetama((KetamaPlacement) p, hashes, repeat);
    }
    if (p instanceof JumpPlacement) {
      return loopJump((JumpPlacement) p, hashes, repeat);
    }
    if (p instanceof RendezvousPlacement) {
      return loopRendezvous((RendezvousPlacement) p, hashes, repeat);
    }
    if (p instanceof MaglevPlacement) {
      return loopMaglev((MaglevPlacement) p, hashes, repeat);
    }
    if (p instanceof BoundedLoadPlacement) {
      return loopBounded((BoundedLoadPlacement) p, hashes, repeat);
    }
    if (p instanceof MultiProbePlacement) {
      return loopMultiProbe((MultiProbePlacement) p, hashes, repeat);
    }
    if (p instanceof MementoPlacement) {
      return loopMemento((MementoPlacement) p, hashes, repeat);
    }
    if (p instanceof SlotPlacement) {
      return loopSlots((SlotPlacement) p, hashes, repeat);
    }
    return loopAny(p, hashes, repeat);
  }

  private static long loopAny(Placement p, int[] hashes, int repeat) {
    long sum = 0;
    for (int r = 0; r < repeat; r++) {
      for (int h : hashes) {
        sum += p.serverFor(h);
      }
    }
    return sum;
  }

  private static long loopRing(HashRing p, int[] hashes, int repeat) {
    long sum = 0;
    for (int r = 0; r < repeat; r++) {
      for (int h : hashes) {
        sum += p.serverFor(h);
      }
    }
    return sum;
  }

  private static long loopKetama(KetamaPlacement p, int[] hashes, int repeat) {
    long sum = 0;
    for (int r = 0; r < repeat; r++) {
      for (int h : hashes) {
        sum += p.serverFor(h);
      }
    }
    return sum;
  }

  private static long loopJump(JumpPlacement p, int[] hashes, int repeat) {
    long sum = 0;
    for (int r = 0; r < repeat; r++) {
      for (int h : hashes) {
        sum += p.serverFor(h);
      }
    }
    return sum;
  }

  private static long loopRendezvous(RendezvousPlacement p, int[] hashes, int repeat) {
    long sum = 0;
    for (int r = 0; r < repeat; r++) {
      for (int h : hashes) {
        sum += p.serverFor(h);
      }
    }
    return sum;
  }

  private static long loopMaglev(MaglevPlacement p, int[] hashes, int repeat) {
    long sum = 0;
    for (int r = 0; r < repeat; r++) {
      for (int h : hashes) {
        sum += p.serverFor(h);
      }
    }
    return sum;
  }

  private static long loopBounded(BoundedLoadPlacement p, int[] hashes, int repeat) {
    long sum = 0;
    for (int r = 0; r < repeat; r++) {
      for (int h : hashes) {
        sum += p.serverFor(h);
      }
    }
    return sum;
  }

  private static long loopMultiProbe(MultiProbePlacement p, int[] hashes, int repeat) {
    long sum = 0;
    for (int r = 0; r < repeat; r++) {
      for (int h : hashes) {
        sum += p.serverFor(h);
      }
    }
    return sum;
  }

  private static long loopMemento(MementoPlacement p, int[] hashes, int repeat) {
    long sum = 0;
    for (int r = 0; r < repeat; r++) {
      for (int h : hashes) {
        sum += p.serverFor(h);
      }
    }
    return sum;
  }

  private static long loopSlots(SlotPlacement p, int[] hashes, int repeat) {
    long sum = 0;
    for (int r = 0; r < repeat; r++) {
      for (int h : hashes) {
        sum += p.serverFor(h);
      }
    }
    return sum;
  }
}
