package io.ringlb.server.embedded;

import io.ringlb.core.LoadBalancer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * SCAN over every server memory with a cursor in routing-hash space.
 *
 * <p>The cursor is the unsigned 32-bit routing hash where the next page starts. Ownership is a
 * function of the hash, and topology changes move whole hash ranges between server memories without
 * changing any key's hash, so a cursor stays meaningful across RING ADD/REMOVE: a key present from
 * the first call to the last is returned (at least, and here exactly) once, the guarantee Redis
 * gives. A page takes every key of a hash window, grown from an estimate until it holds COUNT keys,
 * then cut after the COUNT-th key in hash order but never between two keys of equal hash, which is
 * what makes the next cursor exact.
 */
final class Scan {

  private static final long MAX_HASH = 0xFFFF_FFFFL;

  /** One SCAN reply: the keys and the cursor to continue from (0 when done). */
  record Page(List<byte[]> keys, long next) {}

  private Scan() {}

  /** Returns the page starting at {@code cursor} ({@code < 0}: past the end); lock held. */
  static Page page(Keyspace keyspace, long cursor, int count) {
    LoadBalancer balancer = keyspace.balancer();
    long size = balancer.size();
    if (cursor < 0 || size == 0) {
      return new Page(List.of(), 0);
    }
    Collector found = new Collector();
    long window = Math.max(1, (long) ((double) count * (MAX_HASH + 1) / size));
    long lo = cursor;
    long end;
    while (true) {
      long hi = Math.min(MAX_HASH, lo + window - 1);
      int before = found.size;
      balancer.forEachInRange((int) lo, (int) hi, found);
      int added = found.size - before;
      if (added > 8L * count && window > 1 && found.size > count) {
        found.truncate(before); // the estimate overshot into a dense region: look closer
        window = Math.max(1, window / 16);
        continue;
      }
      if (found.size >= count || hi == MAX_HASH) {
        end = hi;
        break;
      }
      lo = hi + 1;
      window = window >= (1L << 40) ? window : window * 2;
    }
    long next = end == MAX_HASH ? 0 : end + 1;
    int n = found.size;
    long[] order = new long[n];
    for (int i = 0; i < n; i++) {
      order[i] = ((long) (found.hashes[i] ^ Integer.MIN_VALUE) << 32) | i;
    }
    Arrays.sort(order);
    int take = n;
    if (n > count) {
      take = count;
      while (take < n && hashAt(found, order[take]) == hashAt(found, order[take - 1])) {
        take++;
      }
      if (take < n) {
        next = hashAt(found, order[take]) & MAX_HASH;
      }
    }
    List<byte[]> keys = new ArrayList<>(take);
    for (int i = 0; i < take; i++) {
      int index = (int) order[i];
      byte[] key = found.keys[index];
      if (!keyspace.expireIfNeeded(found.hashes[index], key)) {
        keys.add(key);
      }
    }
    return new Page(keys, next);
  }

  private static long hashAt(Collector found, long packed) {
    return found.hashes[(int) packed] & MAX_HASH;
  }

  /** Collects keys and their hashes into growing arrays. */
  private static final class Collector implements io.ringlb.core.EntryVisitor {
    int[] hashes = new int[16];
    byte[][] keys = new byte[16][];
    int size;

    @Override
    public void visit(int hash, byte[] kb, int ko, int kl, byte[] vb, int vo, int vl) {
      if (size == hashes.length) {
        hashes = Arrays.copyOf(hashes, size * 2);
        keys = Arrays.copyOf(keys, size * 2);
      }
      hashes[size] = hash;
      keys[size++] = Arrays.copyOfRange(kb, ko, ko + kl);
    }

    void truncate(int n) {
      Arrays.fill(keys, n, size, null);
      size = n;
    }
  }
}
