package io.ringlb.core;

import java.util.Arrays;

/**
 * The labels of a ring in (position, server id) order, kept in buckets by position so that adding,
 * removing or finding a label touches a bucket or two instead of the whole ring.
 */
final class LabelTable {

  /*
   * A label is one long, its cell: the position xor FLIP in the high half (so that a signed
   * comparison orders positions as unsigned) and the server id in the low half, so cells order as
   * labels do, by (position, server id). The circle is cut into 2^bits equal buckets, bucket k
   * holding the positions whose top bits are k. table[k] is null when bucket k is empty; otherwise
   * it holds the bucket's cells ascending, followed by one more cell: the first label after the
   * bucket, going round the circle (the first cell of the next non-empty bucket, wrapping to the
   * first bucket; a bucket's own first cell when it is the only non-empty one).
   *
   * The owner of a hash in bucket k is then the first cell of table[k] at or after it, or the
   * trailing cell when none is; when bucket k is empty, the first cell of the next non-empty
   * bucket. A lookup reads one table slot and one short array, as a lookup in a sorted array
   * through an index of bucket offsets does, but the offsets are gone: adding a label rewrites its
   * bucket's array and at most the trailing cell of the bucket before, and nothing else moves.
   *
   * The number of buckets follows the number of labels: doubled when labels exceed twice the
   * buckets, halved when they fall under a quarter, rebuilt in O(labels + buckets) each time, which
   * is O(1) per change amortized. With positions spread as a hash spreads them a bucket holds about
   * one label and runs of empty buckets are short, so a change costs O(1) expected, O(log n) with
   * a bound on the longest bucket; labels clustered in one bucket make that bucket's array long.
   */
  static final long NONE = -1L;

  private static final int FLIP = Integer.MIN_VALUE;
  private static final int MIN_BITS = 1;
  private static final int MAX_BITS = 22;
  private static final int LINEAR_SPAN = 8;

  private long[][] table = new long[1 << MIN_BITS][];
  private int bits = MIN_BITS;
  private int size;

  /** Array cells written and table slots read by changes, including rebuilds. */
  private long work;

  /** Returns the cell of a label. */
  static long cell(int position, int serverId) {
    return ((long) (position ^ FLIP) << 32) | (serverId & 0xFFFF_FFFFL);
  }

  /** Returns the unsigned position of a cell. */
  static int position(long cell) {
    return (int) (cell >>> 32) ^ FLIP;
  }

  /** Returns the server id of a cell. */
  static int server(long cell) {
    return (int) cell;
  }

  /** Returns the number of labels. */
  int size() {
    return size;
  }

  /** Returns the number of bucket bits. */
  int bits() {
    return bits;
  }

  /** Returns the index work done by changes so far: cells written and slots walked. */
  long work() {
    return work;
  }

  private int bucket(long cell) {
    return position(cell) >>> (32 - bits);
  }

  /** Returns the cell owning {@code hash}: the first at or after it, wrapping; NONE when empty. */
  long ceiling(int hash) {
    if (size == 0) {
      return NONE;
    }
    final long[][] table = this.table;
    int k = hash >>> (32 - bits);
    long[] cells = table[k];
    if (cells == null) {
      int mask = table.length - 1;
      do {
        k = (k + 1) & mask;
        cells = table[k];
      } while (cells == null);
      return cells[0];
    }
    long key = (long) (hash ^ FLIP) << 32;
    int last = cells.length - 1;
    if (last <= LINEAR_SPAN) {
      for (int j = 0; j < last; j++) {
        if (cells[j] >= key) {
          return cells[j];
        }
      }
      return cells[last];
    }
    int j = firstAtOrAbove(cells, last, key);
    return cells[j];
  }

  /** Returns the first index below {@code end} whose cell is >= {@code key}, or {@code end}. */
  private static int firstAtOrAbove(long[] cells, int end, long key) {
    int lo = 0;
    int hi = end;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (cells[mid] < key) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  /** Adds a label; equal cells may repeat. */
  void insert(long cell) {
    int k = bucket(cell);
    long[] cells = table[k];
    if (size == 0) {
      table[k] = new long[] {cell, cell};
      work += 2;
    } else if (cells == null) {
      int next = nextNonEmpty(k);
      table[k] = new long[] {cell, table[next][0]};
      setTrailing(previousNonEmpty(k), cell);
      work += 2;
    } else {
      int last = cells.length - 1;
      int j = firstAtOrAbove(cells, last, cell + 1);
      long[] grown = new long[cells.length + 1];
      System.arraycopy(cells, 0, grown, 0, j);
      grown[j] = cell;
      System.arraycopy(cells, j, grown, j + 1, cells.length - j);
      table[k] = grown;
      work += grown.length;
      if (j == 0) {
        setTrailing(previousNonEmpty(k), cell);
      }
    }
    size++;
    if (size > 2 << bits && bits < MAX_BITS) {
      rebuild(bitsFor(size));
    }
  }

  /**
   * Removes one label equal to {@code cell}.
   *
   * @throws IllegalArgumentException if there is none
   */
  void remove(long cell) {
    int k = bucket(cell);
    long[] cells = table[k];
    int last = cells == null ? 0 : cells.length - 1;
    int j = cells == null ? 0 : firstAtOrAbove(cells, last, cell);
    if (j == last || cells[j] != cell) {
      throw new IllegalArgumentException("no label at cell " + Long.toHexString(cell));
    }
    if (size == 1) {
      table[k] = null;
    } else if (last == 1) {
      table[k] = null;
      setTrailing(previousNonEmpty(k), cells[1]);
    } else {
      long[] shrunk = new long[last];
      System.arraycopy(cells, 0, shrunk, 0, j);
      System.arraycopy(cells, j + 1, shrunk, j, last - j);
      table[k] = shrunk;
      work += shrunk.length;
      if (j == 0) {
        setTrailing(previousNonEmpty(k), shrunk[0]);
      }
    }
    size--;
    if (4L * size < 1L << bits && bits > MIN_BITS) {
      rebuild(bitsFor(size));
    }
  }

  private void setTrailing(int k, long cell) {
    long[] cells = table[k];
    cells[cells.length - 1] = cell;
    work++;
  }

  /** Returns the next non-empty bucket after {@code k}, going round; k itself if it is the only. */
  private int nextNonEmpty(int k) {
    int mask = table.length - 1;
    int i = k;
    do {
      i = (i + 1) & mask;
      work++;
    } while (table[i] == null && i != k);
    return i;
  }

  /** Returns the non-empty bucket before {@code k}, going round; k itself if it is the only. */
  private int previousNonEmpty(int k) {
    int mask = table.length - 1;
    int i = k;
    do {
      i = (i - 1) & mask;
      work++;
    } while (table[i] == null && i != k);
    return i;
  }

  /**
   * Returns the label before the first label equal to {@code cell}, going round, and whether that
   * one is the last label of the ring (the given label is then the first).
   */
  long predecessor(long cell, boolean[] wrapped) {
    int k = bucket(cell);
    long[] cells = table[k];
    int j = firstAtOrAbove(cells, cells.length - 1, cell);
    if (j > 0) {
      wrapped[0] = false;
      return cells[j - 1];
    }
    int p = previousNonEmpty(k);
    wrapped[0] = p >= k;
    long[] before = table[p];
    return before[before.length - 2];
  }

  /**
   * Returns the first label after the first label equal to {@code cell}, going round, whose server
   * is not {@code serverId}; NONE when every label is that server's.
   */
  long nextOfOtherServer(long cell, int serverId) {
    int k = bucket(cell);
    long[] cells = table[k];
    int j = firstAtOrAbove(cells, cells.length - 1, cell);
    for (int seen = 0; seen < size; seen++) {
      j++;
      if (j == cells.length - 1) {
        k = nextNonEmpty(k);
        cells = table[k];
        j = 0;
      }
      if (server(cells[j]) != serverId) {
        return cells[j];
      }
    }
    return NONE;
  }

  /** Returns every cell in ring order. */
  long[] toArray() {
    long[] out = new long[size];
    int n = 0;
    for (long[] cells : table) {
      if (cells != null) {
        System.arraycopy(cells, 0, out, n, cells.length - 1);
        n += cells.length - 1;
      }
    }
    return out;
  }

  /** Returns a copy of the bucket table, for tests. */
  long[][] tableCopy() {
    long[][] copy = new long[table.length][];
    for (int k = 0; k < table.length; k++) {
      copy[k] = table[k] == null ? null : table[k].clone();
    }
    return copy;
  }

  /** Returns the bucket table built from scratch over the same labels and bits, for tests. */
  long[][] rebuiltTable() {
    return build(toArray(), bits);
  }

  private void rebuild(int newBits) {
    long[] cells = toArray();
    table = build(cells, newBits);
    bits = newBits;
    work += cells.length + table.length;
  }

  private static int bitsFor(int labels) {
    int b = MIN_BITS;
    while (b < MAX_BITS && 1 << b < labels) {
      b++;
    }
    return b;
  }

  /** Builds the table of {@code sorted} cells (ascending) over 2^bits buckets. */
  private static long[][] build(long[] sorted, int bits) {
    long[][] table = new long[1 << bits][];
    int n = sorted.length;
    int shift = 32 - bits;
    int start = 0;
    while (start < n) {
      int k = position(sorted[start]) >>> shift;
      int end = start + 1;
      while (end < n && position(sorted[end]) >>> shift == k) {
        end++;
      }
      long[] cells = Arrays.copyOfRange(sorted, start, end + 1);
      cells[end - start] = sorted[end == n ? 0 : end];
      table[k] = cells;
      start = end;
    }
    return table;
  }
}
