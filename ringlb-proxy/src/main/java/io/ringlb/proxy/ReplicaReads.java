package io.ringlb.proxy;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The replicas a Sentinel-managed backend reads from ({@code read-from: replica-preferred} or
 * {@code replica}): one {@link Backend} per replica Sentinel names, with its own connections and
 * counters, used while Sentinel reports it up (not {@code +sdown}, its link to the primary up) and
 * set aside for {@value #RETRY_MILLIS} ms after a failure to reach it.
 *
 * <p>A client connection always reads from the same replica of a shard (by its id among those up),
 * so its reads of one key never go back in time by switching between two replicas.
 */
final class ReplicaReads {

  /** How long a replica that could not be reached is left out before one read tries it again. */
  static final long RETRY_MILLIS = 1000;

  private static final long RETRY_NANOS = RETRY_MILLIS * 1_000_000L;

  private final Backend primary;
  private final ReadFrom.Mode mode;
  private final Worker[] workers;
  private final int pool;
  private final Upstream upstream;

  /** Every replica Sentinel names now, by address. */
  private final Map<String, Backend> replicas = new ConcurrentHashMap<>();

  /** The replicas Sentinel reports up, in Sentinel's order. */
  private volatile Backend[] up = new Backend[0];

  /** The replicas of {@code primary}'s shard, read from as {@code mode} says. */
  ReplicaReads(Backend primary, ReadFrom.Mode mode, Worker[] workers, int pool, Upstream upstream) {
    this.primary = primary;
    this.mode = mode;
    this.workers = workers;
    this.pool = pool;
    this.upstream = upstream;
  }

  /** {@code replica-preferred} or {@code replica}. */
  ReadFrom.Mode mode() {
    return mode;
  }

  /** Returns whether a read finds no replica is an error rather than a read of the primary. */
  boolean replicaOnly() {
    return mode == ReadFrom.Mode.REPLICA;
  }

  /**
   * Takes the replicas Sentinel names now: new ones get a backend, those gone have their
   * connections closed, and only those up are read from. Any thread.
   */
  synchronized void update(List<SentinelShard.Replica> now) {
    Set<String> named = new HashSet<>();
    List<Backend> usable = new ArrayList<>();
    for (SentinelShard.Replica r : now) {
      String address = r.address();
      BackendSpec spec;
      try {
        spec = new BackendSpec(primary.id(), r.host(), r.port());
        upstream.admit(spec); // an address learnt from Sentinel is allowed as one configured
      } catch (IllegalArgumentException e) {
        continue; // refused by the allow-list: never read from
      }
      named.add(address);
      Backend b =
          replicas.computeIfAbsent(
              address, a -> new Backend(spec, workers, pool, ReplicaReads::setAside));
      if (r.up() && !address.equals(primary.shard().primaryAddress())) {
        usable.add(b);
      }
    }
    up = usable.toArray(new Backend[0]);
    for (Map.Entry<String, Backend> e : replicas.entrySet()) {
      if (!named.contains(e.getKey())) {
        replicas.remove(e.getKey());
        e.getValue().closeConnections();
      }
    }
  }

  /** A replica could not be reached: leave it out for a while. */
  private static void setAside(Backend replica, int consecutive) {
    long retryAt = System.nanoTime() + RETRY_NANOS;
    if (!replica.eject(retryAt)) {
      replica.retryAt(retryAt);
    }
  }

  /** A read of {@code replica} was answered: read from it again. */
  static void answered(Backend replica) {
    if (replica.isEjected()) {
      replica.readmit();
    }
  }

  /**
   * The replica client {@code client} reads from, or null when none is up (or every one up was
   * unreachable less than {@value #RETRY_MILLIS} ms ago).
   */
  Backend pick(long client) {
    Backend[] u = up;
    int n = u.length;
    if (n == 0) {
      return null;
    }
    int start = n == 1 ? 0 : (int) Math.floorMod(client, (long) n);
    long now = System.nanoTime();
    for (int i = 0; i < n; i++) {
      Backend b = u[(start + i) % n];
      if (!b.isEjected()) {
        return b;
      }
      if (b.retryDue(now)) {
        b.retryAt(now + RETRY_NANOS); // one read tries it again
        return b;
      }
    }
    return null;
  }

  /** The replicas Sentinel names now, each with the reads it served. */
  List<Backend> all() {
    return List.copyOf(replicas.values());
  }

  /** Reads served by the replica at {@code address}, 0 if it is not one of them. */
  long reads(String address) {
    Backend b = replicas.get(address);
    return b == null ? 0 : b.requests();
  }

  /** Closes the connections to every replica (the backend left the ring). */
  void close() {
    for (Backend b : replicas.values()) {
      b.closeConnections();
    }
    replicas.clear();
    up = new Backend[0];
  }
}
