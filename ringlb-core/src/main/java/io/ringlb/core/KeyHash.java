package io.ringlb.core;

/** A function from a key's bytes to the unsigned 32-bit hash a placement routes on. */
@FunctionalInterface
public interface KeyHash {

  /**
   * Returns the hash of {@code length} bytes of {@code key} from {@code offset}, as an int whose
   * bits are read as unsigned.
   */
  int hash(byte[] key, int offset, int length);

  /** Returns the hash of the whole of {@code key}. */
  default int hash(byte[] key) {
    return hash(key, 0, key.length);
  }
}
