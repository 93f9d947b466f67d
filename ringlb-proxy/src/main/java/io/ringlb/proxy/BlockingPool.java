package io.ringlb.proxy;

import io.netty.handler.codec.redis.IntegerRedisMessage;
import io.netty.handler.codec.redis.RedisMessage;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * One worker's connections for blocking commands: a pool of dedicated connections per backend, each
 * running one blocked command at a time, and the commands blocked now ({@link Blocked}).
 *
 * <p>The connections to a backend, idle or blocked, of every worker together are at most {@code
 * limits.blocking-connections}; a blocking command that would need one more is refused. A worker
 * keeps up to {@value #IDLE_PER_BACKEND} idle ones per backend and closes the others. Each learns
 * its id on the backend ({@code CLIENT ID}) as it opens, so that its command can be ended with
 * {@code CLIENT UNBLOCK} from the backend's administrative connection.
 *
 * <p>A blocked command has no request timeout, so a backend that stops answering is found by a
 * {@code PING} on its administrative connection every {@code timeouts.request} (at least every
 * second) while commands are blocked on it: one not answered within {@code timeouts.request} ends
 * them with an error, and their connections are closed. So does a failover of a Sentinel-managed
 * shard: a command blocked on the old primary ends with an error at the next probe. Event-loop
 * confined.
 */
final class BlockingPool {

  /** Idle connections kept per backend by one worker. */
  static final int IDLE_PER_BACKEND = 32;

  private final Worker worker;
  private final Map<Backend, ArrayDeque<Dedicated>> idle = new HashMap<>();
  private final ArrayList<Blocked> blocked = new ArrayList<>();
  private final Set<Backend> probing = new HashSet<>();
  private final long probeMillis;
  private boolean probeScheduled;

  /** {@code blocked.size()}, for INFO from any thread. */
  private volatile int blockedCount;

  private final ProxyStats stats;

  BlockingPool(Worker worker, ProxyStats stats) {
    this.worker = worker;
    this.stats = stats;
    this.probeMillis = Math.max(1000, worker.upstream().requestTimeoutMillis());
  }

  /** A connection of the pool, and its id on the backend once known (-1 before). */
  static final class Dedicated {
    private final Backend backend;
    private final BackendConnection connection;

    /** Where it connects: a Sentinel-managed shard that failed over is elsewhere since. */
    private final BackendSpec target;

    private long id = -1;
    private boolean broken;
    private boolean closed;

    private Dedicated(Backend backend, BackendConnection connection) {
      this.backend = backend;
      this.connection = connection;
      this.target = backend.target();
    }

    /** Returns whether the backend's primary is no longer the one this connection went to. */
    boolean failedOver() {
      return backend.target() != null && !backend.target().equals(target);
    }

    Backend backend() {
      return backend;
    }

    BackendConnection connection() {
      return connection;
    }

    /** The connection's {@code CLIENT ID} on the backend, or -1 while not known. */
    long id() {
      return id;
    }

    /** Its command failed (the connection was lost or timed out): it is closed, not reused. */
    void broken() {
      broken = true;
    }
  }

  /** Counts a blocked command sent again to its keys' new owner. */
  void countMoved() {
    stats.blockedMoved();
  }

  /** Returns the commands blocked on this worker now; any thread. */
  int blockedCount() {
    return blockedCount;
  }

  /**
   * Returns a connection to {@code b}: an idle one, or a new one while fewer than the limit are
   * open; null when the limit is reached. It speaks RESP3 when {@code resp3} (for a RESP3 client,
   * whose reply passes through as the backend gives it), else RESP2.
   */
  Dedicated acquire(Backend b, boolean resp3) {
    return acquire(b, resp3, true);
  }

  /**
   * As {@link #acquire(Backend, boolean)}, for a use that does without one when none is left (a
   * transaction, then sent whole at EXEC): not counted as refused then.
   */
  Dedicated tryAcquire(Backend b, boolean resp3) {
    return acquire(b, resp3, false);
  }

  private Dedicated acquire(Backend b, boolean resp3, boolean countRefusal) {
    ArrayDeque<Dedicated> free = idle.get(b);
    if (free != null) {
      for (java.util.Iterator<Dedicated> it = free.iterator(); it.hasNext(); ) {
        Dedicated d = it.next();
        if (d.connection.connected() && !d.failedOver()) {
          if (d.connection.resp3() == resp3) {
            it.remove();
            return d;
          }
        } else {
          // Lost while idle: a new connection would have another id, so it is not reused.
          it.remove();
          close(d, "ERR ringlb: blocking connection lost");
        }
      }
    }
    if (!b.openBlocking(worker.upstream().blockingConnections(), countRefusal)) {
      return null;
    }
    BackendConnection c = new BackendConnection(b, worker, resp3);
    worker.register(c);
    Dedicated opened = new Dedicated(b, c);
    c.send(
        new Object[] {"CLIENT", "ID"},
        new Pending() {
          @Override
          void complete(RedisMessage reply) {
            if (reply instanceof IntegerRedisMessage n) {
              opened.id = n.value();
            } else {
              opened.broken = true;
            }
            ReferenceCountUtil.release(reply);
          }

          @Override
          void fail(String error) {
            opened.broken = true;
          }
        });
    return opened;
  }

  /**
   * The error for a command that found every dedicated connection to {@code b} taken, {@code why}
   * appended.
   */
  String limitReached(Backend b, String why) {
    return "ERR ringlb: "
        + b.describe()
        + " has "
        + worker.upstream().blockingConnections()
        + " dedicated connections open, the most limits.blocking-connections allows"
        + why;
  }

  /** Gives {@code d} back after its command ended: kept idle, or closed. */
  void release(Dedicated d) {
    ArrayDeque<Dedicated> free = idle.computeIfAbsent(d.backend, k -> new ArrayDeque<>());
    if (d.broken
        || d.failedOver()
        || d.id < 0
        || free.size() >= IDLE_PER_BACKEND
        || !worker.topology().placement().contains(d.backend.id())) {
      close(d, "ERR ringlb: blocking connection closed");
    } else {
      free.add(d);
    }
  }

  /** Closes {@code d} for good, failing its command with {@code error} if one is running. */
  void close(Dedicated d, String error) {
    if (d.closed) {
      return;
    }
    d.closed = true;
    d.broken = true;
    d.connection.close(error);
    worker.unregister(d.connection);
    d.backend.closedBlocking();
  }

  /** Counts {@code b} as blocked now; the backend it waits on is then checked with PING. */
  void add(Blocked b) {
    blocked.add(b);
    blockedCount = blocked.size();
    if (!probeScheduled) {
      probeScheduled = true;
      worker.loop().schedule(this::probe, probeMillis, TimeUnit.MILLISECONDS);
    }
  }

  void remove(Blocked b) {
    blocked.remove(b);
    blockedCount = blocked.size();
  }

  /**
   * The worker routes by {@code next} from now on: every blocked command whose keys' owner changes
   * is unblocked, to block again on the new owner; idle connections to backends out of the ring
   * close.
   */
  void adopted(Topology next) {
    for (Blocked b : new ArrayList<>(blocked)) {
      b.adopted(next);
    }
    for (Map.Entry<Backend, ArrayDeque<Dedicated>> e : idle.entrySet()) {
      if (!next.placement().contains(e.getKey().id())) {
        Dedicated d;
        while ((d = e.getValue().poll()) != null) {
          close(d, "ERR ringlb: " + e.getKey().describe() + " left the ring");
        }
      }
    }
  }

  /** PINGs each backend with commands blocked on it since the last probe at least. */
  private void probe() {
    probeScheduled = false;
    if (blocked.isEmpty()) {
      return;
    }
    long since = System.nanoTime() - TimeUnit.MILLISECONDS.toNanos(probeMillis);
    Set<Backend> waitedOn = new HashSet<>();
    for (Blocked b : new ArrayList<>(blocked)) {
      b.failedOver(); // a shard that failed over: its old primary no longer serves the keys
    }
    for (Blocked b : blocked) {
      Backend on = b.blockedOn(since);
      if (on != null) {
        waitedOn.add(on);
      }
    }
    for (Backend b : waitedOn) {
      if (probing.add(b)) {
        b.call("PING")
            .whenComplete(
                (pong, failure) ->
                    worker
                        .loop()
                        .execute(
                            () -> {
                              probing.remove(b);
                              if (failure != null) {
                                lost(b, failure.getMessage());
                              }
                            }));
      }
    }
    probeScheduled = true;
    worker.loop().schedule(this::probe, probeMillis, TimeUnit.MILLISECONDS);
  }

  /** {@code b} did not answer a PING: the commands blocked on it end with an error. */
  private void lost(Backend b, String why) {
    List<Blocked> on = new ArrayList<>();
    for (Blocked blockedNow : blocked) {
      if (blockedNow.blockedOn(Long.MAX_VALUE) == b) {
        on.add(blockedNow);
      }
    }
    for (Blocked blockedNow : on) {
      blockedNow.lost(
          "ERR ringlb: "
              + b.describe()
              + " did not answer PING while a command was blocked on it: "
              + why);
    }
  }
}
