package io.ringlb.simulator;

import io.ringlb.core.Placement;
import io.ringlb.core.Placement.MoveListener;
import io.ringlb.placement.Placements;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;

/**
 * Measures placement strategies on the same keys: balance over N servers, keys moved when a server
 * joins and when an arbitrary one leaves, and the cost of a lookup.
 *
 * <p>The keys are {@code K} random 32-character hex strings drawn from the seed, each hashed by the
 * strategy's own key hash. Servers have ids {@code 0..N-1}, added in order; server {@code N} joins
 * for the addition, and one server drawn from the seed (the same for every strategy) leaves a fresh
 * N-server placement for the removal. Moved keys are counted by asking every key's owner before and
 * after. Lookup cost is the best of a few timed passes of {@code serverFor} over all key hashes in
 * random order (repeated to at least a million calls), each strategy through a loop of its own
 * ({@link Placements#lookupLoop}): the throughput of independent lookups, a measurement rather than
 * a benchmark.
 */
public final class Simulator {

  /** Labels per server for which the ring's balance is measured. */
  static final int[] SWEEP_LABELS = {1, 2, 5, 10, 20, 50, 100, 160, 200, 500, 1000, 2000};

  private static final int KEY_LENGTH = 32;
  private static final long TIMING_BUDGET_NANOS = 600_000_000L;
  private static final long MIN_PASS_LOOKUPS = 1_000_000;

  private final int servers;
  private final int keyCount;
  private final long seed;
  private final List<String> strategies;
  private final Progress progress;
  private final boolean sweep;

  /** Receives the progress of a run, as the phase under way and the fraction done. */
  @FunctionalInterface
  public interface Progress {

    /** Ignores progress. */
    Progress NONE = (phase, fraction) -> {};

    /** Called before each phase with the fraction of the run already done, in [0, 1]. */
    void update(String phase, double fraction);
  }

  private Simulator(Builder b) {
    this.servers = b.servers;
    this.keyCount = b.keys;
    this.seed = b.seed;
    this.strategies = List.copyOf(b.strategies);
    this.progress = b.progress;
    this.sweep = b.ringSweep;
  }

  /** Returns a builder: 100 servers, 1,000,000 keys, seed 1, every strategy. */
  public static Builder builder() {
    return new Builder();
  }

  /** Configures a {@link Simulator}. */
  public static final class Builder {
    private int servers = 100;
    private int keys = 1_000_000;
    private long seed = 1;
    private List<String> strategies = Placements.names();
    private Progress progress = Progress.NONE;
    private boolean ringSweep = true;

    private Builder() {}

    /** Sets the number of servers, at least 2 (one must remain after a removal). */
    public Builder servers(int servers) {
      if (servers < 2 || servers > 99_999) {
        throw new IllegalArgumentException("servers must be between 2 and 99999: " + servers);
      }
      this.servers = servers;
      return this;
    }

    /** Sets the number of keys, at least 1. */
    public Builder keys(int keys) {
      if (keys < 1 || keys > 20_000_000) {
        throw new IllegalArgumentException("keys must be between 1 and 20000000: " + keys);
      }
      this.keys = keys;
      return this;
    }

    /** Sets the seed of the keys and of the removed server. */
    public Builder seed(long seed) {
      this.seed = seed;
      return this;
    }

    /**
     * Sets the strategies, as specs for {@link Placements#byName(String)}; each is checked now.
     *
     * @throws IllegalArgumentException for an empty list or an invalid spec
     */
    public Builder strategies(List<String> specs) {
      Objects.requireNonNull(specs, "specs");
      if (specs.isEmpty()) {
        throw new IllegalArgumentException(
            "at least one strategy is needed; valid: " + Placements.specs());
      }
      for (String spec : specs) {
        Placements.byName(spec);
      }
      this.strategies = List.copyOf(specs);
      return this;
    }

    /** Sets the receiver of progress updates. */
    public Builder progress(Progress progress) {
      this.progress = Objects.requireNonNull(progress, "progress");
      return this;
    }

    /** Sets whether to measure the ring's balance against labels per server (default true). */
    public Builder ringSweep(boolean ringSweep) {
      this.ringSweep = ringSweep;
      return this;
    }

    /** Returns the simulator. */
    public Simulator build() {
      return new Simulator(this);
    }
  }

  /** Runs every strategy and returns what was measured. */
  public Simulation run() {
    boolean withSweep = sweep && strategies.stream().anyMatch(s -> s.trim().startsWith("ring"));
    int steps = strategies.size() * 4 + (withSweep ? SWEEP_LABELS.length : 0) + 1;
    int step = 0;
    progress.update("generating " + keyCount + " keys", 0);
    byte[] keys = keys(keyCount, seed);
    int removed = new SplittableRandom(seed ^ 0x5DEECE66DL).nextInt(servers);
    step++;
    List<StrategyResult> results = new ArrayList<>();
    for (String spec : strategies) {
      String name = Placements.byName(spec).name();
      progress.update(name + ": hashing and placing", (double) step++ / steps);
      Measured base = measureBase(spec, keys);
      progress.update(name + ": timing lookups", (double) step++ / steps);
      double lookupNs = timeLookups(base.placement, base.hashes);
      progress.update(name + ": adding a server", (double) step++ / steps);
      Movement add = add(base);
      progress.update(name + ": removing a server", (double) step++ / steps);
      Movement remove = remove(spec, base, removed);
      results.add(result(name, base, lookupNs, add, remove, removed));
    }
    List<Simulation.LabelBalance> ringSweep = new ArrayList<>();
    if (withSweep) {
      int[] hashes = null;
      for (int labels : SWEEP_LABELS) {
        progress.update("ring balance with " + labels + " labels", (double) step++ / steps);
        Placement ring = Placements.ring(labels);
        if (hashes == null) {
          hashes = hashAll(ring, keys);
        }
        for (int id = 0; id < servers; id++) {
          ring.addServer(id, MoveListener.NONE);
        }
        int[] loads = new int[servers];
        for (int h : hashes) {
          loads[ring.serverFor(h)]++;
        }
        double maxShare = 0;
        for (int id = 0; id < servers; id++) {
          maxShare = Math.max(maxShare, ring.share(id));
        }
        ringSweep.add(new Simulation.LabelBalance(labels, peak(loads), maxShare * servers));
      }
    }
    progress.update("done", 1);
    return new Simulation(servers, keyCount, seed, results, ringSweep);
  }

  /** The placement with N servers, its key hashes, owners and loads, and the hashing cost. */
  private record Measured(
      Placement placement, int[] hashes, int[] owners, int[] loads, double hashNs) {}

  /** Keys moved by one change: all, and those that moved between servers not concerned. */
  private record Movement(long moved, long stray, boolean ranges, boolean supported) {}

  private Measured measureBase(String spec, byte[] keys) {
    Placement p = Placements.byName(spec);
    for (int i = 0, warm = Math.min(keyCount, 20_000); i < warm; i++) {
      p.hashKey(keys, i * KEY_LENGTH, KEY_LENGTH); // warm-up
    }
    long start = System.nanoTime();
    int[] hashes = hashAll(p, keys);
    double hashNs = (double) (System.nanoTime() - start) / keyCount;
    for (int id = 0; id < servers; id++) {
      p.addServer(id, MoveListener.NONE);
    }
    int[] owners = owners(p, hashes);
    int[] loads = new int[servers];
    for (int owner : owners) {
      loads[owner]++;
    }
    return new Measured(p, hashes, owners, loads, hashNs);
  }

  private Movement add(Measured base) {
    Recorder recorder = new Recorder();
    base.placement.addServer(servers, recorder);
    int[] after = owners(base.placement, base.hashes);
    long moved = 0;
    long stray = 0;
    for (int i = 0; i < after.length; i++) {
      if (after[i] != base.owners[i]) {
        moved++;
        if (after[i] != servers) {
          stray++;
        }
      }
    }
    return new Movement(moved, stray, recorder.ranges > 0 && !recorder.reassigned, true);
  }

  private Movement remove(String spec, Measured base, int removed) {
    Placement p = Placements.byName(spec);
    for (int id = 0; id < servers; id++) {
      p.addServer(id, MoveListener.NONE);
    }
    if (!p.supportsArbitraryRemoval()) {
      return new Movement(0, 0, false, false);
    }
    int[] before = owners(p, base.hashes);
    Recorder recorder = new Recorder();
    p.removeServer(removed, recorder);
    int[] after = owners(p, base.hashes);
    long moved = 0;
    long stray = 0;
    for (int i = 0; i < after.length; i++) {
      if (after[i] != before[i]) {
        moved++;
        if (before[i] != removed) {
          stray++;
        }
      }
    }
    return new Movement(moved, stray, recorder.ranges > 0 && !recorder.reassigned, true);
  }

  private StrategyResult result(
      String name, Measured base, double lookupNs, Movement add, Movement remove, int removed) {
    int[] loads = base.loads;
    double average = (double) keyCount / servers;
    double sumSquares = 0;
    for (int load : loads) {
      sumSquares += (load - average) * (load - average);
    }
    double stddevKeys = Math.sqrt(sumSquares / servers);
    double k = keyCount;
    return new StrategyResult(
        name,
        peak(loads),
        stddevKeys / average,
        stddevKeys,
        add.moved / k,
        1.0 / (servers + 1),
        add.stray / k,
        remove.supported ? remove.moved / k : null,
        1.0 / servers,
        remove.supported ? remove.stray / k : null,
        lookupNs,
        base.hashNs,
        add.ranges || remove.ranges,
        Placements.canHoldStore(base.placement),
        removed,
        loads.clone());
  }

  private double peak(int[] loads) {
    int max = 0;
    for (int load : loads) {
      max = Math.max(max, load);
    }
    return max / ((double) keyCount / loads.length);
  }

  private int[] hashAll(Placement p, byte[] keys) {
    int[] hashes = new int[keyCount];
    for (int i = 0; i < keyCount; i++) {
      hashes[i] = p.hashKey(keys, i * KEY_LENGTH, KEY_LENGTH);
    }
    return hashes;
  }

  private static int[] owners(Placement p, int[] hashes) {
    int[] owners = new int[hashes.length];
    for (int i = 0; i < hashes.length; i++) {
      owners[i] = p.serverFor(hashes[i]);
    }
    return owners;
  }

  /** Sink for lookup results, so that the timed loop cannot be optimized away. */
  static volatile long sink;

  private double timeLookups(Placement p, int[] hashes) {
    // each pass makes at least MIN_PASS_LOOKUPS calls, repeating the hashes for small key counts
    int repeat = (int) Math.max(1, (MIN_PASS_LOOKUPS + hashes.length - 1) / hashes.length);
    long calls = (long) repeat * hashes.length;
    long sum = Placements.lookupLoop(p, hashes, Math.max(1, 300_000 / hashes.length)); // warm-up
    double best = Double.MAX_VALUE;
    long spent = 0;
    for (int pass = 0; pass < 5 && (pass < 2 || spent < TIMING_BUDGET_NANOS); pass++) {
      long start = System.nanoTime();
      sum += Placements.lookupLoop(p, hashes, repeat);
      long elapsed = System.nanoTime() - start;
      spent += elapsed;
      best = Math.min(best, (double) elapsed / calls);
    }
    sink = sum;
    return best;
  }

  /**
   * Returns the keys a run with {@code seed} uses: {@code count} random 32-character lowercase hex
   * strings, back to back (key {@code i} is bytes {@code 32 * i} to {@code 32 * i + 31}).
   */
  public static byte[] keys(int count, long seed) {
    byte[] hex = "0123456789abcdef".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    byte[] keys = new byte[count * KEY_LENGTH];
    SplittableRandom random = new SplittableRandom(seed);
    for (int i = 0, at = 0; i < count; i++) {
      for (int half = 0; half < 2; half++) {
        long bits = random.nextLong();
        for (int c = 0; c < 16; c++, bits >>>= 4) {
          keys[at++] = hex[(int) (bits & 15)];
        }
      }
    }
    return keys;
  }

  /** Counts the move reports of a change. */
  private static final class Recorder implements MoveListener {
    long ranges;
    boolean reassigned;

    @Override
    public void moved(int fromServer, int toServer, int lo, int hi) {
      ranges++;
    }

    @Override
    public void reassigned() {
      reassigned = true;
    }
  }
}
