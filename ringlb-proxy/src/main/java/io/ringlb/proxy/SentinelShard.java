package io.ringlb.proxy;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * What Redis Sentinel says of one master name: its primary (with the configuration epoch that named
 * it), its replicas and their lag, and the failovers the proxy followed; it re-points the backends
 * of the shard when the primary changes.
 */
final class SentinelShard {

  /**
   * A replica as Sentinel and the primary report it: up (to read from), lag in seconds since its
   * last ack and in bytes behind the primary's offset (-1 when unknown), and whether Sentinel could
   * promote it (not down, its own link to it up; its link to the primary may be down).
   */
  record Replica(
      String host, int port, boolean up, long lagSeconds, long lagBytes, boolean promotable) {
    String address() {
      return host + ":" + port;
    }
  }

  private final String master;
  private final Upstream upstream;
  private final Runnable refresh;
  private final Runnable failedOver;
  private final List<Backend> backends = new CopyOnWriteArrayList<>();

  private volatile String primaryHost;
  private volatile int primaryPort;
  private long epoch = -1;
  private volatile List<Replica> replicas = List.of();
  private volatile long failovers;
  private volatile String lastFailover;
  private volatile long lastFailoverMillis;
  private volatile String lastError;

  /**
   * The shard of {@code master}; {@code refresh} asks the sentinels again soon, {@code failedOver}
   * counts a failover followed.
   */
  SentinelShard(String master, Upstream upstream, Runnable refresh, Runnable failedOver) {
    this.master = master;
    this.upstream = upstream;
    this.refresh = refresh;
    this.failedOver = failedOver;
  }

  String master() {
    return master;
  }

  /** Adds a backend of this shard, pointing it at the primary when one is known. */
  void add(Backend backend) {
    backends.add(backend);
    backend.watchedBy(this);
    String host = primaryHost;
    if (host != null) {
      point(backend, host, primaryPort);
    }
  }

  /** Stops re-pointing {@code backend} (it left the ring). */
  void remove(Backend backend) {
    backends.remove(backend);
  }

  /** The backends of this shard (usually one). */
  List<Backend> backends() {
    return backends;
  }

  /** Asks the sentinels again soon (a connection found a stale primary, or an event came). */
  void refreshSoon() {
    refresh.run();
  }

  /**
   * Takes Sentinel's answer: the primary at {@code host:port} named at configuration {@code epoch}.
   * An answer of an older epoch than one taken (a sentinel that has not heard of the failover yet)
   * is ignored; a new primary re-points the backends and counts a failover.
   */
  synchronized void primary(String host, int port, long epoch) {
    if (epoch < this.epoch) {
      return;
    }
    this.epoch = epoch;
    String oldHost = primaryHost;
    if (host.equals(oldHost) && port == primaryPort) {
      return;
    }
    if (oldHost != null) {
      failovers++;
      lastFailover = oldHost + ":" + primaryPort + " -> " + host + ":" + port;
      lastFailoverMillis = System.currentTimeMillis();
      failedOver.run();
    }
    primaryPort = port;
    primaryHost = host;
    for (Backend b : backends) {
      point(b, host, port);
      ReplicaReads reads = b.replicaReads();
      if (reads != null) {
        reads.update(replicas); // the new primary is no longer read as a replica
      }
    }
  }

  private void point(Backend b, String host, int port) {
    BackendSpec spec = new BackendSpec(b.id(), host, port);
    try {
      upstream.admit(spec); // an address learnt from Sentinel is allowed as one configured
      lastError = null;
    } catch (IllegalArgumentException e) {
      lastError = "primary named by Sentinel refused: " + e.getMessage();
    }
    b.repoint(spec); // a refused address fails each request with the allow-list's message
  }

  /** Takes the replicas Sentinel and the primary report. */
  void replicas(List<Replica> now) {
    replicas = List.copyOf(now);
    for (Backend b : backends) {
      ReplicaReads reads = b.replicaReads();
      if (reads != null) {
        reads.update(replicas);
      }
    }
  }

  /** {@code host:port} of the primary, or null while none is known. */
  String primaryAddress() {
    String host = primaryHost;
    return host == null ? null : host + ":" + primaryPort;
  }

  List<Replica> replicas() {
    return replicas;
  }

  /** How many replicas Sentinel could promote, were the primary to fail. */
  int promotableReplicas() {
    return (int) replicas.stream().filter(Replica::promotable).count();
  }

  /** The replicas Sentinel reports up, for reads. */
  List<Replica> upReplicas() {
    return replicas.stream().filter(Replica::up).toList();
  }

  synchronized long epoch() {
    return epoch;
  }

  long failovers() {
    return failovers;
  }

  /** {@code OLD -> NEW} of the last failover followed, or null. */
  String lastFailover() {
    return lastFailover;
  }

  /** When the last failover was followed ({@link System#currentTimeMillis()}), or 0. */
  long lastFailoverMillis() {
    return lastFailoverMillis;
  }

  /** Why the primary named last is not used, or null. */
  String lastError() {
    return lastError;
  }

  void error(String error) {
    lastError = error;
  }
}
