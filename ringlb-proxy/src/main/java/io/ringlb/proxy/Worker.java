package io.ringlb.proxy;

import io.netty.channel.EventLoop;
import java.util.ArrayList;
import java.util.concurrent.CompletableFuture;
import io.ringlb.server.TurnFlusher;
import java.util.concurrent.TimeUnit;

/**
 * The proxy state owned by one I/O thread: its view of the topology, its requests in flight per
 * topology, the clients held while the topology changes, and its backend connections.
 *
 * <p>Everything here is touched only on {@link #loop}; other threads reach it through {@code
 * loop.execute}. Writes to backends and clients are flushed once per loop turn by the loop's
 * {@link TurnFlusher}.
 */
final class Worker {

  final Proxy proxy;
  final int index;
  final EventLoop loop;

  /** The topology new requests are routed by. */
  Topology topology;
  /** False between adopting a topology and learning that every worker drained the one before. */
  boolean ready = true;
  private int inflight;
  private int previousInflight;
  private CompletableFuture<Void> drained;
  private final ArrayList<ProxyClient> parked = new ArrayList<>();
  /** The clients of this worker that have subscribed, to subscribe on backends that join. */
  final ArrayList<PubSub> subscribers = new ArrayList<>();

  private final ArrayList<BackendConnection> connections = new ArrayList<>();
  private final TurnFlusher flusher;
  private final Router router;
  private final SplitCommand split;

  Worker(Proxy proxy, int index, EventLoop loop, Topology topology) {
    this.proxy = proxy;
    this.index = index;
    this.loop = loop;
    this.topology = topology;
    this.flusher = TurnFlusher.of(loop);
    this.router = new Router(proxy, this);
    this.split = new SplitCommand(proxy, this, router);
  }

  /** Returns the router of this thread's requests. */
  Router router() {
    return router;
  }

  /** Returns the splitter of this thread's MGET, MSET and DEL. */
  SplitCommand split() {
    return split;
  }

  void start() {
    long period = Math.max(5, Math.min(100, proxy.config().requestTimeout().toMillis() / 20));
    loop.scheduleAtFixedRate(this::checkTimeouts, period, period, TimeUnit.MILLISECONDS);
  }

  void register(BackendConnection connection) {
    connections.add(connection);
  }

  void unregister(BackendConnection connection) {
    connections.remove(connection);
  }

  private void checkTimeouts() {
    long now = System.nanoTime();
    for (int i = 0; i < connections.size(); i++) {
      connections.get(i).checkTimeouts(now);
    }
  }

  // ---- requests in flight per topology

  /** Counts a request routed by {@link #topology}. */
  void begin() {
    inflight++;
  }

  /** Counts the end of a request routed by {@code routedBy}. */
  void end(Topology routedBy) {
    if (routedBy == topology) {
      inflight--;
    } else if (--previousInflight == 0 && drained != null) {
      CompletableFuture<Void> d = drained;
      drained = null;
      d.complete(null);
    }
  }

  /**
   * Routes new requests by {@code next} once {@link #markReady} says so, and completes {@code
   * signal} when no request routed by an older topology is left.
   */
  void adopt(Topology next, CompletableFuture<Void> signal) {
    previousInflight += inflight;
    inflight = 0;
    topology = next;
    ready = false;
    for (int i = 0; i < subscribers.size(); i++) {
      subscribers.get(i).ensure(next);
    }
    if (previousInflight == 0) {
      signal.complete(null);
    } else {
      drained = signal;
    }
  }

  /** Every worker drained the older topology: run what waited. */
  void markReady() {
    ready = true;
    ProxyClient[] waiting = parked.toArray(new ProxyClient[0]);
    parked.clear();
    for (ProxyClient client : waiting) {
      client.unpark();
    }
  }

  /** Holds {@code client}'s requests until the topology settles. */
  void park(ProxyClient client) {
    parked.add(client);
  }

  /** Flushes {@code connection} at the end of this loop turn, before the clients. */
  void markDirty(BackendConnection connection) {
    flusher.upstream(connection);
  }
}
