package io.ringlb.server.embedded;

import java.util.Arrays;

/**
 * Expiry deadlines of the keys that have one, like Redis's {@code expires} dict: a side table keyed
 * by the key's bytes (and routing hash), not by server, so a deadline survives every topology
 * change that moves its key. Open addressing with linear probing and backward-shift deletion over
 * primitive arrays; a rolling cursor lets active expiry sample slots incrementally. Not
 * thread-safe.
 */
final class ExpiryTable {

  /** Returned by {@link #get} for a key without deadline. */
  static final long NONE = -1;

  private static final int MIN_CAPACITY = 16;

  private byte[][] keys = new byte[MIN_CAPACITY][];
  private int[] hashes = new int[MIN_CAPACITY];
  private long[] deadlines = new long[MIN_CAPACITY];
  private int size;
  private int cursor;

  int size() {
    return size;
  }

  /** Returns the deadline (epoch ms) of the key, or {@link #NONE}. */
  long get(int hash, byte[] key) {
    if (size == 0) {
      return NONE;
    }
    int slot = find(hash, key);
    return slot < 0 ? NONE : deadlines[slot];
  }

  /** Sets the deadline of {@code key}; the table keeps {@code key} (callers pass a copy). */
  void put(int hash, byte[] key, long deadline) {
    int slot = find(hash, key);
    if (slot >= 0) {
      deadlines[slot] = deadline;
      return;
    }
    if ((size + 1) * 4 > keys.length * 3) {
      resize(keys.length * 2);
    }
    int mask = keys.length - 1;
    int i = mix(hash) & mask;
    while (keys[i] != null) {
      i = (i + 1) & mask;
    }
    keys[i] = key;
    hashes[i] = hash;
    deadlines[i] = deadline;
    size++;
  }

  /** Removes the deadline of the key; returns whether it had one. */
  boolean remove(int hash, byte[] key) {
    if (size == 0) {
      return false;
    }
    int slot = find(hash, key);
    if (slot < 0) {
      return false;
    }
    removeAt(slot);
    if (keys.length > MIN_CAPACITY && size * 8 < keys.length) {
      resize(keys.length / 2);
    }
    return true;
  }

  void clear() {
    keys = new byte[MIN_CAPACITY][];
    hashes = new int[MIN_CAPACITY];
    deadlines = new long[MIN_CAPACITY];
    size = 0;
    cursor = 0;
  }

  /** Receives a key whose deadline has passed; the table has already forgotten it. */
  interface Expired {
    void expired(int hash, byte[] key);
  }

  /**
   * Looks at up to {@code samples} keys from the rolling cursor on and removes those whose deadline
   * is at or before {@code now}, telling {@code sink}; returns how many expired.
   */
  int sample(int samples, long now, Expired sink) {
    int expired = 0;
    int visited = 0;
    int scanned = 0;
    while (size > 0 && visited < samples && scanned < keys.length) {
      int i = cursor & (keys.length - 1);
      byte[] key = keys[i];
      if (key == null) {
        cursor = i + 1;
        scanned++;
        continue;
      }
      visited++;
      if (deadlines[i] <= now) {
        int hash = hashes[i];
        removeAt(i); // a later entry may shift into slot i: look at it again
        expired++;
        sink.expired(hash, key);
      } else {
        cursor = i + 1;
        scanned++;
      }
    }
    return expired;
  }

  /** Visits every entry (for INFO's average TTL); the visitor must not change the table. */
  interface Visitor {
    void visit(int hash, byte[] key, long deadline);
  }

  void forEach(Visitor visitor) {
    for (int i = 0; i < keys.length; i++) {
      if (keys[i] != null) {
        visitor.visit(hashes[i], keys[i], deadlines[i]);
      }
    }
  }

  private int find(int hash, byte[] key) {
    int mask = keys.length - 1;
    int i = mix(hash) & mask;
    byte[] k;
    while ((k = keys[i]) != null) {
      if (hashes[i] == hash && Arrays.equals(k, key)) {
        return i;
      }
      i = (i + 1) & mask;
    }
    return -1;
  }

  private void removeAt(int slot) {
    int mask = keys.length - 1;
    int hole = slot;
    int i = (slot + 1) & mask;
    while (keys[i] != null) {
      int home = mix(hashes[i]) & mask;
      // move entry i into the hole when the hole lies cyclically in [home, i)
      if (((i - home) & mask) >= ((i - hole) & mask)) {
        keys[hole] = keys[i];
        hashes[hole] = hashes[i];
        deadlines[hole] = deadlines[i];
        hole = i;
      }
      i = (i + 1) & mask;
    }
    keys[hole] = null;
    size--;
  }

  private void resize(int capacity) {
    byte[][] oldKeys = keys;
    int[] oldHashes = hashes;
    long[] oldDeadlines = deadlines;
    keys = new byte[capacity][];
    hashes = new int[capacity];
    deadlines = new long[capacity];
    int mask = capacity - 1;
    for (int j = 0; j < oldKeys.length; j++) {
      if (oldKeys[j] != null) {
        int i = mix(oldHashes[j]) & mask;
        while (keys[i] != null) {
          i = (i + 1) & mask;
        }
        keys[i] = oldKeys[j];
        hashes[i] = oldHashes[j];
        deadlines[i] = oldDeadlines[j];
      }
    }
    cursor = 0;
  }

  private static int mix(int h) {
    h ^= h >>> 16;
    h *= 0x85ebca6b;
    h ^= h >>> 13;
    h *= 0xc2b2ae35;
    return h ^ (h >>> 16);
  }
}
