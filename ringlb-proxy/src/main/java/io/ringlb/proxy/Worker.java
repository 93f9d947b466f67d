package io.ringlb.proxy;

import io.netty.channel.EventLoop;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The proxy state owned by one I/O thread: its view of the topology, its requests in flight per
 * topology, its backend connections, and the writes to flush at the end of the loop turn.
 *
 * <p>Everything here is touched only on {@link #loop}; other threads reach it through {@code
 * loop.execute}.
 */
final class Worker implements Runnable {

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
  private final ArrayList<ProxyHandler> parked = new ArrayList<>();
  /** The clients of this worker that have subscribed, to subscribe on backends that join. */
  final ArrayList<PubSub> subscribers = new ArrayList<>();

  private final ArrayList<BackendConnection> connections = new ArrayList<>();
  private BackendConnection[] dirtyBackends = new BackendConnection[16];
  private int dirtyBackendCount;
  private ProxyHandler[] dirtyClients = new ProxyHandler[64];
  private int dirtyClientCount;
  private boolean flushScheduled;

  /** Scratch space for hashing keys without allocating. */
  byte[] scratch = new byte[256];

  Worker(Proxy proxy, int index, EventLoop loop, Topology topology) {
    this.proxy = proxy;
    this.index = index;
    this.loop = loop;
    this.topology = topology;
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

  /** Every worker drained the older topology: send what waited. */
  void markReady() {
    ready = true;
    ProxyHandler[] waiting = parked.toArray(new ProxyHandler[0]);
    parked.clear();
    for (ProxyHandler handler : waiting) {
      handler.unpark();
    }
    flushSoon();
  }

  void park(ProxyHandler handler) {
    parked.add(handler);
  }

  // ---- flushing once per loop turn

  void markDirty(BackendConnection connection) {
    if (dirtyBackendCount == dirtyBackends.length) {
      dirtyBackends = Arrays.copyOf(dirtyBackends, dirtyBackendCount * 2);
    }
    dirtyBackends[dirtyBackendCount++] = connection;
    flushSoon();
  }

  void markDirty(ProxyHandler client) {
    if (dirtyClientCount == dirtyClients.length) {
      dirtyClients = Arrays.copyOf(dirtyClients, dirtyClientCount * 2);
    }
    dirtyClients[dirtyClientCount++] = client;
    flushSoon();
  }

  void flushSoon() {
    if (!flushScheduled) {
      flushScheduled = true;
      loop.execute(this);
    }
  }

  /** Flushes every connection written to in this loop turn. */
  @Override
  public void run() {
    flushScheduled = false;
    // Backends first: their requests are under way while the client replies go out.
    for (int i = 0; i < dirtyBackendCount; i++) {
      dirtyBackends[i].flush();
      dirtyBackends[i] = null;
    }
    dirtyBackendCount = 0;
    for (int i = 0; i < dirtyClientCount; i++) {
      dirtyClients[i].flush();
      dirtyClients[i] = null;
    }
    dirtyClientCount = 0;
  }

  /** Ensures {@link #scratch} holds at least {@code n} bytes. */
  byte[] scratch(int n) {
    if (scratch.length < n) {
      scratch = new byte[Math.max(n, scratch.length * 2)];
    }
    return scratch;
  }
}
