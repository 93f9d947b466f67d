package io.ringlb.core;

/**
 * The hash functions of the original design: djb2 over key bytes and an integer mixer over server
 * labels.
 */
public final class Hashes {

  private Hashes() {}

  /**
   * Returns djb2 ({@code h = 5381; h = h * 33 + b} for each unsigned byte), the key hash of the
   * original design; fast but weak, so short keys cluster near zero.
   */
  public static KeyHash djb2() {
    return Djb2.INSTANCE;
  }

  /** Returns the original design's label mixer: two rounds of xor-shift-multiply by 0x45d9f3b. */
  public static LabelHash seedLabel() {
    return SeedLabel.INSTANCE;
  }

  /** Computes djb2 directly, for callers on a hot path that want no interface dispatch. */
  public static int djb2(byte[] key, int offset, int length) {
    // Four bytes per step: h * 33^4 + b0 * 33^3 + b1 * 33^2 + b2 * 33 + b3 is the same value mod
    // 2^32 as four single steps, with a quarter of the dependent multiplications.
    int h = 5381;
    int i = offset;
    int end = offset + length;
    for (int stop = end - 3; i < stop; i += 4) {
      h =
          h * 1185921
              + (key[i] & 0xFF) * 35937
              + (key[i + 1] & 0xFF) * 1089
              + (key[i + 2] & 0xFF) * 33
              + (key[i + 3] & 0xFF);
    }
    for (; i < end; i++) {
      h = h * 33 + (key[i] & 0xFF);
    }
    return h;
  }

  /** Computes the original label mixer directly. */
  public static int seedLabel(int x) {
    x = ((x >>> 16) ^ x) * 0x45d9f3b;
    x = ((x >>> 16) ^ x) * 0x45d9f3b;
    return (x >>> 16) ^ x;
  }

  enum Djb2 implements KeyHash {
    INSTANCE;

    @Override
    public int hash(byte[] key, int offset, int length) {
      return djb2(key, offset, length);
    }

    @Override
    public String toString() {
      return "djb2";
    }
  }

  enum SeedLabel implements LabelHash {
    INSTANCE;

    @Override
    public int hash(int label) {
      return seedLabel(label);
    }

    @Override
    public String toString() {
      return "seed-label";
    }
  }
}
