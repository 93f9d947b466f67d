package io.ringlb.benchmarks;

import io.ringlb.core.Hashes;
import io.ringlb.core.LoadBalancer;
import io.ringlb.core.ValueSink;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
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
 * Store and retrieve on a {@link LoadBalancer} holding {@code keys} entries (32-byte keys, 24-byte
 * values) on 1000 servers of the original ring, through the allocation-free slice API that {@code
 * ringlb run} uses and through the {@code byte[]} convenience API; a {@code HashMap<String,
 * String>} with the same keys and values is measured alongside for scale (it has no ring).
 *
 * <p>{@code java -jar ringlb-benchmarks/target/benchmarks.jar Balancer}
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(
    value = 1,
    jvmArgsAppend = {"-Xmx2g"})
public class BalancerBenchmark {

  /** Probed keys cycle through this many of the stored keys (and as many absent ones). */
  private static final int PROBES = 1 << 16;

  private static final int MASK = PROBES - 1;

  @Param({"100000", "1000000"})
  int keys;

  private LoadBalancer balancer;
  private HashMap<String, String> hashMap;
  private byte[][] present;
  private int[] presentHashes;
  private byte[][] absent;
  private int[] absentHashes;
  private byte[][][] values;
  private String[] presentStrings;
  private String[] valueStrings;
  private int i;

  /** Folds each retrieved value into {@link #seen}, so the retrieve cannot be optimized away. */
  private int seen;

  private final ValueSink sink = (buf, off, len) -> seen += buf[off] + len;

  @Setup
  public void setUp() {
    balancer = LoadBalancer.seed();
    for (int id : Fixtures.serverIds(1000, 11)) {
      balancer.addServer(id);
    }
    hashMap = new HashMap<>();
    byte[] key = new byte[Fixtures.KEY_LENGTH];
    byte[] value = new byte[Fixtures.VALUE_LENGTH];
    for (int k = 0; k < keys; k++) {
      Fixtures.key(k, key);
      Fixtures.value(k, 0, value);
      balancer.store(Hashes.djb2(key, 0, key.length), key, 0, key.length, value, 0, value.length);
      hashMap.put(
          new String(key, StandardCharsets.ISO_8859_1),
          new String(value, StandardCharsets.ISO_8859_1));
    }
    present = new byte[PROBES][];
    presentHashes = new int[PROBES];
    absent = new byte[PROBES][];
    absentHashes = new int[PROBES];
    values = new byte[PROBES][2][];
    presentStrings = new String[PROBES];
    valueStrings = new String[PROBES];
    java.util.SplittableRandom random = new java.util.SplittableRandom(3);
    for (int p = 0; p < PROBES; p++) {
      int k = random.nextInt(keys);
      present[p] = Fixtures.key(k);
      presentHashes[p] = Hashes.djb2(present[p], 0, Fixtures.KEY_LENGTH);
      absent[p] = Fixtures.key(keys + (long) p);
      absentHashes[p] = Hashes.djb2(absent[p], 0, Fixtures.KEY_LENGTH);
      values[p][0] = Fixtures.value(k, 1);
      values[p][1] = Fixtures.value(k, 2);
      presentStrings[p] = new String(present[p], StandardCharsets.ISO_8859_1);
      valueStrings[p] = new String(values[p][1], StandardCharsets.ISO_8859_1);
    }
  }

  /** Retrieve of a stored key: ring lookup, table probe, value handed over in place. */
  @Benchmark
  public int retrievePresent() {
    int p = i++ & MASK;
    byte[] key = present[p];
    return balancer.retrieve(presentHashes[p], key, 0, key.length, sink) + seen;
  }

  /** Retrieve of a key that is not stored. */
  @Benchmark
  public int retrieveAbsent() {
    int p = i++ & MASK;
    byte[] key = absent[p];
    return balancer.retrieve(absentHashes[p], key, 0, key.length, sink) + seen;
  }

  /** Re-store of a stored key with another value of the same length (replaced in place). */
  @Benchmark
  public int storeReplace() {
    int p = i++;
    int slot = p & MASK;
    byte[] key = present[slot];
    byte[] value = values[slot][(p >>> 16) & 1];
    return balancer.store(presentHashes[slot], key, 0, key.length, value, 0, value.length);
  }

  /** Retrieve through the {@code byte[]} API: hashes the key and copies the value out. */
  @Benchmark
  public byte[] retrieveCopy() {
    return balancer.retrieve(present[i++ & MASK]);
  }

  /** Reference: {@code HashMap<String, String>.get} of a stored key (no ring, no bytes). */
  @Benchmark
  public String hashMapGet() {
    return hashMap.get(presentStrings[i++ & MASK]);
  }

  /** Reference: {@code HashMap<String, String>.put} replacing a stored key's value. */
  @Benchmark
  public String hashMapPut() {
    int slot = i++ & MASK;
    return hashMap.put(presentStrings[slot], valueStrings[slot]);
  }
}
