package io.ringlb.core;

/** A function from a server's 32-bit label to its unsigned 32-bit position on the ring. */
@FunctionalInterface
public interface LabelHash {

  /** Returns the ring position of {@code label}, as an int whose bits are read as unsigned. */
  int hash(int label);
}
