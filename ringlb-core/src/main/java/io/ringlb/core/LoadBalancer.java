package io.ringlb.core;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Spreads key-value pairs over server memories by a {@link Placement} and moves exactly the keys
 * whose owner changes when servers join or leave.
 *
 * <p>Every operation tells which server served it. Removing the last server while it still holds
 * keys is refused: data is never dropped. Not thread-safe; callers serialize access.
 */
public final class LoadBalancer {

  /** The largest server id a balancer accepts (placements may accept fewer). */
  public static final int MAX_SERVER_ID = (1 << 24) - 1;

  private final Placement placement;

  /** Told of every topology change, or null: then no move is counted per pair of servers. */
  private final TopologyListener listener;

  private ServerMemory[] memories = new ServerMemory[16];

  /** Scratch for {@link #prefetch}: the segment and the home slot of each hash. */
  private Segment[] aheadSegments = new Segment[0];

  private long[] aheadSlots = new long[0];

  private LoadBalancer(Placement placement, TopologyListener listener) {
    this.placement = placement;
    this.listener = listener;
  }

  /** Returns a balancer with the original design's ring and no servers. */
  public static LoadBalancer seed() {
    return builder().build();
  }

  /** Returns a builder whose defaults are the original design. */
  public static Builder builder() {
    return new Builder();
  }

  /** Builds a {@link LoadBalancer}; the defaults are the original design's ring. */
  public static final class Builder {
    private Placement placement;
    private int labels = HashRing.SEED_LABELS;
    private KeyHash keyHash = Hashes.djb2();
    private LabelHash labelHash = Hashes.seedLabel();
    private TopologyListener listener;

    private Builder() {}

    /** Routes by {@code placement}, which must have no servers yet; overrides the ring options. */
    public Builder placement(Placement placement) {
      this.placement = Objects.requireNonNull(placement, "placement");
      return this;
    }

    /** Sets the labels per server of the original ring (default 3). */
    public Builder labelsPerServer(int labels) {
      if (labels <= 0) {
        throw new IllegalArgumentException("labels per server must be positive: " + labels);
      }
      this.labels = labels;
      return this;
    }

    /** Sets the key hash of the original ring (default djb2). */
    public Builder keyHash(KeyHash keyHash) {
      this.keyHash = Objects.requireNonNull(keyHash, "keyHash");
      return this;
    }

    /** Sets the label hash of the original ring (default the seed mixer). */
    public Builder labelHash(LabelHash labelHash) {
      this.labelHash = Objects.requireNonNull(labelHash, "labelHash");
      return this;
    }

    /** Tells {@code listener} of every server added or removed and the keys it moved. */
    public Builder listener(TopologyListener listener) {
      this.listener = Objects.requireNonNull(listener, "listener");
      return this;
    }

    /** Returns a new balancer with no servers. */
    public LoadBalancer build() {
      Placement p = placement != null ? placement : HashRing.seed(labels, keyHash, labelHash);
      if (p.size() != 0) {
        throw new IllegalArgumentException("placement must start without servers: " + p);
      }
      return new LoadBalancer(p, listener);
    }
  }

  /** Returns the placement this balancer routes by. */
  public Placement placement() {
    return placement;
  }

  /** Returns the routing hash of {@code key}. */
  public int hashKey(byte[] key) {
    return placement.hashKey(key, 0, key.length);
  }

  /** Returns the routing hash of a key given as an array slice. */
  public int hashKey(byte[] key, int offset, int length) {
    return placement.hashKey(key, offset, length);
  }

  /** Returns the server that owns {@code key}, or -1 when there is no server. */
  public int serverFor(byte[] key) {
    return placement.serverFor(hashKey(key));
  }

  /**
   * Stores {@code value} under {@code key}, replacing any previous value; returns the server.
   *
   * @throws IllegalStateException when there is no server
   */
  public int store(byte[] key, byte[] value) {
    return store(hashKey(key), key, 0, key.length, value, 0, value.length);
  }

  /** Stores a value given as array slices under a key of known routing hash; returns the server. */
  public int store(
      int hash,
      byte[] key,
      int keyOffset,
      int keyLength,
      byte[] value,
      int valueOffset,
      int valueLength) {
    int server = placement.serverFor(hash);
    if (server < 0) {
      throw new IllegalStateException("no server to store on");
    }
    memories[server].put(hash, key, keyOffset, keyLength, value, valueOffset, valueLength);
    return server;
  }

  /**
   * Reads ahead, changing nothing, the memory that stores and retrieves of keys with the given
   * routing hashes will read first (the owner's table slot and the record it points to), so that a
   * caller about to run a batch of them overlaps their cache misses instead of waiting for each in
   * turn; Java has no prefetch instruction, and this is the portable equivalent. Returns a value
   * derived from what was read, which callers may ignore.
   */
  public int prefetch(int[] hashes, int count) {
    Objects.checkFromIndexSize(0, count, hashes.length);
    if (aheadSegments.length < count) {
      aheadSegments = new Segment[count];
      aheadSlots = new long[count];
    }
    final Segment[] segments = aheadSegments;
    final long[] slots = aheadSlots;
    // three passes, so that the reads of one pass do not wait for one another
    for (int i = 0; i < count; i++) {
      int server = placement.serverFor(hashes[i]);
      segments[i] = server < 0 ? null : memories[server].segmentOf(hashes[i]);
    }
    for (int i = 0; i < count; i++) {
      Segment segment = segments[i];
      slots[i] = segment == null ? 0 : segment.slots[segment.homeOf(hashes[i])];
    }
    int read = 0;
    for (int i = 0; i < count; i++) {
      long slot = slots[i];
      if (slot != 0) {
        read += segments[i].data[(int) slot - 1];
      }
      segments[i] = null;
    }
    return read;
  }

  /** Returns a copy of the value stored under {@code key}, or null. */
  public byte[] retrieve(byte[] key) {
    int hash = hashKey(key);
    int server = placement.serverFor(hash);
    return server < 0 ? null : memories[server].get(hash, key);
  }

  /**
   * Hands the value stored under the key to {@code sink} in place when present; returns the server
   * that owns the key, or -1 when there is no server.
   */
  public int retrieve(int hash, byte[] key, int keyOffset, int keyLength, ValueSink sink) {
    int server = placement.serverFor(hash);
    if (server >= 0) {
      memories[server].get(hash, key, keyOffset, keyLength, sink);
    }
    return server;
  }

  /** Returns whether {@code key} is stored. */
  public boolean contains(byte[] key) {
    int hash = hashKey(key);
    int server = placement.serverFor(hash);
    return server >= 0 && memories[server].containsKey(hash, key);
  }

  /** Deletes {@code key}; returns true when it was stored. */
  public boolean delete(byte[] key) {
    int hash = hashKey(key);
    int server = placement.serverFor(hash);
    return server >= 0 && memories[server].remove(hash, key);
  }

  /** Adds a server with weight 1; returns the number of keys that moved to it. */
  public long addServer(int serverId) {
    return addServer(serverId, 1);
  }

  /**
   * Adds a server; returns the number of keys that moved to it.
   *
   * @throws IllegalArgumentException if the id is out of range or present, or the weight invalid
   */
  public long addServer(int serverId, int weight) {
    if (serverId < 0 || serverId > MAX_SERVER_ID) {
      throw new IllegalArgumentException(
          "server id must be between 0 and " + MAX_SERVER_ID + ": " + serverId);
    }
    if (placement.contains(serverId)) {
      throw new IllegalArgumentException("server " + serverId + " is already present");
    }
    Moves moves = new Moves();
    placement.addServer(serverId, weight, moves);
    if (serverId >= memories.length) {
      memories = Arrays.copyOf(memories, Math.max(serverId + 1, memories.length * 2));
    }
    memories[serverId] = new ServerMemory();
    if (listener == null) {
      return apply(moves, null);
    }
    Flows flows = new Flows();
    long moved = apply(moves, flows);
    listener.serverAdded(serverId, flows.toList());
    return moved;
  }

  /**
   * Removes a server after moving each of its keys to its new owner; returns how many moved.
   *
   * @throws IllegalArgumentException if the server is absent
   * @throws IllegalStateException if it is the last server and still holds keys
   * @throws UnsupportedOperationException if the placement cannot remove that server
   */
  public long removeServer(int serverId) {
    if (!placement.contains(serverId)) {
      throw new IllegalArgumentException("server " + serverId + " is not present");
    }
    ServerMemory leaving = memories[serverId];
    if (placement.size() == 1 && !leaving.isEmpty()) {
      throw new IllegalStateException(
          "server "
              + serverId
              + " is the last server and holds "
              + leaving.size()
              + (leaving.size() == 1 ? " key" : " keys")
              + ", which would have nowhere to go");
    }
    Moves moves = new Moves();
    placement.removeServer(serverId, moves);
    Flows flows = listener == null ? null : new Flows();
    long moved = apply(moves, flows);
    if (!leaving.isEmpty()) {
      // Whatever the placement did not describe as ranges goes to its owner key by key.
      int[] count = new int[1];
      leaving.forEach(
          (h, keys, ko, kl, values, vo, vl) -> {
            int owner = placement.serverFor(h);
            memories[owner].put(h, keys, ko, kl, values, vo, vl);
            count[0]++;
            if (flows != null) {
              flows.add(serverId, owner, 1);
            }
          });
      moved += count[0];
      leaving.clear();
    }
    memories[serverId] = null;
    if (listener != null) {
      listener.serverRemoved(serverId, flows.toList());
    }
    return moved;
  }

  /** Moves the keys {@code moves} describes; counts them per pair in {@code flows} unless null. */
  private long apply(Moves moves, Flows flows) {
    long moved = 0;
    for (int[] move : moves.ranges) {
      ServerMemory from = memories[move[0]];
      ServerMemory to = memories[move[1]];
      if (from == null || to == null || from.isEmpty()) {
        continue;
      }
      ServerMemory taken = from.extractRange(move[2], move[3]);
      moved += taken.size();
      if (flows != null) {
        flows.add(move[0], move[1], taken.size());
      }
      to.absorb(taken);
    }
    if (moves.reassigned) {
      for (int server : placement.servers()) {
        ServerMemory memory = memories[server];
        ServerMemory taken = memory.extractIf(h -> placement.serverFor(h) != server);
        moved += taken.size();
        taken.forEach(
            (h, keys, ko, kl, values, vo, vl) -> {
              int owner = placement.serverFor(h);
              memories[owner].put(h, keys, ko, kl, values, vo, vl);
              if (flows != null) {
                flows.add(server, owner, 1);
              }
            });
      }
    }
    return moved;
  }

  /** Returns the ids of the servers, ascending. */
  public int[] servers() {
    return placement.servers();
  }

  /** Returns whether {@code serverId} is present. */
  public boolean hasServer(int serverId) {
    return placement.contains(serverId);
  }

  /** Returns the number of servers. */
  public int serverCount() {
    return placement.size();
  }

  /** Returns the number of keys stored on all servers. */
  public long size() {
    long total = 0;
    for (int server : placement.servers()) {
      total += memories[server].size();
    }
    return total;
  }

  /** Returns the number of keys {@code serverId} holds, 0 when absent. */
  public int keys(int serverId) {
    ServerMemory memory = serverId >= 0 && serverId < memories.length ? memories[serverId] : null;
    return memory == null ? 0 : memory.size();
  }

  /** Returns an estimate of the heap the stored data retains, in bytes. */
  public long footprint() {
    long total = 0;
    for (int server : placement.servers()) {
      total += memories[server].footprint();
    }
    return total;
  }

  /** Visits every entry, server by server in ascending id order. */
  public void forEach(EntryVisitor visitor) {
    for (int server : placement.servers()) {
      memories[server].forEach(visitor);
    }
  }

  /** Visits the entries of one server; nothing when it is absent. */
  public void forEach(int serverId, EntryVisitor visitor) {
    if (placement.contains(serverId)) {
      memories[serverId].forEach(visitor);
    }
  }

  /**
   * Visits, on every server, the entries whose routing hash lies in {@code [lo, hi]} (unsigned,
   * inclusive): a cursor over hash ranges visits each key once even across topology changes.
   */
  public void forEachInRange(int lo, int hi, EntryVisitor visitor) {
    for (int server : placement.servers()) {
      memories[server].forEachInRange(lo, hi, visitor);
    }
  }

  /** Removes every key from every server; the servers stay. */
  public void clear() {
    for (int server : placement.servers()) {
      memories[server].clear();
    }
  }

  @Override
  public String toString() {
    return "LoadBalancer(" + placement + ", " + size() + " keys)";
  }

  /** Counts the keys one topology change moves, per pair of servers, for the listener. */
  private static final class Flows {
    /** (from << 32 | to) to the keys moved; ids are non-negative, so this orders by from, to. */
    private final TreeMap<Long, long[]> counts = new TreeMap<>();

    void add(int from, int to, long keys) {
      if (keys > 0 && from != to) {
        counts.computeIfAbsent(((long) from << 32) | to, pair -> new long[1])[0] += keys;
      }
    }

    List<TopologyListener.Flow> toList() {
      List<TopologyListener.Flow> list = new ArrayList<>(counts.size());
      for (Map.Entry<Long, long[]> count : counts.entrySet()) {
        long pair = count.getKey();
        list.add(new TopologyListener.Flow((int) (pair >>> 32), (int) pair, count.getValue()[0]));
      }
      return List.copyOf(list);
    }
  }

  /** Collects what a placement reports, to be applied once the placement has changed. */
  private static final class Moves implements Placement.MoveListener {
    final List<int[]> ranges = new ArrayList<>();
    boolean reassigned;

    @Override
    public void moved(int fromServer, int toServer, int lo, int hi) {
      ranges.add(new int[] {fromServer, toServer, lo, hi});
    }

    @Override
    public void reassigned() {
      reassigned = true;
    }
  }
}
