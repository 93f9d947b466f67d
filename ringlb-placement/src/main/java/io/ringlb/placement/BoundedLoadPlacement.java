package io.ringlb.placement;

import io.ringlb.core.HashRing;
import io.ringlb.core.Placement;
import java.util.Arrays;

/**
 * Consistent hashing with bounded loads (Mirrokni, Thorup and Zadimoghaddam, 2018): a ring, but a
 * server may hold at most {@code ceil((1 + epsilon) * m / n)} of the {@code m} keys placed so far;
 * a key whose ring owner is full walks on clockwise to the first server below that capacity.
 *
 * <p><b>Not a placement for a store.</b> The owner of a key depends on the load of the servers when
 * the key arrived, not on its hash alone, so {@link #serverFor} has a side effect: the first time
 * it sees a hash it places it (and counts it) and remembers the answer, and later calls return the
 * remembered server. Deleted keys are never forgotten. A topology change re-places every remembered
 * key in its original order and reports {@code reassigned()}. That models a static key set inserted
 * in order, which is what the simulator measures; {@code ringlb run} and {@code ringlb serve}
 * refuse it. No weights.
 */
final class BoundedLoadPlacement implements Placement {

  /** The epsilon of the paper's and Vimeo's evaluation (capacity 1.25 times the average). */
  static final double DEFAULT_EPSILON = 0.25;

  /** Labels per server of the underlying ring, as the classic ring's default. */
  static final int DEFAULT_LABELS = 160;

  private final double epsilon;
  private final int labels;
  private final HashRing ring;

  /** Each label's dense server index, rebuilt on topology changes. */
  private int[] labelServer = new int[0];

  private int[] serverIds = new int[0];
  private int[] load = new int[0];

  /** Hashes in the order they were first placed. */
  private int[] order = new int[1024];

  private int placed;

  /** Open-addressing map from a placed hash to its dense server index. */
  private int[] mapKeys = new int[2048];

  private int[] mapValues = new int[2048];
  private boolean[] mapUsed = new boolean[2048];

  BoundedLoadPlacement(double epsilon, int labels) {
    if (!(epsilon > 0) || epsilon > 100) {
      throw new IllegalArgumentException("bounded epsilon must be in (0, 100]: " + epsilon);
    }
    if (labels < 1 || labels > 100_000) {
      throw new IllegalArgumentException("bounded labels must be between 1 and 100000: " + labels);
    }
    this.epsilon = epsilon;
    this.labels = labels;
    this.ring = Placements.ringOf("bounded-ring", labels);
  }

  @Override
  public String name() {
    String e = Placements.decimal(epsilon);
    return labels == DEFAULT_LABELS ? "bounded:" + e : "bounded:" + e + ":" + labels;
  }

  @Override
  public int hashKey(byte[] key, int offset, int length) {
    return ring.hashKey(key, offset, length);
  }

  /** Returns the server of {@code keyHash}, placing it first if this hash is new (see above). */
  @Override
  public int serverFor(int keyHash) {
    if (serverIds.length == 0) {
      return -1;
    }
    int slot = find(keyHash);
    if (mapUsed[slot]) {
      return serverIds[mapValues[slot]];
    }
    int server = place(keyHash);
    mapUsed[slot] = true;
    mapKeys[slot] = keyHash;
    mapValues[slot] = server;
    if (placed == order.length) {
      order = Arrays.copyOf(order, placed * 2);
    }
    order[placed++] = keyHash;
    if (placed * 2L > mapUsed.length) {
      rehash(mapUsed.length * 2);
    }
    return serverIds[server];
  }

  /** Places one more key: the first server clockwise from its hash that is below capacity. */
  private int place(int keyHash) {
    long capacity = (long) Math.ceil((1 + epsilon) * (placed + 1) / serverIds.length);
    int index = ring.labelIndexFor(keyHash);
    int n = labelServer.length;
    while (load[labelServer[index]] >= capacity) {
      index = index + 1 == n ? 0 : index + 1;
    }
    int server = labelServer[index];
    load[server]++;
    return server;
  }

  private int find(int keyHash) {
    int mask = mapUsed.length - 1;
    int slot = (int) (Hash64.spread(keyHash) & mask);
    while (mapUsed[slot] && mapKeys[slot] != keyHash) {
      slot = (slot + 1) & mask;
    }
    return slot;
  }

  private void rehash(int capacity) {
    int[] oldKeys = mapKeys;
    int[] oldValues = mapValues;
    boolean[] oldUsed = mapUsed;
    mapKeys = new int[capacity];
    mapValues = new int[capacity];
    mapUsed = new boolean[capacity];
    for (int i = 0; i < oldUsed.length; i++) {
      if (oldUsed[i]) {
        int slot = find(oldKeys[i]);
        mapUsed[slot] = true;
        mapKeys[slot] = oldKeys[i];
        mapValues[slot] = oldValues[i];
      }
    }
  }

  /** Re-places every remembered hash in its original order on the current servers. */
  private void replay() {
    Arrays.fill(load, 0);
    Arrays.fill(mapUsed, false);
    int count = placed;
    placed = 0;
    if (serverIds.length == 0) {
      placed = count;
      return;
    }
    for (int k = 0; k < count; k++) {
      int h = order[k];
      int slot = find(h);
      if (mapUsed[slot]) {
        placed++;
        continue;
      }
      int server = place(h);
      mapUsed[slot] = true;
      mapKeys[slot] = h;
      mapValues[slot] = server;
      placed++;
    }
  }

  private void reindex() {
    serverIds = ring.servers();
    load = new int[serverIds.length];
    int n = ring.labelCount();
    labelServer = new int[n];
    for (int i = 0; i < n; i++) {
      labelServer[i] = Arrays.binarySearch(serverIds, ring.serverAt(i));
    }
  }

  @Override
  public boolean contains(int serverId) {
    return ring.contains(serverId);
  }

  @Override
  public int size() {
    return ring.size();
  }

  @Override
  public int[] servers() {
    return ring.servers();
  }

  @Override
  public int points(int serverId) {
    return ring.points(serverId);
  }

  /** Returns the fraction of the placed keys this server holds (its ring share before any key). */
  @Override
  public double share(int serverId) {
    int i = Arrays.binarySearch(serverIds, serverId);
    if (i < 0) {
      return 0;
    }
    return placed == 0 ? ring.share(serverId) : (double) load[i] / placed;
  }

  @Override
  public void addServer(int serverId, int weight, MoveListener moves) {
    Require.newServer(serverId, weight, contains(serverId));
    Require.unweighted("bounded", weight);
    ring.addServer(serverId, 1, MoveListener.NONE);
    reindex();
    replay();
    if (placed > 0 && serverIds.length > 1) {
      moves.reassigned();
    }
  }

  @Override
  public void removeServer(int serverId, MoveListener moves) {
    Require.present(serverId, contains(serverId));
    ring.removeServer(serverId, MoveListener.NONE);
    reindex();
    replay();
    if (placed > 0 && serverIds.length > 0) {
      moves.reassigned();
    }
  }

  @Override
  public String toString() {
    return "bounded loads (" + size() + " servers, epsilon " + epsilon + ")";
  }
}
