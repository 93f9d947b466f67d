package io.ringlb.proxy;

import io.netty.channel.EventLoop;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * One redis-server behind the proxy: its ring id and address (for a Sentinel-managed shard: its
 * master name and the primary Sentinel names now), a small pool of connections per I/O thread, one
 * administrative connection, and its health.
 *
 * <p>Each I/O thread owns its own row of connections, created lazily and touched only from that
 * thread, so a request and its reply never change threads. A client connection is pinned to one
 * connection of the pool, which keeps its commands to one backend in order.
 */
final class Backend {

  /** Told of each failure to reach a backend, with how many came in a row (to eject it). */
  @FunctionalInterface
  interface FailureListener {
    void backendFailed(Backend backend, int consecutive);
  }

  private final int id;
  private final BackendSpec spec;
  private final String address;
  private final String describe;

  /** Where the connections go: the spec, or the primary Sentinel names (null while unknown). */
  private volatile BackendSpec target;

  /** What Sentinel says of the shard; null for a plain backend. */
  private volatile SentinelShard shard;

  /** The replicas reads of one key may go to ({@code read-from}); null to read the primary. */
  private volatile ReplicaReads replicaReads;

  private final Worker[] workers;
  private final FailureListener failureListener;

  /** Per worker: {@link #pool} RESP2 connections, then as many RESP3 ones; each opened lazily. */
  private final BackendConnection[][] rows;

  private final int pool;
  private volatile BackendConnection admin;

  private final AtomicInteger consecutiveFailures = new AtomicInteger();
  private final AtomicLong failures = new AtomicLong();

  /** Commands sent to this backend: clients' and the proxy's own (migration, DBSIZE...). */
  private final LongAdder requests = new LongAdder();

  /** Error replies this backend gave (WRONGTYPE, NOSCRIPT...); not failures of the backend. */
  private final LongAdder errorReplies = new LongAdder();

  /** Times a request to this backend waited past the request timeout. */
  private final AtomicLong timeouts = new AtomicLong();

  /** Times this backend was ejected from the ring. */
  private final AtomicLong ejections = new AtomicLong();

  /** Writes answered an error because too few replicas acknowledged them in time. */
  private final LongAdder unreplicated = new LongAdder();

  /** Connections of the blocking pools to this backend, open (idle or blocked), every worker's. */
  private final AtomicInteger blockingOpen = new AtomicInteger();

  /** Blocking commands refused because {@code limits.blocking-connections} were all open. */
  private final LongAdder blockingRefused = new LongAdder();

  private volatile String lastError;

  /**
   * When ({@link System#nanoTime()}) the failures since this backend's last reply began; 0 while it
   * answers. A failure sets it only when it is 0, a reply clears it.
   */
  private final AtomicLong unreachableSince = new AtomicLong();

  /** While ejected: the {@link System#nanoTime()} after which ringlb tries the backend again. */
  private volatile long ejectedUntil;

  private volatile boolean ejected;

  /**
   * A backend with {@code pool} connections per worker of {@code workers} (the first also holds the
   * administrative connection), telling {@code failureListener} of its failures.
   */
  Backend(BackendSpec spec, Worker[] workers, int pool, FailureListener failureListener) {
    this.id = spec.id();
    this.spec = spec;
    this.address = spec.address();
    this.target = spec.managed() ? null : spec;
    this.describe = "backend " + id + " (" + address + ")";
    this.workers = workers;
    this.failureListener = failureListener;
    this.pool = pool;
    this.rows = new BackendConnection[workers.length][pool * 2];
  }

  /** The ring server id. */
  int id() {
    return id;
  }

  /** The id and address as configured. */
  BackendSpec spec() {
    return spec;
  }

  /** {@code host:port}. */
  String address() {
    return address;
  }

  /** {@code backend ID (HOST:PORT)}, as messages name it. */
  String describe() {
    return describe;
  }

  /** Returns whether Redis Sentinel names this backend's primary. */
  boolean managed() {
    return spec.managed();
  }

  /**
   * The address the connections go to: the configured one, or the primary Sentinel names now (null
   * while none is known).
   */
  BackendSpec target() {
    return target;
  }

  /** What Sentinel says of this shard, or null for a plain backend. */
  SentinelShard shard() {
    return shard;
  }

  /** The replicas reads of one key may go to, or null when every read goes to the primary. */
  ReplicaReads replicaReads() {
    return replicaReads;
  }

  /** Reads of one key may go to {@code reads}' replicas ({@code read-from}); once, at creation. */
  void readFrom(ReplicaReads reads) {
    this.replicaReads = reads;
  }

  /** Attaches what Sentinel says of this shard; once, as the shard is first watched. */
  void watchedBy(SentinelShard watched) {
    this.shard = watched;
  }

  /**
   * Points every connection of this shard at {@code primary}: connections to the old primary are
   * closed (what they had sent fails, its outcome unknown), and requests not sent yet go to the new
   * one. Any thread.
   */
  void repoint(BackendSpec primary) {
    BackendSpec old = target;
    if (primary.equals(old)) {
      return;
    }
    target = primary;
    String why =
        "ERR ringlb: "
            + describe
            + " failed over"
            + (old == null ? "" : " from " + old.address())
            + " to "
            + primary.address()
            + "; the outcome of this request is unknown";
    dropConnections(why);
  }

  /**
   * Closes every connection of this backend, failing what they had sent with {@code why}; requests
   * not sent yet go on new connections (with the upstream's login as it is then). Any thread.
   */
  void dropConnections(String why) {
    for (Worker worker : workers) {
      worker
          .loop()
          .execute(
              () -> {
                for (BackendConnection c : rows[worker.index()]) {
                  if (c != null) {
                    c.retarget(why);
                  }
                }
                BackendConnection a = admin;
                if (a != null && a.loop() == worker.loop()) {
                  a.retarget(why);
                }
              });
    }
  }

  /** Adds this backend's host and port to {@code args}, as MIGRATE's target. */
  void addAddress(java.util.List<Object> args) {
    BackendSpec t = target;
    if (t == null) {
      throw new Values.BackendException("ERR ringlb: " + describe + " has no primary known");
    }
    args.add(t.host().getBytes(StandardCharsets.US_ASCII));
    args.add(Integer.toString(t.port()).getBytes(StandardCharsets.US_ASCII));
  }

  /** Returns the pooled RESP2 connection of {@code worker} for {@code client}; on its loop. */
  BackendConnection connection(Worker worker, long client) {
    return connection(worker, client, false);
  }

  /**
   * Returns the pooled connection of {@code worker} for {@code client} that speaks RESP3 when
   * {@code resp3} (it said {@code HELLO 3} when it opened), else RESP2; on that worker's loop.
   */
  BackendConnection connection(Worker worker, long client, boolean resp3) {
    BackendConnection[] row = rows[worker.index()];
    int slot = (pool == 1 ? 0 : (int) Math.floorMod(client, (long) pool)) + (resp3 ? pool : 0);
    BackendConnection c = row[slot];
    if (c == null) {
      c = new BackendConnection(this, worker, resp3);
      row[slot] = c;
      worker.register(c);
    }
    return c;
  }

  /**
   * Sends a command of {@code String} and {@code byte[]} arguments on the administrative
   * connection, from any thread; the reply comes as plain values (see {@link Values#toValue}).
   */
  CompletableFuture<Object> call(Object... args) {
    BackendConnection c = admin;
    if (c == null) {
      synchronized (this) {
        c = admin;
        if (c == null) {
          Worker worker = workers[0];
          c = new BackendConnection(this, worker, false);
          admin = c;
          BackendConnection created = c;
          worker.loop().execute(() -> worker.register(created));
        }
      }
    }
    CompletableFuture<Object> future = new CompletableFuture<>();
    BackendConnection target = c;
    EventLoop loop = c.loop();
    loop.execute(() -> target.send(args, new Values.FuturePending(future)));
    return future;
  }

  /**
   * Like {@link #call}, but waits up to {@code timeoutMillis} and returns a failure as a {@link
   * Values.Error} rather than throwing.
   */
  Object callQuietly(long timeoutMillis, Object... args) {
    try {
      return call(args).get(timeoutMillis, TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      return new Values.Error(e.getCause().getMessage());
    } catch (TimeoutException e) {
      return new Values.Error(describe + " did not answer");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Values.Error("interrupted");
    }
  }

  /** Closes every connection to this backend (and to the replicas it reads), each on its loop. */
  void closeConnections() {
    ReplicaReads reads = replicaReads;
    if (reads != null) {
      reads.close();
    }
    for (Worker worker : workers) {
      worker
          .loop()
          .execute(
              () -> {
                for (BackendConnection c : rows[worker.index()]) {
                  if (c != null) {
                    c.close("ERR ringlb: " + describe + " left the ring");
                  }
                }
                BackendConnection a = admin;
                if (a != null && a.loop() == worker.loop()) {
                  a.close("ERR ringlb: " + describe + " left the ring");
                }
              });
    }
  }

  // ---- health

  void recordSuccess() {
    if (consecutiveFailures.get() != 0) {
      consecutiveFailures.set(0);
      unreachableSince.set(0);
    }
  }

  void recordFailure(String error) {
    lastError = error;
    failures.incrementAndGet();
    long now = System.nanoTime();
    unreachableSince.compareAndSet(0, now == 0 ? 1 : now);
    int n = consecutiveFailures.incrementAndGet();
    failureListener.backendFailed(this, n);
  }

  /** Returns whether the last attempt to reach this backend failed. */
  boolean down() {
    return ejected || consecutiveFailures.get() > 0;
  }

  /**
   * Returns since when ({@link System#nanoTime()}) every attempt to reach this backend has failed,
   * with no reply between; 0 when its last attempt was answered (or none failed yet).
   */
  long unreachableSince() {
    return unreachableSince.get();
  }

  int consecutiveFailures() {
    return consecutiveFailures.get();
  }

  long failures() {
    return failures.get();
  }

  String lastError() {
    return lastError;
  }

  // ---- ejection (decided by the control plane)

  /** Returns whether requests are routed around this backend. */
  boolean isEjected() {
    return ejected;
  }

  /**
   * Ejects this backend until {@code retryAt} ({@link System#nanoTime()}); returns false when it
   * was ejected already.
   */
  synchronized boolean eject(long retryAt) {
    if (ejected) {
      return false;
    }
    ejectedUntil = retryAt;
    ejected = true;
    ejections.incrementAndGet();
    return true;
  }

  /** Returns whether this backend is ejected and due to be tried again at {@code now}. */
  boolean retryDue(long now) {
    return ejected && now - ejectedUntil > 0;
  }

  /** Tries this ejected backend again at {@code retryAt} ({@link System#nanoTime()}). */
  void retryAt(long retryAt) {
    ejectedUntil = retryAt;
  }

  /** The ejected backend answered again: route to it. */
  void readmit() {
    recordSuccess();
    ejected = false;
  }

  // ---- counters, for INFO

  void countRequest() {
    requests.increment();
  }

  void countErrorReply() {
    errorReplies.increment();
  }

  void countUnreplicated() {
    unreplicated.increment();
  }

  long unreplicated() {
    return unreplicated.sum();
  }

  void countTimeout() {
    timeouts.incrementAndGet();
  }

  /**
   * Counts one more dedicated connection open, unless {@code limit} are open already; returns
   * whether it may open (and counts the refusal otherwise, when {@code countRefusal}). Any thread.
   */
  boolean openBlocking(int limit, boolean countRefusal) {
    while (true) {
      int n = blockingOpen.get();
      if (n >= limit) {
        if (countRefusal) {
          blockingRefused.increment();
        }
        return false;
      }
      if (blockingOpen.compareAndSet(n, n + 1)) {
        return true;
      }
    }
  }

  /** Counts one blocking connection closed. */
  void closedBlocking() {
    blockingOpen.decrementAndGet();
  }

  int blockingOpen() {
    return blockingOpen.get();
  }

  long blockingRefused() {
    return blockingRefused.sum();
  }

  long requests() {
    return requests.sum();
  }

  long errorReplies() {
    return errorReplies.sum();
  }

  long timeouts() {
    return timeouts.get();
  }

  long ejections() {
    return ejections.get();
  }

  @Override
  public String toString() {
    return describe;
  }
}
