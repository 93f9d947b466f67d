package io.ringlb.placement;

import io.ringlb.core.Placement;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * MementoHash (Coluzzi, Brocco, Antonucci and Leidi, 2023): jump hashing over a bucket array plus a
 * memory of removed buckets, so that any server can leave while only its keys move, at jump's speed
 * when nothing was removed. No weights.
 *
 * <p>A key first takes its jump bucket among all {@code n} buckets ever in use. If that bucket was
 * removed, the key is rehashed (with the bucket as salt) into the working set as it was right after
 * that removal, following replacement links for buckets removed earlier; the loop ends on a live
 * bucket because each removal recorded a strictly smaller working-set size. Adding a server
 * restores the most recently removed bucket (the removals form a stack), or appends a bucket when
 * none is removed, so a key moves on an addition only to the new server.
 */
final class MementoPlacement implements Placement {

  /* Per bucket: the working-set size right after its removal (-1 while live) and the bucket
   * removed before it (the stack of removals). Arrays rather than the paper's hash table: the
   * bucket array never exceeds the largest server count reached, so lookups stay one load. */
  private int[] replacer = new int[8];
  private int[] previous = new int[8];
  private int[] bucketServer = new int[8];
  private int buckets;
  private int removed;
  private int lastRemoved;
  private final Map<Integer, Integer> bucketOf = new HashMap<>();

  MementoPlacement() {
    Arrays.fill(replacer, -1);
  }

  @Override
  public String name() {
    return "memento";
  }

  @Override
  public int hashKey(byte[] key, int offset, int length) {
    return Hash64.xxh3Keys().hash(key, offset, length);
  }

  @Override
  public int serverFor(int keyHash) {
    if (buckets == removed) {
      return -1;
    }
    final int[] replacer = this.replacer;
    int b = JumpPlacement.jump(Hash64.spread(keyHash), buckets);
    int r = replacer[b];
    while (r >= 0) {
      // b was removed when r buckets were left: rehash into [0, r)
      int c = Hash64.scale(Hash64.high(Hash64.pair(keyHash, b)), r);
      int rc = replacer[c];
      while (rc >= r) {
        // c was removed before b: at b's removal its place was held by bucket rc
        c = rc;
        rc = replacer[c];
      }
      b = c;
      r = rc;
    }
    return bucketServer[b];
  }

  @Override
  public boolean contains(int serverId) {
    return bucketOf.containsKey(serverId);
  }

  @Override
  public int size() {
    return buckets - removed;
  }

  @Override
  public int[] servers() {
    return bucketOf.keySet().stream().mapToInt(Integer::intValue).sorted().toArray();
  }

  @Override
  public int points(int serverId) {
    return contains(serverId) ? 1 : 0;
  }

  @Override
  public double share(int serverId) {
    return contains(serverId) ? 1.0 / size() : 0;
  }

  @Override
  public void addServer(int serverId, int weight, MoveListener moves) {
    Require.newServer(serverId, weight, contains(serverId));
    Require.unweighted("memento", weight);
    int bucket;
    if (removed == 0) {
      bucket = buckets;
      grow(bucket + 1);
      buckets++;
      lastRemoved = buckets;
    } else {
      bucket = lastRemoved;
      lastRemoved = previous[bucket];
      replacer[bucket] = -1;
      removed--;
    }
    bucketServer[bucket] = serverId;
    bucketOf.put(serverId, bucket);
    if (size() > 1) {
      moves.reassigned();
    }
  }

  @Override
  public void removeServer(int serverId, MoveListener moves) {
    Integer boxed = bucketOf.remove(serverId);
    Require.present(serverId, boxed != null);
    int bucket = boxed;
    int working = buckets - removed;
    if (working == 1) {
      // the last server: forget the history, nothing is left to route to
      Arrays.fill(replacer, 0, buckets, -1);
      buckets = 0;
      removed = 0;
      lastRemoved = 0;
      return;
    }
    if (removed == 0 && bucket == buckets - 1) {
      // plain jump shrink: the last bucket leaves, no memory needed
      buckets--;
      lastRemoved = buckets;
    } else {
      replacer[bucket] = working - 1;
      previous[bucket] = lastRemoved;
      lastRemoved = bucket;
      removed++;
    }
    moves.reassigned();
  }

  private void grow(int capacity) {
    if (capacity > replacer.length) {
      int length = Math.max(capacity, replacer.length * 2);
      int old = replacer.length;
      replacer = Arrays.copyOf(replacer, length);
      Arrays.fill(replacer, old, length, -1);
      previous = Arrays.copyOf(previous, length);
      bucketServer = Arrays.copyOf(bucketServer, length);
    }
  }

  @Override
  public String toString() {
    return "memento (" + size() + " servers, " + removed + " removed buckets)";
  }
}
