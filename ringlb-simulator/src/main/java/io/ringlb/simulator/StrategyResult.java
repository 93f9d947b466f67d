package io.ringlb.simulator;

import java.util.Objects;

/**
 * What the simulator measured for one strategy: balance, movement on adding and on removing a
 * server (fractions of all keys, beside the optimum), and lookup cost.
 *
 * @param strategy the canonical spec, e.g. {@code ring:160}
 * @param peakToAverage keys on the busiest server divided by the average
 * @param stddev standard deviation of keys per server, as a fraction of the average
 * @param stddevKeys standard deviation of keys per server, in keys
 * @param movedAdd fraction of keys that changed server when one server was added
 * @param optimalAdd the least fraction that must move then, {@code 1/(N+1)}
 * @param strayAdd fraction of keys that moved between servers that were already there
 * @param movedRemove fraction of keys that changed server when one arbitrary server was removed, or
 *     null when the strategy cannot remove an arbitrary server
 * @param optimalRemove the least fraction that must move then, {@code 1/N}
 * @param strayRemove fraction of keys that moved although their server stayed, or null
 * @param lookupNs nanoseconds per {@code serverFor} of a routing hash (best of several passes)
 * @param hashNs nanoseconds per {@code hashKey} of a 32-byte key
 * @param ranges whether the strategy reported its moves as hash ranges (else as reassignments)
 * @param storePlacement whether the strategy can hold a store ({@code run}, {@code serve})
 * @param removedServer the server removed for {@code movedRemove}
 * @param loads keys per server, indexed by server id {@code 0..N-1}
 */
public record StrategyResult(
    String strategy,
    double peakToAverage,
    double stddev,
    double stddevKeys,
    double movedAdd,
    double optimalAdd,
    double strayAdd,
    Double movedRemove,
    double optimalRemove,
    Double strayRemove,
    double lookupNs,
    double hashNs,
    boolean ranges,
    boolean storePlacement,
    int removedServer,
    int[] loads) {

  /** Validates the record. */
  public StrategyResult {
    Objects.requireNonNull(strategy, "strategy");
    Objects.requireNonNull(loads, "loads");
    if ((movedRemove == null) != (strayRemove == null)) {
      throw new IllegalArgumentException("movedRemove and strayRemove must both be null or not");
    }
  }

  /** Returns {@code movedAdd / optimalAdd}. */
  public double addRatio() {
    return movedAdd / optimalAdd;
  }

  /** Returns {@code movedRemove / optimalRemove}, or null. */
  public Double removeRatio() {
    return movedRemove == null ? null : movedRemove / optimalRemove;
  }
}
