package io.ringlb.core;

/** Visits stored entries in place; the arrays are valid only during the call. */
@FunctionalInterface
public interface EntryVisitor {

  /** Visits one entry: its routing hash, key bytes and value bytes. */
  void visit(
      int hash,
      byte[] keys,
      int keyOffset,
      int keyLength,
      byte[] values,
      int valueOffset,
      int valueLength);
}
