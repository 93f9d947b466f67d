package io.ringlb.benchmarks;

import com.google.common.hash.Hashing;
import io.ringlb.core.HashRing;
import io.ringlb.core.Hashes;
import io.ringlb.core.Placement;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The owner of a key hash: ringlb's {@link HashRing} (sorted {@code int[]}, binary search) against
 * a {@code TreeMap} ketama ring with the same label positions, and Guava's jump-style {@code
 * consistentHash} for reference, in one run.
 *
 * <p>{@code java -jar ringlb-benchmarks/target/benchmarks.jar RingLookup}
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class RingLookupBenchmark {

  private static final int KEYS = 1 << 14;
  private static final int MASK = KEYS - 1;

  @Param({"10", "100", "1000"})
  int servers;

  @Param({"3", "160"})
  int labels;

  private HashRing ring;
  private TreeMapRing treeMap;
  private int[] guavaIds;
  private int[] hashes;
  private int i;

  @Setup
  public void setUp() {
    int[] ids = Fixtures.serverIds(servers, 7);
    ring = HashRing.seed(labels, Hashes.djb2(), Hashes.seedLabel());
    treeMap = new TreeMapRing();
    for (int id : ids) {
      ring.addServer(id, Placement.MoveListener.NONE);
      int[] positions = new int[labels];
      for (int r = 0; r < labels; r++) {
        positions[r] = Hashes.seedLabel(r * 100_000 + id);
      }
      treeMap.add(id, positions);
    }
    guavaIds = ids;
    hashes = Fixtures.keyHashes(KEYS);
    // the two rings must agree, or the comparison means nothing
    for (int hash : hashes) {
      if (ring.serverFor(hash) != treeMap.serverFor(hash)) {
        throw new IllegalStateException("rings disagree on hash " + Integer.toUnsignedString(hash));
      }
    }
  }

  /** ringlb's ring: binary search over the sorted label positions. */
  @Benchmark
  public int hashRing() {
    return ring.serverFor(hashes[i++ & MASK]);
  }

  /** The ketama ring of spymemcached and Dubbo: {@code TreeMap.ceilingEntry} on a boxed Long. */
  @Benchmark
  public int treeMap() {
    return treeMap.serverFor(hashes[i++ & MASK]);
  }

  /** Guava's {@code Hashing.consistentHash} over as many buckets (no labels; reference only). */
  @Benchmark
  public int guavaConsistentHash() {
    return guavaIds[Hashing.consistentHash(Integer.toUnsignedLong(hashes[i++ & MASK]), servers)];
  }
}
