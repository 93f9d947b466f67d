package io.ringlb.placement;

import io.ringlb.core.KeyHash;
import net.openhft.hashing.LongHashFunction;

/**
 * The 64-bit hashing shared by the strategies: XXH3 (zero-allocation-hashing) over key bytes and
 * over small integer tuples, and the reduction of a 64-bit hash to a 32-bit ring position.
 */
final class Hash64 {

  /** XXH3-64 with the default secret and seed 0. */
  static final LongHashFunction XXH3 = LongHashFunction.xx3();

  private Hash64() {}

  /** Returns the key hash of the strategies that route on XXH3: its high 32 bits. */
  static KeyHash xxh3Keys() {
    return Xxh3Keys.INSTANCE;
  }

  /** Returns the high 32 bits of {@code hash}, the position a 64-bit hash gives on the ring. */
  static int high(long hash) {
    return (int) (hash >>> 32);
  }

  /** Returns the 64-bit hash of the pair {@code (a, b)}. */
  static long pair(int a, int b) {
    return XXH3.hashLong(((long) a << 32) | (b & 0xFFFF_FFFFL));
  }

  /** Spreads a 32-bit routing hash to the 64 well-mixed bits that jump-style schemes consume. */
  static long spread(int keyHash) {
    return XXH3.hashInt(keyHash);
  }

  /**
   * Maps {@code hash} (32 bits, unsigned) onto {@code [0, n)} by multiply-shift, so that each
   * result owns one contiguous range of hashes.
   */
  static int scale(int hash, int n) {
    return (int) (((hash & 0xFFFF_FFFFL) * n) >>> 32);
  }

  /** Returns the first hash that {@link #scale} maps to {@code index} for a table of {@code n}. */
  static int firstHashOf(int index, int n) {
    // smallest h with floor(h * n / 2^32) >= index, i.e. ceil(index * 2^32 / n)
    long numerator = (long) index << 32;
    return (int) ((numerator + n - 1) / n);
  }

  enum Xxh3Keys implements KeyHash {
    INSTANCE;

    @Override
    public int hash(byte[] key, int offset, int length) {
      return (int) (XXH3.hashBytes(key, offset, length) >>> 32);
    }

    @Override
    public String toString() {
      return "xxh3";
    }
  }
}
