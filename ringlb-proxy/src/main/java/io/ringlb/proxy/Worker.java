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
 * <p>Everything here is touched only on {@link #loop()}; other threads reach it through {@code
 * loop().execute}.
 */
final class Worker implements Runnable {

  private final int index;
  private final EventLoop loop;
  private final Upstream upstream;

  /** The topology new requests are routed by. */
  private Topology topology;
  /** False between adopting a topology and learning that every worker drained the one before. */
  private boolean ready = true;
  private int inflight;
  private int previousInflight;
  private CompletableFuture<Void> drained;
  private final ArrayList<ProxyHandler> parked = new ArrayList<>();
  /** The clients of this worker that have subscribed, to subscribe on backends that join. */
  private final ArrayList<PubSub> subscribers = new ArrayList<>();

  private final ArrayList<BackendConnection> connections = new ArrayList<>();
  private BackendConnection[] dirtyBackends = new BackendConnection[16];
  private int dirtyBackendCount;
  private ProxyHandler[] dirtyClients = new ProxyHandler[64];
  private int dirtyClientCount;
  private boolean flushScheduled;

  /** Scratch space for hashing keys without allocating. */
  private byte[] scratch = new byte[256];

  /** Worker {@code index}, on {@code loop}, reaching backends through {@code upstream}. */
  Worker(int index, EventLoop loop, Upstream upstream) {
    this.index = index;
    this.loop = loop;
    this.upstream = upstream;
  }

  /** Routes by {@code first} from the start; before any request, before {@link #start}. */
  void init(Topology first) {
    this.topology = first;
  }

  /** Starts checking the requests in flight for timeouts; from any thread. */
  void start() {
    loop.execute(() -> {
      long period = Math.max(5, Math.min(100, upstream.requestTimeoutMillis() / 20));
      loop.scheduleAtFixedRate(this::checkTimeouts, period, period, TimeUnit.MILLISECONDS);
    });
  }

  /** This worker's place among the workers, from 0. */
  int index() {
    return index;
  }

  /** The I/O thread everything here runs on. */
  EventLoop loop() {
    return loop;
  }

  /** How this worker's connections reach the backends. */
  Upstream upstream() {
    return upstream;
  }

  /** The topology new requests are routed by. */
  Topology topology() {
    return topology;
  }

  /** Returns whether new requests may be sent (false while an older topology drains). */
  boolean ready() {
    return ready;
  }

  /** Subscribes {@code client}'s subscriptions on the backends of every topology adopted. */
  void addSubscriber(PubSub client) {
    subscribers.add(client);
  }

  void removeSubscriber(PubSub client) {
    subscribers.remove(client);
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

  /** Returns scratch space of at least {@code n} bytes, for hashing keys without allocating. */
  byte[] scratch(int n) {
    if (scratch.length < n) {
      scratch = new byte[Math.max(n, scratch.length * 2)];
    }
    return scratch;
  }
}
