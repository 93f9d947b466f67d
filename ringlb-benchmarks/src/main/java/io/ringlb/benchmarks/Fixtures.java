package io.ringlb.benchmarks;

import io.ringlb.core.Hashes;
import java.util.SplittableRandom;

/** Deterministic inputs shared by the benchmarks: server ids, keys like the command files'. */
final class Fixtures {

  private static final byte[] HEX =
      "0123456789abcdef".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

  /** The length of a key: 32 hex characters, as in the command files. */
  static final int KEY_LENGTH = 32;

  /** The length of a value in the memory and balancer benchmarks. */
  static final int VALUE_LENGTH = 24;

  private Fixtures() {}

  /** Returns {@code count} distinct server ids in 0..99999, in a seeded random order. */
  static int[] serverIds(int count, long seed) {
    if (count > 100_000) {
      throw new IllegalArgumentException("at most 100000 server ids: " + count);
    }
    int[] all = new int[100_000];
    for (int i = 0; i < all.length; i++) {
      all[i] = i;
    }
    SplittableRandom random = new SplittableRandom(seed);
    for (int i = 0; i < count; i++) {
      int j = i + random.nextInt(all.length - i);
      int t = all[i];
      all[i] = all[j];
      all[j] = t;
    }
    return java.util.Arrays.copyOf(all, count);
  }

  /** Writes key number {@code index} (32 lowercase hex characters) into {@code out} at 0. */
  static void key(long index, byte[] out) {
    hex(mix(index), out, 0);
    hex(mix(index ^ 0x5DEECE66DL), out, 16);
  }

  /** Returns key number {@code index} as a new array. */
  static byte[] key(long index) {
    byte[] out = new byte[KEY_LENGTH];
    key(index, out);
    return out;
  }

  /**
   * Writes a 24-byte value for key {@code index}, version {@code version}, into {@code out} at 0.
   */
  static void value(long index, int version, byte[] out) {
    long v = mix(index * 31 + version);
    for (int i = 0; i < VALUE_LENGTH; i++) {
      out[i] = (byte) ('a' + (int) ((v >>> (i * 2 % 60)) & 0xF));
    }
  }

  /** Returns value {@code version} of key {@code index} as a new array. */
  static byte[] value(long index, int version) {
    byte[] out = new byte[VALUE_LENGTH];
    value(index, version, out);
    return out;
  }

  /** Returns the djb2 hashes of keys 0..count-1. */
  static int[] keyHashes(int count) {
    int[] hashes = new int[count];
    byte[] key = new byte[KEY_LENGTH];
    for (int i = 0; i < count; i++) {
      key(i, key);
      hashes[i] = Hashes.djb2(key, 0, KEY_LENGTH);
    }
    return hashes;
  }

  /** The splitmix64 finalizer. */
  static long mix(long z) {
    z += 0x9E3779B97F4A7C15L;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  private static void hex(long v, byte[] out, int at) {
    for (int i = 0; i < 16; i++) {
      out[at + i] = HEX[(int) (v >>> (60 - 4 * i)) & 0xF];
    }
  }
}
