package io.ringlb.proxy;

import io.netty.channel.EventLoop;
import io.ringlb.server.TurnFlusher;
import java.util.ArrayList;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The proxy state owned by one I/O thread: its view of the topology, its requests in flight per
 * topology, the clients held while the topology changes, and its backend connections; writes to
 * backends and clients are flushed once per loop turn by the loop's {@link TurnFlusher}.
 *
 * <p>Everything here is touched only on {@link #loop()}; other threads reach it through {@code
 * loop().execute}.
 */
final class Worker {

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
  private final ArrayList<ProxyClient> parked = new ArrayList<>();

  /** The clients of this worker that have subscribed, to subscribe on backends that join. */
  private final ArrayList<PubSub> subscribers = new ArrayList<>();

  private final ArrayList<BackendConnection> connections = new ArrayList<>();
  private final TurnFlusher flusher;

  /** What waits for {@link #markReady}: blocked commands to send again on a new owner. */
  private final ArrayList<Runnable> whenReady = new ArrayList<>();

  private final BlockingPool blocking;
  private final BarrierWaits barrierWaits;
  private final BusyScripts busyScripts;

  /**
   * Worker {@code index}, on {@code loop}, reaching backends through {@code upstream}, counting in
   * {@code stats}.
   */
  Worker(int index, EventLoop loop, Upstream upstream, ProxyStats stats) {
    this.index = index;
    this.loop = loop;
    this.upstream = upstream;
    this.flusher = TurnFlusher.of(loop);
    this.blocking = new BlockingPool(this, stats);
    this.barrierWaits = stats.barrierWaits();
    this.busyScripts = stats.busyScripts();
  }

  /** Routes by {@code first} from the start; before any request, before {@link #start}. */
  void init(Topology first) {
    this.topology = first;
  }

  /** Starts checking the requests in flight for timeouts; from any thread. */
  void start() {
    loop.execute(
        () -> {
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

  /** This worker's connections for blocking commands, and the commands blocked on them. */
  /** The proxy's scripts given no key that their backend reports busy; shared by every worker. */
  BusyScripts busyScripts() {
    return busyScripts;
  }

  BlockingPool blocking() {
    return blocking;
  }

  /** Runs {@code task} once new requests may be sent ({@link #ready()}). */
  void whenReady(Runnable task) {
    if (ready) {
      task.run();
    } else {
      whenReady.add(task);
    }
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
    // Blocked commands whose owner stays count by the new topology from now; the others are
    // ended on their old owner, and the drain waits for that.
    blocking.adopted(next);
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
    long now = System.nanoTime();
    for (ProxyClient client : waiting) {
      barrierWaits.record(now - client.unpark());
    }
    Runnable[] tasks = whenReady.toArray(new Runnable[0]);
    whenReady.clear();
    for (Runnable task : tasks) {
      task.run();
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
