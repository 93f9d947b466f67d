package io.ringlb.core;

/**
 * The hash functions of the original design: djb2 over key bytes and an integer mixer over
 * server labels.
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
    int h = 5381;
    for (int i = offset, end = offset + length; i < end; i++) {
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
