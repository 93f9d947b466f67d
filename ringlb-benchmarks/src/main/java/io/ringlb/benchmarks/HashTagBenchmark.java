package io.ringlb.benchmarks;

import io.ringlb.core.HashRing;
import io.ringlb.core.HashTag;
import io.ringlb.core.Placement;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What routing on hash tags costs a request: the owner of a key through the seed ring, directly
 * (the baseline) and through {@link HashTag#on}, for keys without a tag and keys with one.
 *
 * <p>{@code java -jar ringlb-benchmarks/target/benchmarks.jar HashTag}
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class HashTagBenchmark {

  private static final int KEYS = 1 << 12;
  private static final int MASK = KEYS - 1;

  private Placement plain;
  private Placement tagged;
  private byte[][] untaggedKeys;
  private byte[][] taggedKeys;
  private int i;

  @Setup
  public void setUp() {
    HashRing ring = HashRing.seed();
    for (int id = 0; id < 3; id++) {
      ring.addServer(id, Placement.MoveListener.NONE);
    }
    plain = ring;
    tagged = HashTag.BRACES.on(ring);
    untaggedKeys = new byte[KEYS][];
    taggedKeys = new byte[KEYS][];
    for (int k = 0; k < KEYS; k++) {
      // the shapes redis-benchmark and applications use: key:000000012345, {user:12345}.cart
      untaggedKeys[k] = String.format("key:%012d", k * 7919L).getBytes(StandardCharsets.US_ASCII);
      taggedKeys[k] =
          String.format("{user:%d}.cart", k * 7919L).getBytes(StandardCharsets.US_ASCII);
    }
  }

  private static int owner(Placement p, byte[] key) {
    return p.serverFor(p.hashKey(key, 0, key.length));
  }

  /** Baseline: the whole key hashed and looked up, as without hash tags. */
  @Benchmark
  public int plainUntaggedKey() {
    return owner(plain, untaggedKeys[i++ & MASK]);
  }

  /** Hash tags on, a key without a tag: one scan for the opening brace more. */
  @Benchmark
  public int taggedUntaggedKey() {
    return owner(tagged, untaggedKeys[i++ & MASK]);
  }

  /** Hash tags on, a key with a tag: only the tag is hashed. */
  @Benchmark
  public int taggedTaggedKey() {
    return owner(tagged, taggedKeys[i++ & MASK]);
  }
}
