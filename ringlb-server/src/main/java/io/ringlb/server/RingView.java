package io.ringlb.server;

import java.util.List;

/**
 * What a {@link DataSide} shows of its ring at one moment, for the HTTP port's metrics, readiness,
 * dashboard and {@code /api/ring}: the placement, its servers (the embedded server memories or the
 * proxy's redis-servers) with their keys and state, how the hash space is divided among them, and
 * the migration under way.
 *
 * @param mode {@code embedded} or {@code proxy}, as INFO's {@code ringlb_mode}
 * @param placement the placement's name ({@code slots}, {@code ring:160}...)
 * @param hashTag the hash tag keys are routed on, or {@code none}
 * @param epoch rises with every change of the ring (the proxy's topology epoch; the embedded
 *     server's count of ring changes, from 1)
 * @param servers every server, ascending by id
 * @param arcs the hash space as consecutive arcs, each owned by one server
 * @param migration the migration under way, or null
 * @param lastMigration the last migration that ended (for the embedded server, the last ring
 *     change, which moves its keys at once), or null
 * @param keysMovedTotal keys moved by every ring change so far
 * @param migrationsCompleted ring changes whose keys have all moved
 */
public record RingView(
    String mode,
    String placement,
    String hashTag,
    long epoch,
    List<Server> servers,
    List<Arc> arcs,
    Migration migration,
    Migration lastMigration,
    long keysMovedTotal,
    long migrationsCompleted) {

  /** Copies the lists. */
  public RingView {
    servers = List.copyOf(servers);
    arcs = List.copyOf(arcs);
  }

  /** Returns the view of a data side that shows no ring. */
  public static RingView none(String mode) {
    return new RingView(mode, "none", "none", 0, List.of(), List.of(), null, null, 0, 0);
  }

  /**
   * Returns whether the ring routes: at least one server owns keys, and every server that owns keys
   * is reachable (a backend ejected from the ring owns none, so the ring serves around it).
   */
  public boolean ready() {
    boolean any = false;
    for (Server s : servers) {
      if (s.routed()) {
        if (!s.reachable()) {
          return false;
        }
        any = true;
      }
    }
    return any;
  }

  /** Returns why the ring does not route, or null when it does ({@link #ready()}). */
  public String notReadyReason() {
    boolean any = false;
    for (Server s : servers) {
      if (s.routed()) {
        if (!s.reachable()) {
          return "server "
              + s.id()
              + (s.address() == null ? "" : " (" + s.address() + ")")
              + " owns keys and cannot be reached"
              + (s.error() == null ? "" : ": " + s.error());
        }
        any = true;
      }
    }
    return any ? null : "no server owns keys";
  }

  /** Returns the keys of every server whose count is known. */
  public long keys() {
    long total = 0;
    for (Server s : servers) {
      total += Math.max(0, s.keys());
    }
    return total;
  }

  /**
   * One server of the ring.
   *
   * @param id the ring server id
   * @param address the redis-server's {@code host:port}, or null for a server memory
   * @param state {@code serving}, {@code importing}, {@code draining} or {@code down}
   * @param routed whether the placement gives it keys now
   * @param reachable whether it answered when asked for its keys (always, for a server memory)
   * @param labels its points on the ring (or slots)
   * @param keys the keys it holds, -1 when it could not be asked
   * @param ringShare the fraction of the hash space it owns
   * @param memoryBytes an estimate of the heap its data retains, -1 when not known (a backend)
   * @param backend a backend's counters, or null for a server memory
   * @param error why it could not be asked for its keys, or null
   */
  public record Server(
      int id,
      String address,
      String state,
      boolean routed,
      boolean reachable,
      int labels,
      long keys,
      double ringShare,
      long memoryBytes,
      BackendCounters backend,
      String error) {}

  /**
   * What the proxy counted of one backend since it started.
   *
   * @param requests commands sent to it, clients' and the proxy's own
   * @param errorReplies error replies it gave (WRONGTYPE...)
   * @param failures times it could not be reached or its connection failed
   * @param timeouts requests that waited past the request timeout
   * @param ejections times it was ejected from the ring (its keys routed to the next owners)
   * @param up whether its last request reached it
   * @param replicaReads the reads each of its replicas served ({@code read-from}), by replica
   *     address; empty when it reads no replica
   */
  public record BackendCounters(
      long requests,
      long errorReplies,
      long failures,
      long timeouts,
      long ejections,
      boolean up,
      java.util.Map<String, Long> replicaReads) {

    /** Copies the replicas' reads. */
    public BackendCounters {
      replicaReads = java.util.Map.copyOf(replicaReads);
    }

    /** The counters of a backend that reads no replica. */
    public BackendCounters(
        long requests,
        long errorReplies,
        long failures,
        long timeouts,
        long ejections,
        boolean up) {
      this(requests, errorReplies, failures, timeouts, ejections, up, java.util.Map.of());
    }
  }

  /**
   * A stretch of the 32-bit hash space, from {@code start} (included) to {@code end} (excluded),
   * both unsigned, owned by one server.
   */
  public record Arc(int server, long start, long end) {}

  /**
   * A migration: the keys that change owner when a server joins or leaves.
   *
   * @param kind {@code add} or {@code remove}
   * @param server the id of the server joining or leaving
   * @param address its address, or null for a server memory
   * @param state {@code starting}, {@code moving}, {@code retrying}, {@code finishing}, {@code
   *     done} or {@code abandoned}
   * @param keysMoved keys moved so far
   * @param keysLeft keys still to move (estimated while a server joins), -1 when unknown
   * @param rate keys moved per second
   * @param seconds how long it has run
   * @param error its last error, or null
   */
  public record Migration(
      String kind,
      int server,
      String address,
      String state,
      long keysMoved,
      long keysLeft,
      double rate,
      double seconds,
      String error) {

    /** Returns the share of its keys moved, from 0 to 1, or -1 when unknown. */
    public double progress() {
      if ("done".equals(state)) {
        return 1;
      }
      if (keysLeft < 0) {
        return -1;
      }
      long total = keysMoved + keysLeft;
      return total == 0 ? 0 : (double) keysMoved / total;
    }
  }
}
