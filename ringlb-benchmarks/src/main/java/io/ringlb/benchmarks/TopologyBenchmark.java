package io.ringlb.benchmarks;

import io.ringlb.core.HashRing;
import io.ringlb.core.Hashes;
import io.ringlb.core.LoadBalancer;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The cost of a topology change on a {@link LoadBalancer} holding {@code keys} entries on 1000
 * servers of the original ring (three labels each), with the keys held and the keys moved varied
 * independently.
 *
 * <p>Each operation adds a probe server and removes it again, so the balancer is back where it
 * started. The probe's labels are placed, from the sorted key hashes, so that it takes exactly
 * {@code moved} keys (within a few, where a label position equals a key hash): with the keys held
 * per server fixed, time should grow with {@code moved}; with {@code moved} fixed, it should not
 * grow with {@code keys}. {@code addRemoveSeedServer} adds and removes a server of the original
 * design (about keys/1000 move each way; with no keys it measures the fixed cost of updating the
 * ring of 3000 labels). Each fork prints the keys moved per operation.
 *
 * <p>{@code java -jar ringlb-benchmarks/target/benchmarks.jar Topology}
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(
    value = 1,
    jvmArgsAppend = {"-Xmx6g"})
public class TopologyBenchmark {

  static final int SERVERS = 1000;
  static final int PROBE = 100_000;

  /** A balancer whose probe server takes exactly {@code moved} keys. */
  @State(Scope.Benchmark)
  public static class Probe {

    @Param({"1000000", "10000000"})
    int keys;

    @Param({"10", "100", "1000", "10000"})
    int moved;

    LoadBalancer balancer;
    int[] probePoints;
    int[] neighbours;
    long movedPerOp = -1;

    @Setup(Level.Trial)
    public void setUp() {
      HashRing ring =
          HashRing.create(
              "bench",
              Hashes.djb2(),
              (id, weight) ->
                  id == PROBE
                      ? probePoints.clone()
                      : new int[] {
                        Hashes.seedLabel(id),
                        Hashes.seedLabel(100_000 + id),
                        Hashes.seedLabel(200_000 + id)
                      });
      balancer = LoadBalancer.builder().placement(ring).build();
      for (int id : Fixtures.serverIds(SERVERS, 11)) {
        balancer.addServer(id);
      }
      int[] sorted = fill(balancer, keys);
      // start the window right after the label in the middle of the ring
      int start = ring.positionAt(ring.labelCount() / 2);
      int from = upperBound(sorted, start ^ Integer.MIN_VALUE);
      if (from + moved > sorted.length) {
        from = 0;
      }
      int last = sorted[from + moved - 1] ^ Integer.MIN_VALUE;
      // a label just below every label inside the window takes that label's part of the window,
      // and one at the window's last hash takes the rest
      int[] points = new int[ring.labelCount() + 1];
      int[] owners = new int[ring.labelCount() + 1];
      int n = 0;
      for (int l = 0; l < ring.labelCount(); l++) {
        int p = ring.positionAt(l);
        if (Integer.compareUnsigned(p, start) > 0 && Integer.compareUnsigned(p, last) <= 0) {
          points[n] = p - 1;
          owners[n++] = ring.serverAt(l);
        }
      }
      points[n] = last;
      owners[n++] = ring.serverFor(last);
      probePoints = Arrays.copyOf(points, n);
      neighbours = Arrays.stream(owners, 0, n).distinct().toArray();
      settle();
    }

    @TearDown(Level.Trial)
    public void report() {
      System.out.printf(
          "%n[topology] keys %d, asked to move %d: %d keys moved per add+remove"
              + " (%d each way), probe has %d labels, %d neighbours holding %d keys%n",
          keys,
          moved,
          movedPerOp,
          movedPerOp / 2,
          probePoints.length,
          neighbours.length,
          Arrays.stream(neighbours).mapToLong(balancer::keys).sum());
    }
  }

  /** A balancer to which a server of the original design is added and removed. */
  @State(Scope.Benchmark)
  public static class Natural {

    @Param({"0", "1000000", "10000000"})
    int keys;

    LoadBalancer balancer;
    int extra;
    long movedPerOp = -1;

    @Setup(Level.Trial)
    public void setUp() {
      balancer = LoadBalancer.seed();
      int[] ids = Fixtures.serverIds(SERVERS + 1, 11);
      for (int s = 0; s < SERVERS; s++) {
        balancer.addServer(ids[s]);
      }
      extra = ids[SERVERS];
      fill(balancer, keys);
      settle();
    }

    @TearDown(Level.Trial)
    public void report() {
      System.out.printf(
          "%n[topology] keys %d: adding and removing seed server %d moves %d keys"
              + " (%d each way)%n",
          keys, extra, movedPerOp, movedPerOp / 2);
    }
  }

  /** Adds the probe server, which takes {@code moved} keys, and removes it again. */
  @Benchmark
  public long addRemoveProbe(Probe state) {
    long moved = state.balancer.addServer(PROBE);
    moved += state.balancer.removeServer(PROBE);
    state.movedPerOp = moved;
    return moved;
  }

  /** Adds a server of the original design (three seed labels) and removes it again. */
  @Benchmark
  public long addRemoveSeedServer(Natural state) {
    long moved = state.balancer.addServer(state.extra);
    moved += state.balancer.removeServer(state.extra);
    state.movedPerOp = moved;
    return moved;
  }

  /**
   * Collects the garbage of the fill before measuring: otherwise the collector's clean-up of
   * several gigabytes of grown-and-dropped arrays lands in the first measured iterations.
   */
  static void settle() {
    for (int i = 0; i < 3; i++) {
      System.gc();
    }
  }

  /** Stores {@code keys} keys; returns their hashes, sign bit flipped, sorted. */
  static int[] fill(LoadBalancer balancer, int keys) {
    byte[] key = new byte[Fixtures.KEY_LENGTH];
    byte[] value = new byte[Fixtures.VALUE_LENGTH];
    int[] hashes = new int[keys];
    for (int k = 0; k < keys; k++) {
      Fixtures.key(k, key);
      Fixtures.value(k, 0, value);
      int hash = Hashes.djb2(key, 0, key.length);
      balancer.store(hash, key, 0, key.length, value, 0, value.length);
      hashes[k] = hash ^ Integer.MIN_VALUE;
    }
    Arrays.sort(hashes);
    return hashes;
  }

  /** Returns the index of the first element above {@code key}. */
  static int upperBound(int[] sorted, int key) {
    int lo = 0;
    int hi = sorted.length;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (sorted[mid] <= key) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }
}
