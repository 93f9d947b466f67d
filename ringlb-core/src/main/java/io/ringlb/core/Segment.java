package io.ringlb.core;

import java.util.Arrays;

/**
 * An open-addressing table of the entries of one server memory whose routing hashes fall in a
 * range; the unit a server memory hands over whole when that range changes owner.
 *
 * <p>Each slot of {@code slots} is a long: the routing hash in the high half and, in the low half,
 * one plus the offset of the entry's record in {@code data} (0 marks a free slot). A record is
 * {@code varint keyLength, varint valueLength, key bytes, value bytes}. Probing is linear from a
 * Fibonacci-hashed home slot, deletion shifts the cluster back (no tombstones). A replaced value of
 * the same length is overwritten in place; otherwise the record is appended and the old one counted
 * as dead, and the data array is compacted when dead bytes outweigh live ones.
 */
final class Segment {

  static final int MIN_SLOTS = 8;
  private static final int MAX_ARRAY = Integer.MAX_VALUE - 16;

  /** Unsigned lower and upper bound of the hashes this segment may hold, inclusive. */
  int lo;

  int hi;

  /** Conservative unsigned bounds of the hashes present (not narrowed on removal). */
  int minHash = -1;

  int maxHash = 0;

  /** Entries beyond which the owning memory splits this segment. */
  int splitLimit = ServerMemory.SPLIT_ENTRIES;

  long[] slots;
  int size;
  private int shift;
  byte[] data;
  int used;
  private int dead;

  Segment(int lo, int hi, int expectedEntries, int expectedBytes) {
    this.lo = lo;
    this.hi = hi;
    int capacity = MIN_SLOTS;
    while (capacity * 3L / 4 < expectedEntries) {
      capacity <<= 1;
    }
    this.slots = new long[capacity];
    this.shift = 64 - Integer.numberOfTrailingZeros(capacity);
    this.data = new byte[Math.max(16, expectedBytes)];
  }

  boolean isEmpty() {
    return size == 0;
  }

  /** Returns the live bytes of keys and values with their headers. */
  int liveBytes() {
    return used - dead;
  }

  private int home(int hash) {
    return (int) ((hash * 0x9E3779B97F4A7C15L) >>> shift);
  }

  /** Returns the home slot of {@code hash}, where a lookup starts probing. */
  int homeOf(int hash) {
    return home(hash);
  }

  /** Returns the slot index holding the key, or -1. */
  int find(int hash, byte[] key, int offset, int length) {
    final long[] slots = this.slots;
    final int mask = slots.length - 1;
    for (int i = home(hash); ; i = (i + 1) & mask) {
      long slot = slots[i];
      if (slot == 0) {
        return -1;
      }
      if ((int) (slot >>> 32) == hash && keyEquals((int) slot - 1, key, offset, length)) {
        return i;
      }
    }
  }

  boolean containsKey(int hash, byte[] key, int offset, int length) {
    return find(hash, key, offset, length) >= 0;
  }

  private boolean keyEquals(int record, byte[] key, int offset, int length) {
    final byte[] data = this.data;
    int p = record;
    int keyLength = data[p++];
    if (keyLength < 0) {
      keyLength &= 0x7F;
      int shift = 7;
      int b;
      do {
        b = data[p++];
        keyLength |= (b & 0x7F) << shift;
        shift += 7;
      } while (b < 0);
    }
    if (keyLength != length) {
      return false;
    }
    p = skipVarint(data, p);
    return Arrays.equals(data, p, p + length, key, offset, offset + length);
  }

  /** Returns the offset of the record in the given slot. */
  int recordAt(int slotIndex) {
    return (int) slots[slotIndex] - 1;
  }

  /** Stores the entry; returns true when the key is new. */
  boolean put(
      int hash,
      byte[] key,
      int keyOffset,
      int keyLength,
      byte[] value,
      int valueOffset,
      int valueLength) {
    int index = find(hash, key, keyOffset, keyLength);
    if (index < 0) {
      putNew(hash, key, keyOffset, keyLength, value, valueOffset, valueLength);
      return true;
    }
    int record = (int) slots[index] - 1;
    if (valueLength(record) == valueLength) {
      System.arraycopy(value, valueOffset, data, valueStart(record), valueLength);
      return false;
    }
    // A value of another length gets a new record; the slot keeps its place in the table and
    // only points at the new record. Appending may compact, which moves records (this one too),
    // so the old record is looked up again afterwards.
    int fresh = append(key, keyOffset, keyLength, value, valueOffset, valueLength);
    dead += recordLength((int) slots[index] - 1);
    slots[index] = ((long) hash << 32) | (fresh + 1L);
    return false;
  }

  private void insertSlot(int hash, int record) {
    final long[] slots = this.slots;
    final int mask = slots.length - 1;
    int i = home(hash);
    while (slots[i] != 0) {
      i = (i + 1) & mask;
    }
    slots[i] = ((long) hash << 32) | (record + 1L);
  }

  /** Removes the entry; returns true when it was present. */
  boolean remove(int hash, byte[] key, int offset, int length) {
    int index = find(hash, key, offset, length);
    if (index < 0) {
      return false;
    }
    dead += recordLength((int) slots[index] - 1);
    deleteSlot(index);
    size--;
    if (size == 0) {
      used = 0;
      dead = 0;
      minHash = -1;
      maxHash = 0;
    }
    return true;
  }

  /** Backward-shift deletion for linear probing. */
  private void deleteSlot(int index) {
    final long[] slots = this.slots;
    final int mask = slots.length - 1;
    int hole = index;
    int i = index;
    while (true) {
      i = (i + 1) & mask;
      long slot = slots[i];
      if (slot == 0) {
        break;
      }
      int home = home((int) (slot >>> 32));
      // move the entry back when the hole lies cyclically in [home, i)
      if (((i - home) & mask) >= ((i - hole) & mask)) {
        slots[hole] = slot;
        hole = i;
      }
    }
    slots[hole] = 0;
  }

  private void resize(int capacity) {
    long[] old = slots;
    slots = new long[capacity];
    shift = 64 - Integer.numberOfTrailingZeros(capacity);
    for (long slot : old) {
      if (slot != 0) {
        final int mask = capacity - 1;
        int i = home((int) (slot >>> 32));
        while (slots[i] != 0) {
          i = (i + 1) & mask;
        }
        slots[i] = slot;
      }
    }
  }

  private int append(
      byte[] key, int keyOffset, int keyLength, byte[] value, int valueOffset, int valueLength) {
    int need = varintSize(keyLength) + varintSize(valueLength) + keyLength + valueLength;
    if (used + need > data.length) {
      if (dead > 0 && dead >= (used >>> 1)) {
        compact(need);
      }
      if (used + need > data.length) {
        long grown = Math.max((long) used + need, data.length + (data.length >>> 1) + 16L);
        if ((long) used + need > MAX_ARRAY) {
          throw new IllegalStateException(
              "entry of " + need + " bytes does not fit in a segment holding " + used + " bytes");
        }
        data = Arrays.copyOf(data, (int) Math.min(grown, MAX_ARRAY));
      }
    }
    int record = used;
    int p = writeVarint(data, used, keyLength);
    p = writeVarint(data, p, valueLength);
    System.arraycopy(key, keyOffset, data, p, keyLength);
    System.arraycopy(value, valueOffset, data, p + keyLength, valueLength);
    used = p + keyLength + valueLength;
    return record;
  }

  /** Rewrites the live records to the front of a right-sized array, with room for {@code extra}. */
  private void compact(int extra) {
    int live = used - dead;
    byte[] fresh = new byte[Math.max(16, live + Math.max(extra, live >>> 2))];
    int out = 0;
    final long[] slots = this.slots;
    for (int i = 0; i < slots.length; i++) {
      long slot = slots[i];
      if (slot != 0) {
        int record = (int) slot - 1;
        int length = recordLength(record);
        System.arraycopy(data, record, fresh, out, length);
        slots[i] = (slot & 0xFFFFFFFF00000000L) | (out + 1L);
        out += length;
      }
    }
    data = fresh;
    used = out;
    dead = 0;
  }

  /** Shrinks the data array to the live bytes, for segments that will not grow soon. */
  void trim() {
    if (data.length - (used - dead) > 64) {
      compact(0);
    }
  }

  int recordLength(int record) {
    final byte[] data = this.data;
    int p = record;
    int keyLength = readVarint(data, p);
    p = skipVarint(data, p);
    int valueLength = readVarint(data, p);
    p = skipVarint(data, p);
    return p - record + keyLength + valueLength;
  }

  int keyLength(int record) {
    return readVarint(data, record);
  }

  int keyStart(int record) {
    return skipVarint(data, skipVarint(data, record));
  }

  int valueLength(int record) {
    return readVarint(data, skipVarint(data, record));
  }

  int valueStart(int record) {
    int keyLength = readVarint(data, record);
    return skipVarint(data, skipVarint(data, record)) + keyLength;
  }

  /** Visits every entry whose hash lies in [from, to], unsigned. */
  void forEach(int from, int to, EntryVisitor visitor) {
    final long[] slots = this.slots;
    final byte[] data = this.data;
    for (long slot : slots) {
      if (slot == 0) {
        continue;
      }
      int hash = (int) (slot >>> 32);
      if (Integer.compareUnsigned(hash, from) < 0 || Integer.compareUnsigned(hash, to) > 0) {
        continue;
      }
      int record = (int) slot - 1;
      int keyLength = readVarint(data, record);
      int p = skipVarint(data, record);
      int valueLength = readVarint(data, p);
      p = skipVarint(data, p);
      visitor.visit(hash, data, p, keyLength, data, p + keyLength, valueLength);
    }
  }

  /**
   * Moves the entries whose hash lies in {@code [from, to]} (unsigned) out of this segment into a
   * new one covering the overlap of the two ranges, and returns it. Only the moving entries' bytes
   * are copied; the staying entries keep their records and only their 8-byte slots are laid out
   * again, in a table sized for what stays. The moved records become dead bytes, compacted away
   * once they outweigh the live ones (so compaction is paid for by the bytes that moved).
   */
  Segment extract(int from, int to) {
    final long[] slots = this.slots;
    int moving = 0;
    int movingBytes = 0;
    for (long slot : slots) {
      if (slot != 0 && inRange((int) (slot >>> 32), from, to)) {
        moving++;
        movingBytes += recordLength((int) slot - 1);
      }
    }
    Segment out =
        new Segment(
            ServerMemory.maxUnsigned(lo, from),
            ServerMemory.minUnsigned(hi, to),
            moving,
            movingBytes);
    if (moving == 0) {
      return out;
    }
    final byte[] data = this.data;
    int capacity = MIN_SLOTS;
    while (capacity * 3L / 4 < size - moving) {
      capacity <<= 1;
    }
    capacity = Math.min(capacity, slots.length);
    long[] kept = new long[capacity];
    shift = 64 - Integer.numberOfTrailingZeros(capacity);
    final int mask = capacity - 1;
    for (long slot : slots) {
      if (slot == 0) {
        continue;
      }
      int hash = (int) (slot >>> 32);
      if (inRange(hash, from, to)) {
        int record = (int) slot - 1;
        int keyLength = readVarint(data, record);
        int p = skipVarint(data, record);
        int valueLength = readVarint(data, p);
        p = skipVarint(data, p);
        out.putNew(hash, data, p, keyLength, data, p + keyLength, valueLength);
        dead += p - record + keyLength + valueLength;
      } else {
        int i = home(hash);
        while (kept[i] != 0) {
          i = (i + 1) & mask;
        }
        kept[i] = slot;
      }
    }
    this.slots = kept;
    size -= moving;
    if (size == 0) {
      used = 0;
      dead = 0;
      minHash = -1;
      maxHash = 0;
    } else if (dead > used - dead) {
      // the dead bytes were all moved out, so rewriting the live ones costs less than they did
      compact(0);
    }
    return out;
  }

  private static boolean inRange(int hash, int from, int to) {
    return Integer.compareUnsigned(hash, from) >= 0 && Integer.compareUnsigned(hash, to) <= 0;
  }

  /** Copies every entry into {@code target}, which must not hold the same keys. */
  void copyTo(Segment target) {
    forEach(0, -1, target::putNew);
  }

  /** Adds an entry known to be absent. */
  void putNew(
      int hash,
      byte[] keys,
      int keyOffset,
      int keyLength,
      byte[] values,
      int valueOffset,
      int valueLength) {
    if ((size + 1) * 4L > slots.length * 3L) {
      resize(slots.length << 1);
    }
    int record = append(keys, keyOffset, keyLength, values, valueOffset, valueLength);
    insertSlot(hash, record);
    size++;
    if (Integer.compareUnsigned(hash, minHash) < 0) {
      minHash = hash;
    }
    if (Integer.compareUnsigned(hash, maxHash) > 0) {
      maxHash = hash;
    }
  }

  /** Returns the hashes of the entries, in slot order. */
  int[] hashes() {
    int[] out = new int[size];
    int n = 0;
    for (long slot : slots) {
      if (slot != 0) {
        out[n++] = (int) (slot >>> 32);
      }
    }
    return out;
  }

  /** Returns the approximate heap footprint of this segment. */
  long footprint() {
    return 64 + 16 + slots.length * 8L + 16 + data.length;
  }

  static int varintSize(int value) {
    return value < 0x80
        ? 1
        : value < 0x4000 ? 2 : value < 0x200000 ? 3 : value < 0x10000000 ? 4 : 5;
  }

  static int writeVarint(byte[] data, int p, int value) {
    while ((value & ~0x7F) != 0) {
      data[p++] = (byte) ((value & 0x7F) | 0x80);
      value >>>= 7;
    }
    data[p++] = (byte) value;
    return p;
  }

  static int readVarint(byte[] data, int p) {
    int b = data[p++];
    if (b >= 0) {
      return b;
    }
    int value = b & 0x7F;
    int shift = 7;
    do {
      b = data[p++];
      value |= (b & 0x7F) << shift;
      shift += 7;
    } while (b < 0);
    return value;
  }

  static int skipVarint(byte[] data, int p) {
    while (data[p++] < 0) {
      // continuation bytes
    }
    return p;
  }
}
