package io.ringlb.proxy;

import io.netty.channel.EventLoop;
import io.netty.handler.codec.redis.RedisMessage;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * One redis-server behind the proxy: its ring id and address, a small pool of connections per I/O
 * thread, one administrative connection, and its health.
 *
 * <p>Each I/O thread owns its own row of connections, created lazily and touched only from that
 * thread, so a request and its reply never change threads. A client connection is pinned to one
 * connection of the pool, which keeps its commands to one backend in order.
 */
final class Backend {

  final int id;
  final ProxyConfig.BackendSpec spec;
  final String address;
  /** Host and port as the arguments of MIGRATE and other commands name them. */
  final byte[] hostBytes;
  final byte[] portBytes;
  final String describe;

  private final Proxy proxy;
  private final BackendConnection[][] rows;
  private volatile BackendConnection admin;

  private final AtomicInteger consecutiveFailures = new AtomicInteger();
  private final AtomicLong failures = new AtomicLong();
  /** Commands sent to this backend: clients' and the proxy's own (migration, DBSIZE...). */
  final LongAdder requests = new LongAdder();
  /** Error replies this backend gave (WRONGTYPE, NOSCRIPT...); not failures of the backend. */
  final LongAdder errorReplies = new LongAdder();
  /** Times a request to this backend waited past the request timeout. */
  final AtomicLong timeouts = new AtomicLong();
  private volatile String lastError;
  /** While ejected: the {@link System#nanoTime()} after which ringlb tries the backend again. */
  volatile long ejectedUntil;
  volatile boolean ejected;

  Backend(Proxy proxy, ProxyConfig.BackendSpec spec, int workers, int pool) {
    this.proxy = proxy;
    this.id = spec.id();
    this.spec = spec;
    this.address = spec.address();
    this.hostBytes = spec.host().getBytes(StandardCharsets.US_ASCII);
    this.portBytes = Integer.toString(spec.port()).getBytes(StandardCharsets.US_ASCII);
    this.describe = "backend " + id + " (" + address + ")";
    this.rows = new BackendConnection[workers][pool];
  }

  /** Returns the pooled connection of {@code worker} for {@code client}; on that worker's loop. */
  BackendConnection connection(Worker worker, long client) {
    BackendConnection[] row = rows[worker.index];
    int slot = row.length == 1 ? 0 : (int) Math.floorMod(client, (long) row.length);
    BackendConnection c = row[slot];
    if (c == null) {
      c = new BackendConnection(this, proxy, worker);
      row[slot] = c;
      worker.register(c);
    }
    return c;
  }

  /** Sends {@code command} on the administrative connection, from any thread. */
  CompletableFuture<Object> call(RedisMessage command) {
    BackendConnection c = admin;
    if (c == null) {
      synchronized (this) {
        c = admin;
        if (c == null) {
          Worker worker = proxy.workers()[0];
          c = new BackendConnection(this, proxy, worker);
          admin = c;
          BackendConnection created = c;
          worker.loop.execute(() -> worker.register(created));
        }
      }
    }
    CompletableFuture<Object> future = new CompletableFuture<>();
    BackendConnection target = c;
    EventLoop loop = c.loop();
    loop.execute(() -> target.send(command, new Values.FuturePending(future)));
    return future;
  }

  /** Closes every connection to this backend, each on its own loop. */
  void closeConnections() {
    for (Worker worker : proxy.workers()) {
      worker.loop.execute(() -> {
        for (BackendConnection c : rows[worker.index]) {
          if (c != null) {
            c.close("ERR ringlb: " + describe + " left the ring");
          }
        }
        BackendConnection a = admin;
        if (a != null && a.loop() == worker.loop) {
          a.close("ERR ringlb: " + describe + " left the ring");
        }
      });
    }
  }

  void recordSuccess() {
    if (consecutiveFailures.get() != 0) {
      consecutiveFailures.set(0);
    }
  }

  void recordFailure(String error) {
    lastError = error;
    failures.incrementAndGet();
    int n = consecutiveFailures.incrementAndGet();
    proxy.backendFailed(this, n);
  }

  /** Returns whether the last attempt to reach this backend failed. */
  boolean down() {
    return ejected || consecutiveFailures.get() > 0;
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

  @Override
  public String toString() {
    return describe;
  }
}
