package io.ringlb.core;

import java.util.Arrays;
import java.util.Objects;
import java.util.function.IntPredicate;

/**
 * One server's hash table of byte-string keys and values, kept in segments ordered by routing hash
 * so that a range of hashes can change owner without touching the entries that stay.
 *
 * <p>Callers pass each key's routing hash (the one its placement routes on) with the key. The
 * memory is a sorted list of disjoint hash ranges, each a compact open-addressing {@code Segment}
 * whose keys and values live in one byte array; there is no object per entry. A segment splits at
 * its median hash when it outgrows {@value #SPLIT_ENTRIES} entries, and small neighbours merge
 * again, so {@link #extractRange} hands over every segment that lies inside the range as it is and
 * only scans the at most two segments straddling its ends: the cost of a topology change is the
 * keys that move plus two segments, not the keys the server holds. Not thread-safe.
 */
public final class ServerMemory {

  /** Entries beyond which a segment splits in two. */
  static final int SPLIT_ENTRIES = 1024;

  /** Bytes beyond which a segment of several entries splits in two. */
  static final int SPLIT_BYTES = 16 << 20;

  /** Neighbouring segments whose sizes sum to at most this merge into one. */
  static final int MERGE_ENTRIES = SPLIT_ENTRIES / 4;

  private static final int FLIP = Integer.MIN_VALUE;

  /** The lower bound of each segment, sign bit flipped, ascending. */
  private int[] lows = new int[4];

  private Segment[] segments = new Segment[4];
  private int count;
  private int size;

  /** Creates an empty server memory. */
  public ServerMemory() {}

  /** Returns the number of entries. */
  public int size() {
    return size;
  }

  /** Returns whether there are no entries. */
  public boolean isEmpty() {
    return size == 0;
  }

  /** Returns an estimate of the heap this memory retains, in bytes. */
  public long footprint() {
    long bytes = 48 + 16 + lows.length * 4L + 16 + segments.length * 4L;
    for (int i = 0; i < count; i++) {
      bytes += segments[i].footprint();
    }
    return bytes;
  }

  /** Stores {@code value} under {@code key}; returns true when the key was not present. */
  public boolean put(int hash, byte[] key, byte[] value) {
    return put(hash, key, 0, key.length, value, 0, value.length);
  }

  /** Stores a value given as array slices; returns true when the key was not present. */
  public boolean put(
      int hash,
      byte[] key,
      int keyOffset,
      int keyLength,
      byte[] value,
      int valueOffset,
      int valueLength) {
    Objects.checkFromIndexSize(keyOffset, keyLength, key.length);
    Objects.checkFromIndexSize(valueOffset, valueLength, value.length);
    int index = segmentFor(hash);
    if (index < 0) {
      index = claim(hash);
    }
    Segment segment = segments[index];
    boolean added = segment.put(hash, key, keyOffset, keyLength, value, valueOffset, valueLength);
    if (added) {
      size++;
      if (segment.size > segment.splitLimit || (segment.used > SPLIT_BYTES && segment.size > 1)) {
        split(index);
      }
    }
    return added;
  }

  /** Returns the segment whose range holds {@code hash}, or null. */
  Segment segmentOf(int hash) {
    int index = segmentFor(hash);
    return index < 0 ? null : segments[index];
  }

  /** Returns a copy of the value stored under {@code key}, or null. */
  public byte[] get(int hash, byte[] key) {
    int index = segmentFor(hash);
    if (index < 0) {
      return null;
    }
    Segment segment = segments[index];
    int slot = segment.find(hash, key, 0, key.length);
    if (slot < 0) {
      return null;
    }
    int record = segment.recordAt(slot);
    int start = segment.valueStart(record);
    return Arrays.copyOfRange(segment.data, start, start + segment.valueLength(record));
  }

  /** Hands the value stored under the key to {@code sink} in place; returns false when absent. */
  public boolean get(int hash, byte[] key, int keyOffset, int keyLength, ValueSink sink) {
    int index = segmentFor(hash);
    if (index < 0) {
      return false;
    }
    Segment segment = segments[index];
    int slot = segment.find(hash, key, keyOffset, keyLength);
    if (slot < 0) {
      return false;
    }
    int record = segment.recordAt(slot);
    sink.accept(segment.data, segment.valueStart(record), segment.valueLength(record));
    return true;
  }

  /** Returns whether {@code key} is present. */
  public boolean containsKey(int hash, byte[] key) {
    return containsKey(hash, key, 0, key.length);
  }

  /** Returns whether the key given as an array slice is present. */
  public boolean containsKey(int hash, byte[] key, int keyOffset, int keyLength) {
    int index = segmentFor(hash);
    return index >= 0 && segments[index].find(hash, key, keyOffset, keyLength) >= 0;
  }

  /** Removes {@code key}; returns true when it was present. */
  public boolean remove(int hash, byte[] key) {
    return remove(hash, key, 0, key.length);
  }

  /** Removes the key given as an array slice; returns true when it was present. */
  public boolean remove(int hash, byte[] key, int keyOffset, int keyLength) {
    int index = segmentFor(hash);
    if (index < 0 || !segments[index].remove(hash, key, keyOffset, keyLength)) {
      return false;
    }
    size--;
    if (segments[index].isEmpty()) {
      removeAt(index);
    }
    return true;
  }

  /** Removes every entry. */
  public void clear() {
    Arrays.fill(segments, 0, count, null);
    count = 0;
    size = 0;
  }

  /** Visits every entry, in ascending order of segments. */
  public void forEach(EntryVisitor visitor) {
    forEachInRange(0, -1, visitor);
  }

  /**
   * Visits every entry whose hash lies in {@code [lo, hi]} (unsigned, inclusive); segments are
   * visited in ascending hash order, entries within a segment in table order. The visitor must not
   * change this memory.
   */
  public void forEachInRange(int lo, int hi, EntryVisitor visitor) {
    checkRange(lo, hi);
    for (int k = firstOverlapping(lo); k < count && le(segments[k].lo, hi); k++) {
      segments[k].forEach(lo, hi, visitor);
    }
  }

  /**
   * Removes the entries whose hash lies in {@code [lo, hi]} (unsigned, inclusive) and returns them
   * as a new memory. Segments inside the range move as they are; from the at most two segments
   * straddling its ends, only the entries in the range are copied out (the rest stay in place).
   */
  public ServerMemory extractRange(int lo, int hi) {
    checkRange(lo, hi);
    ServerMemory taken = new ServerMemory();
    int k = firstOverlapping(lo);
    while (k < count && le(segments[k].lo, hi)) {
      Segment segment = segments[k];
      if (le(lo, segment.lo) && le(segment.hi, hi)) {
        removeAt(k);
        size -= segment.size;
        taken.append(segment);
        continue;
      }
      if (segment.isEmpty() || lt(segment.maxHash, lo) || lt(hi, segment.minHash)) {
        k++;
        continue;
      }
      // Straddles an end of the range: move out only the entries inside it.
      Segment inside = segment.extract(lo, hi);
      size -= inside.size;
      if (!inside.isEmpty()) {
        taken.append(inside);
      }
      if (segment.isEmpty()) {
        removeAt(k);
      } else {
        k++;
      }
    }
    coalesce();
    taken.coalesce();
    return taken;
  }

  /**
   * Removes the entries whose hash satisfies {@code predicate} and returns them as a new memory.
   */
  public ServerMemory extractIf(IntPredicate predicate) {
    ServerMemory taken = new ServerMemory();
    for (int k = 0; k < count; k++) {
      Segment segment = segments[k];
      boolean any = false;
      for (long slot : segment.slots) {
        if (slot != 0 && predicate.test((int) (slot >>> 32))) {
          any = true;
          break;
        }
      }
      if (!any) {
        continue;
      }
      Segment keep = new Segment(segment.lo, segment.hi, segment.size, 0);
      segment.forEach(
          0,
          -1,
          (h, keys, ko, kl, values, vo, vl) -> {
            if (predicate.test(h)) {
              taken.put(h, keys, ko, kl, values, vo, vl);
            } else {
              keep.putNew(h, keys, ko, kl, values, vo, vl);
            }
          });
      size -= segment.size - keep.size;
      segments[k] = keep;
    }
    dropEmpty();
    coalesce();
    return taken;
  }

  /**
   * Moves every entry of {@code donor} into this memory and leaves the donor empty. A donor entry
   * replaces an entry of the same key here. Donor segments over a range where this memory holds
   * nothing are linked in as they are.
   */
  public void absorb(ServerMemory donor) {
    if (donor == this || donor.count == 0) {
      return;
    }
    if (count == 0) {
      lows = donor.lows;
      segments = donor.segments;
      count = donor.count;
      size = donor.size;
      donor.lows = new int[4];
      donor.segments = new Segment[4];
      donor.count = 0;
      donor.size = 0;
      return;
    }
    for (int d = 0; d < donor.count; d++) {
      link(donor.segments[d]);
    }
    donor.clear();
    coalesce();
  }

  /**
   * Links a segment in as it is when no segment of this memory overlaps its range; otherwise adds
   * its entries one by one (a donor entry replaces an entry of the same key), so that the cost is
   * that of the incoming entries, not of the entries this memory already holds.
   */
  private void link(Segment incoming) {
    int k = firstOverlapping(incoming.lo);
    if (k < count && le(segments[k].lo, incoming.hi)) {
      incoming.forEach(0, -1, this::put);
      return;
    }
    if (incoming.isEmpty()) {
      return;
    }
    insertAt(k, incoming);
    size += incoming.size;
    if (incoming.size > incoming.splitLimit) {
      split(k);
    }
  }

  /** Returns the segment whose range holds {@code hash}, or -1. */
  private int segmentFor(int hash) {
    if (count == 1) {
      // the usual case for a server of moderate size: no search, one read less
      Segment only = segments[0];
      return le(only.lo, hash) && le(hash, only.hi) ? 0 : -1;
    }
    int k = floor(hash);
    return k >= 0 && le(hash, segments[k].hi) ? k : -1;
  }

  /** Returns the last segment whose lower bound is at or below {@code hash}, or -1. */
  private int floor(int hash) {
    final int[] lows = this.lows;
    int key = hash ^ FLIP;
    int lo = 0;
    int hi = count - 1;
    while (lo <= hi) {
      int mid = (lo + hi) >>> 1;
      if (lows[mid] <= key) {
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return hi;
  }

  /** Returns the first segment that ends at or after {@code hash}. */
  private int firstOverlapping(int hash) {
    int k = floor(hash);
    if (k < 0) {
      return 0;
    }
    return le(hash, segments[k].hi) ? k : k + 1;
  }

  /** Makes a segment cover {@code hash}, which no segment covers; returns its index. */
  private int claim(int hash) {
    if (count == 0) {
      insertAt(0, new Segment(0, -1, 0, 0));
      return 0;
    }
    int k = floor(hash);
    if (k >= 0) {
      segments[k].hi = hash; // the gap after segment k starts right after its upper bound
      return k;
    }
    segments[0].lo = hash;
    lows[0] = hash ^ FLIP;
    return 0;
  }

  /** Splits segment {@code index} at the median of its hashes. */
  private void split(int index) {
    Segment segment = segments[index];
    int[] hashes = segment.hashes();
    for (int i = 0; i < hashes.length; i++) {
      hashes[i] ^= FLIP;
    }
    Arrays.sort(hashes);
    int n = hashes.length;
    int cut = -1;
    for (int d = 0; d < n / 2 && cut < 0; d++) {
      if (hashes[n / 2 - d - 1] != hashes[n / 2 - d]) {
        cut = n / 2 - d;
      } else if (n / 2 + d + 1 < n && hashes[n / 2 + d] != hashes[n / 2 + d + 1]) {
        cut = n / 2 + d + 1;
      }
    }
    if (cut < 0) {
      segment.splitLimit = segment.size * 2; // one hash: nothing to split on
      return;
    }
    int boundary = hashes[cut - 1] ^ FLIP;
    int share = (int) ((long) segment.liveBytes() * cut / n);
    Segment left = new Segment(segment.lo, boundary, cut, share + share / 8);
    Segment right =
        new Segment(
            boundary + 1,
            segment.hi,
            n - cut,
            segment.liveBytes() - share + (segment.liveBytes() - share) / 8);
    segment.forEach(
        0,
        -1,
        (h, keys, ko, kl, values, vo, vl) ->
            (le(h, boundary) ? left : right).putNew(h, keys, ko, kl, values, vo, vl));
    segments[index] = left;
    insertAt(index + 1, right);
  }

  /** Merges neighbouring small segments, so that repeated topology changes do not fragment. */
  private void coalesce() {
    int k = 0;
    while (k + 1 < count) {
      Segment a = segments[k];
      Segment b = segments[k + 1];
      if (a.size + b.size > MERGE_ENTRIES) {
        k++;
        continue;
      }
      Segment big = a.size >= b.size ? a : b;
      Segment small = big == a ? b : a;
      small.copyTo(big);
      big.lo = a.lo;
      big.hi = b.hi;
      segments[k] = big;
      lows[k] = big.lo ^ FLIP;
      removeAt(k + 1);
    }
  }

  private void dropEmpty() {
    for (int k = count - 1; k >= 0; k--) {
      if (segments[k].isEmpty()) {
        removeAt(k);
      }
    }
  }

  private void append(Segment segment) {
    insertAt(count, segment);
    size += segment.size;
  }

  private void insertAt(int index, Segment segment) {
    if (count == segments.length) {
      segments = Arrays.copyOf(segments, count * 2);
      lows = Arrays.copyOf(lows, count * 2);
    }
    System.arraycopy(segments, index, segments, index + 1, count - index);
    System.arraycopy(lows, index, lows, index + 1, count - index);
    segments[index] = segment;
    lows[index] = segment.lo ^ FLIP;
    count++;
  }

  private void removeAt(int index) {
    System.arraycopy(segments, index + 1, segments, index, count - index - 1);
    System.arraycopy(lows, index + 1, lows, index, count - index - 1);
    segments[--count] = null;
  }

  /** Returns the number of segments, for tests and diagnostics. */
  int segmentCount() {
    return count;
  }

  /** Checks the ordering invariants, for tests. */
  void checkInvariants() {
    int total = 0;
    for (int k = 0; k < count; k++) {
      Segment s = segments[k];
      if (lows[k] != (s.lo ^ FLIP) || lt(s.hi, s.lo)) {
        throw new AssertionError("segment " + k + " has bad bounds");
      }
      if (k > 0 && !lt(segments[k - 1].hi, s.lo)) {
        throw new AssertionError("segments " + (k - 1) + " and " + k + " overlap");
      }
      int k0 = k;
      s.forEach(
          0,
          -1,
          (h, keys, ko, kl, values, vo, vl) -> {
            if (lt(h, s.lo) || lt(s.hi, h)) {
              throw new AssertionError(
                  "hash " + Integer.toUnsignedString(h) + " outside segment " + k0);
            }
          });
      total += s.size;
    }
    if (total != size) {
      throw new AssertionError("size " + size + " but segments hold " + total);
    }
  }

  private static void checkRange(int lo, int hi) {
    if (lt(hi, lo)) {
      throw new IllegalArgumentException(
          "range is empty: ["
              + Integer.toUnsignedString(lo)
              + ", "
              + Integer.toUnsignedString(hi)
              + "]");
    }
  }

  private static boolean lt(int a, int b) {
    return (a ^ FLIP) < (b ^ FLIP);
  }

  private static boolean le(int a, int b) {
    return (a ^ FLIP) <= (b ^ FLIP);
  }

  static int minUnsigned(int a, int b) {
    return lt(a, b) ? a : b;
  }

  static int maxUnsigned(int a, int b) {
    return lt(a, b) ? b : a;
  }
}
