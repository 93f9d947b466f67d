package io.ringlb.placement;

import io.ringlb.core.Placement;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * Jump consistent hashing (Lamping and Veach, 2014): buckets {@code 0..n-1}, one per server in the
 * order servers were added, chosen by a pseudo-random walk in O(log n) steps with no memory beyond
 * the bucket count.
 *
 * <p>Perfectly balanced in expectation and minimal on growth, but it can only shrink by its last
 * bucket: removing any other server would renumber the buckets after it and remap their keys. It
 * therefore cannot hold a store whose servers may leave in any order ({@link
 * #supportsArbitraryRemoval()} is false, and {@link #removeServer} throws for any server but the
 * most recently added one); it stays available to the simulator as the reference for speed and
 * balance. No weights.
 */
final class JumpPlacement implements Placement {

  private int[] bucketServer = new int[8];
  private int buckets;
  private final Map<Integer, Integer> bucketOf = new HashMap<>();

  @Override
  public String name() {
    return "jump";
  }

  @Override
  public int hashKey(byte[] key, int offset, int length) {
    return Hash64.xxh3Keys().hash(key, offset, length);
  }

  @Override
  public int serverFor(int keyHash) {
    int n = buckets;
    return n == 0 ? -1 : bucketServer[jump(Hash64.spread(keyHash), n)];
  }

  /** Returns the bucket in {@code [0, n)} of a 64-bit key, as published by Lamping and Veach. */
  static int jump(long key, int n) {
    long b = -1;
    long j = 0;
    while (j < n) {
      b = j;
      key = key * 2862933555777941757L + 1;
      j = (long) ((b + 1) * ((double) (1L << 31) / (double) ((key >>> 33) + 1)));
    }
    return (int) b;
  }

  @Override
  public boolean contains(int serverId) {
    return bucketOf.containsKey(serverId);
  }

  @Override
  public int size() {
    return buckets;
  }

  @Override
  public int[] servers() {
    int[] ids = Arrays.copyOf(bucketServer, buckets);
    Arrays.sort(ids);
    return ids;
  }

  @Override
  public int points(int serverId) {
    return contains(serverId) ? 1 : 0;
  }

  @Override
  public double share(int serverId) {
    return contains(serverId) ? 1.0 / buckets : 0;
  }

  @Override
  public void addServer(int serverId, int weight, MoveListener moves) {
    Require.newServer(serverId, weight, contains(serverId));
    Require.unweighted("jump", weight);
    if (buckets == bucketServer.length) {
      bucketServer = Arrays.copyOf(bucketServer, buckets * 2);
    }
    bucketServer[buckets] = serverId;
    bucketOf.put(serverId, buckets);
    buckets++;
    if (buckets > 1) {
      moves.reassigned();
    }
  }

  @Override
  public void removeServer(int serverId, MoveListener moves) {
    Integer bucket = bucketOf.get(serverId);
    Require.present(serverId, bucket != null);
    if (bucket != buckets - 1) {
      throw new UnsupportedOperationException(
          "jump can only remove its most recently added server ("
              + bucketServer[buckets - 1]
              + "), not server "
              + serverId);
    }
    bucketOf.remove(serverId);
    buckets--;
    if (buckets > 0) {
      moves.reassigned();
    }
  }

  @Override
  public boolean supportsArbitraryRemoval() {
    return false;
  }

  @Override
  public String toString() {
    return "jump (" + buckets + " servers)";
  }
}
