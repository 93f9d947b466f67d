package io.ringlb.server;

import io.netty.channel.Channel;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.redis.ArrayRedisMessage;
import io.netty.handler.codec.redis.FullBulkStringRedisMessage;
import io.netty.handler.codec.redis.RedisMessage;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import java.util.logging.Logger;

/**
 * The memory all clients of one server hold together, bounded as Redis's {@code maxmemory-clients}
 * bounds it: when the total passes the limit, the client holding the most is disconnected, then the
 * next, until the total is under it again.
 *
 * <p>What a client holds: the replies written to its connection that it has not read yet (what
 * Netty's outbound buffer holds; what the kernel's socket buffer took is not counted), replies
 * waiting behind an earlier one still outstanding, requests its data side held, and a request still
 * being received. Each connection reports its amount through its {@link Account} on its event loop
 * after every read and every flush, and after each request while its socket is not writable (a
 * pipeline of large replies grows within one read); between reports a client's replies only drain,
 * so, apart from what the read or loop turn being served adds, the total is never under what the
 * clients hold. Before disconnecting anyone, every account is read again from its connection (from
 * any thread), so that a client that read its replies since its last report is not taken for the
 * largest. The same re-reading runs every 100 ms to keep INFO's figure current.
 */
final class ClientMemory {

  private static final Logger LOG = Logger.getLogger(ClientMemory.class.getName());
  private static final long LOG_INTERVAL_NANOS = 1_000_000_000L;

  private final long limit; // 0: no limit
  private final AtomicLong total = new AtomicLong();
  private final LongAdder evictions = new LongAdder();
  private final Set<Account> accounts = ConcurrentHashMap.newKeySet();
  private boolean logged; // guarded by this
  private long lastLogNanos; // guarded by this
  private long unlogged; // guarded by this

  /** A bound of {@code limit} bytes over all clients, 0 for none. */
  ClientMemory(long limit) {
    if (limit < 0) {
      throw new IllegalArgumentException("maxmemory-clients must not be negative: " + limit);
    }
    this.limit = limit;
  }

  /**
   * Opens the account of the client {@code id} on {@code channel}; {@code close} closes the
   * connection, on its event loop, for the reason it is given (null: disconnected for holding the
   * most, which this class logs).
   */
  Account open(long id, Channel channel, Consumer<String> close) {
    Account a = new Account(this, id, channel, close);
    accounts.add(a);
    return a;
  }

  /** Returns the limit in bytes, 0 for none. */
  long limit() {
    return limit;
  }

  /** Returns what all clients hold, as last reported or re-read. */
  long total() {
    return Math.max(0, total.get());
  }

  /** Returns how many clients were disconnected for holding the most over the limit. */
  long evictions() {
    return evictions.sum();
  }

  /** Re-reads every account from its connection, and disconnects if over the limit; any thread. */
  void refresh() {
    for (Account a : accounts) {
      a.refresh();
    }
    if (over()) {
      evict();
    }
  }

  private boolean over() {
    return limit > 0 && total.get() > limit;
  }

  /** Disconnects the largest clients until the total is under the limit. */
  private synchronized void evict() {
    for (Account a : accounts) {
      a.refresh();
    }
    while (over()) {
      Account largest = null;
      long most = 0;
      for (Account a : accounts) {
        long held = a.held();
        if (held > most && !a.closed && !a.noEvict) {
          largest = a;
          most = held;
        }
      }
      if (largest == null) {
        return;
      }
      long before = total();
      largest.evict();
      evictions.increment();
      log(largest, most, before);
    }
  }

  /** Logs a disconnection: each one, but at most one line a second, saying how many were not. */
  private void log(Account a, long held, long before) {
    long now = System.nanoTime();
    if (logged && now - lastLogNanos < LOG_INTERVAL_NANOS) {
      unlogged++;
      return;
    }
    String more =
        unlogged == 0
            ? ""
            : " (" + unlogged + " more clients disconnected for it since the last such message)";
    LOG.warning(
        "disconnecting client id="
            + a.id
            + " addr="
            + ClientInfo.address(a.channel.remoteAddress())
            + ": it holds "
            + held
            + " bytes of replies unread or requests unserved, the most of any client, and all"
            + " clients hold "
            + before
            + ", over maxmemory-clients "
            + limit
            + more);
    logged = true;
    lastLogNanos = now;
    unlogged = 0;
  }

  /** Returns the bytes {@code reply} holds, near enough to account for it while it waits. */
  static long sizeOf(RedisMessage reply) {
    if (reply instanceof FullBulkStringRedisMessage bulk) {
      return bulk.isNull() ? 8 : bulk.content().readableBytes() + 16;
    }
    if (reply instanceof EncodedReply encoded) {
      return encoded.content().readableBytes();
    }
    if (reply instanceof ArrayRedisMessage array && !array.isNull()) {
      long bytes = 16;
      for (RedisMessage child : array.children()) {
        bytes += sizeOf(child);
      }
      return bytes;
    }
    return 16;
  }

  /** What one client holds; reported by its connection, re-read by any thread. */
  static final class Account {

    private final ClientMemory memory;
    private final long id;
    private final Channel channel;
    private final Consumer<String> close;
    private final AtomicLong held = new AtomicLong();
    private volatile long queued; // what the connection holds besides its outbound buffer
    private volatile long requestBytes; // of it, requests: waiting, or still arriving
    private volatile boolean closed;
    private volatile boolean noEvict;
    private long replies; // replies waiting behind an earlier one; event loop only
    private long receiving; // a request the aggregators are assembling; event loop only

    private Account(ClientMemory memory, long id, Channel channel, Consumer<String> close) {
      this.memory = memory;
      this.id = id;
      this.channel = channel;
      this.close = close;
    }

    /** CLIENT NO-EVICT: whether this client is left out when the largest are disconnected. */
    void noEvict(boolean on) {
      noEvict = on;
    }

    /** Returns whether CLIENT NO-EVICT ON left this client out of the disconnections. */
    boolean noEvict() {
      return noEvict;
    }

    /** Counts {@code bytes} more (or fewer) of replies waiting behind an earlier one. */
    void queued(long bytes) {
      replies += bytes;
    }

    /** Sets the bytes of a request the aggregators are assembling, until it is whole. */
    void receiving(long bytes) {
      receiving = bytes;
    }

    /**
     * Reports that the client holds its outbound buffer, its queued replies and the request being
     * received, and {@code other} bytes besides, on the connection's event loop; disconnects the
     * largest clients if that puts the total over the limit, and this one if it holds more than
     * {@link ServerConfig#MAX_CLIENT_MEMORY}.
     */
    void report(long other) {
      long output = output();
      if (closed) {
        return;
      }
      long requests = receiving + other;
      long queued = replies + requests;
      if (requests != requestBytes) {
        requestBytes = requests;
      }
      if (output + queued > ServerConfig.MAX_CLIENT_MEMORY) {
        close.accept(
            "it holds more than "
                + ServerConfig.MAX_CLIENT_MEMORY
                + " bytes of replies unread or requests unserved");
      }
      if (queued != this.queued) {
        this.queued = queued;
      }
      long bytes = output + queued;
      long old = held.get();
      if (bytes != old) {
        old = held.getAndSet(bytes);
        long total = memory.total.addAndGet(bytes - old);
        if (bytes > old && memory.limit > 0 && total > memory.limit) {
          memory.evict();
        }
      }
    }

    /** Returns the bytes of replies written to the connection and not yet taken by the kernel. */
    long output() {
      ChannelOutboundBuffer out = channel.unsafe().outboundBuffer();
      return out == null ? 0 : out.totalPendingWriteBytes();
    }

    /** Returns the bytes of its requests that wait or are still arriving, as last reported. */
    long requests() {
      return requestBytes;
    }

    /** Returns what the client holds, as last reported or re-read. */
    long held() {
      return held.get();
    }

    /** A buffer for this connection could not be had: it alone is closed; on its event loop. */
    void outOfMemory(OutOfMemoryError e) {
      close.accept("no memory for its buffers: " + e.getMessage());
    }

    /** The connection closed: what it held is released. */
    void close() {
      closed = true;
      memory.accounts.remove(this);
      set(0);
    }

    private void refresh() {
      if (!closed) {
        set(output() + queued);
      }
    }

    private void evict() {
      closed = true;
      set(0);
      EventLoop loop = channel.eventLoop();
      if (loop.inEventLoop()) {
        close.accept(null);
      } else {
        loop.execute(() -> close.accept(null));
      }
    }

    private void set(long bytes) {
      long old = held.getAndSet(bytes);
      if (old != bytes) {
        memory.total.addAndGet(bytes - old);
      }
    }
  }
}
