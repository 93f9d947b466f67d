package io.ringlb.core;

/**
 * A placement decides which server owns each key and reports which keys change owner when servers
 * join or leave.
 *
 * <p>Keys are routed on a 32-bit hash ({@link #hashKey}); ownership depends on that hash alone, so
 * a server memory can be ordered by it and a topology change can be described as ranges of hashes
 * moving between servers. Server ids are non-negative ints. Implementations are not thread-safe;
 * callers serialize topology changes with lookups.
 */
public interface Placement {

  /** Returns the short name of this strategy, as the CLI spells it (e.g. {@code seed}). */
  String name();

  /** Returns the unsigned 32-bit routing hash of {@code length} bytes of {@code key}. */
  int hashKey(byte[] key, int offset, int length);

  /** Returns the routing hash of the whole of {@code key}. */
  default int hashKey(byte[] key) {
    return hashKey(key, 0, key.length);
  }

  /** Returns the id of the server that owns {@code keyHash}, or -1 when there is no server. */
  int serverFor(int keyHash);

  /** Returns whether {@code serverId} is part of this placement. */
  boolean contains(int serverId);

  /** Returns the number of servers. */
  int size();

  /** Returns the ids of the servers, ascending. */
  int[] servers();

  /** Returns how many points (labels, slots, ...) {@code serverId} has in this placement. */
  int points(int serverId);

  /** Returns the fraction of the 32-bit hash space {@code serverId} owns, 0 when absent. */
  double share(int serverId);

  /**
   * Adds a server with weight 1 and reports to {@code moves} every hash range that changes owner.
   *
   * @throws IllegalArgumentException if the id is negative, out of this placement's range, or
   *     already present
   */
  default void addServer(int serverId, MoveListener moves) {
    addServer(serverId, 1, moves);
  }

  /**
   * Adds a server with a relative weight and reports what moves.
   *
   * @throws IllegalArgumentException if the id is invalid or present, or the weight is not positive
   *     or not supported by this strategy
   */
  void addServer(int serverId, int weight, MoveListener moves);

  /**
   * Removes a server and reports what moves.
   *
   * @throws IllegalArgumentException if the server is absent
   * @throws UnsupportedOperationException if this strategy cannot remove that server
   */
  void removeServer(int serverId, MoveListener moves);

  /**
   * Returns whether any server may be removed; false for strategies such as jump hashing that can
   * only drop their last bucket and so cannot serve as a store's placement.
   */
  default boolean supportsArbitraryRemoval() {
    return true;
  }

  /** Receives the consequences of a topology change, after the placement has applied it. */
  interface MoveListener {

    /** A listener that ignores every move. */
    MoveListener NONE =
        new MoveListener() {
          @Override
          public void moved(int fromServer, int toServer, int lo, int hi) {}

          @Override
          public void reassigned() {}
        };

    /**
     * Keys whose hash lies in {@code [lo, hi]} (unsigned, inclusive) moved from {@code fromServer}
     * to {@code toServer}.
     */
    void moved(int fromServer, int toServer, int lo, int hi);

    /**
     * The change cannot be told as ranges: any key may have a new owner, and the caller must ask
     * {@link Placement#serverFor} for each key it holds.
     */
    void reassigned();
  }
}
