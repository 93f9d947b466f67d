package io.ringlb.server.embedded;

import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.redis.RedisMessage;
import io.netty.util.concurrent.ScheduledFuture;
import io.ringlb.core.HashRing;
import io.ringlb.core.HashTag;
import io.ringlb.core.LoadBalancer;
import io.ringlb.core.Placement;
import io.ringlb.server.CommandException;
import io.ringlb.server.CommandRegistry;
import io.ringlb.server.CommandSpec;
import io.ringlb.server.DataSide;
import io.ringlb.server.Glob;
import io.ringlb.server.Replies;
import io.ringlb.server.Request;
import io.ringlb.server.RingView;
import io.ringlb.server.ServerRuntime;
import io.ringlb.server.Session;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The embedded {@link DataSide}: keys live in the server memories of a {@link LoadBalancer} inside
 * this process, and {@code RING ADD/REMOVE} change its topology live.
 *
 * <p>Concurrency: the balancer is not thread-safe, so every command runs with the keyspace lock
 * held, from the first lookup to the last write of its reply data; a topology change holds the same
 * lock while the keys that change owner move. A command therefore sees the ring either entirely
 * before or entirely after a change, which is what makes "no acknowledged write lost, no stale
 * read" hold by construction: a write acknowledged before {@code RING ADD} has moved with its key
 * by the time any later command runs, and a write after it goes to the new owner. Expiry deadlines
 * are kept beside the balancer, keyed by key bytes, so they survive moves, and are read against an
 * {@link InstantSource} (the system clock unless one is given). Details and measurements are in
 * docs/ARCHITECTURE.md.
 */
public final class EmbeddedBackend implements DataSide {

  /** Keys sampled per active-expiry round, and the share that expired above which it repeats. */
  private static final int EXPIRE_SAMPLES = 20;

  private static final long EXPIRE_PERIOD_MS = 100;
  private static final long EXPIRE_BUDGET_NANOS = TimeUnit.MILLISECONDS.toNanos(25);

  private final Keyspace keyspace;
  private final ReentrantLock lock;
  private final InstantSource clock;
  private final StringCommands strings;
  private volatile ScheduledFuture<?> expiryTask;

  private EmbeddedBackend(LoadBalancer balancer) {
    this(balancer, InstantSource.system());
  }

  private EmbeddedBackend(LoadBalancer balancer, InstantSource clock) {
    this.clock = clock;
    this.keyspace = new Keyspace(balancer, clock);
    this.lock = keyspace.lock();
    this.strings = new StringCommands(keyspace, clock);
  }

  /** Returns a backend over {@code balancer}, which it then owns (no one else may touch it). */
  public static EmbeddedBackend over(LoadBalancer balancer) {
    return new EmbeddedBackend(Objects.requireNonNull(balancer, "balancer"));
  }

  /**
   * Returns a backend over {@code balancer}, which it then owns, whose expiry deadlines are read
   * against {@code clock} (epoch milliseconds) instead of the system clock, e.g. a test's.
   */
  public static EmbeddedBackend over(LoadBalancer balancer, InstantSource clock) {
    return new EmbeddedBackend(
        Objects.requireNonNull(balancer, "balancer"), Objects.requireNonNull(clock, "clock"));
  }

  /** Returns a backend over a new balancer routing by {@code placement} with {@code servers}. */
  public static EmbeddedBackend create(Placement placement, int... servers) {
    return over(balancer(placement, servers));
  }

  /** As {@link #create(Placement, int...)}, with expiry deadlines read against {@code clock}. */
  public static EmbeddedBackend create(InstantSource clock, Placement placement, int... servers) {
    return over(balancer(placement, servers), clock);
  }

  private static LoadBalancer balancer(Placement placement, int... servers) {
    LoadBalancer balancer = LoadBalancer.builder().placement(placement).build();
    for (int id : servers) {
      balancer.addServer(id);
    }
    return balancer;
  }

  @Override
  public void register(CommandRegistry r) {
    strings.register(r);
    r.register(
        CommandSpec.of("expire", -3, "write fast", 1, 1, 1), (s, q) -> expire(q, 1000, "expire"));
    r.register(
        CommandSpec.of("pexpire", -3, "write fast", 1, 1, 1), (s, q) -> expire(q, 1, "pexpire"));
    r.register(CommandSpec.of("ttl", 2, "readonly fast", 1, 1, 1), (s, q) -> ttl(q, true));
    r.register(CommandSpec.of("pttl", 2, "readonly fast", 1, 1, 1), (s, q) -> ttl(q, false));
    r.register(CommandSpec.of("persist", 2, "write fast", 1, 1, 1), this::persist);
    r.register(CommandSpec.of("scan", -2, "readonly"), this::scan);
    r.register(CommandSpec.of("keys", 2, "readonly"), this::keys);
    r.register(
        CommandSpec.of("dbsize", 1, "readonly fast"),
        (s, q) -> {
          lock.lock();
          try {
            return Replies.integer(keyspace.balancer().size());
          } finally {
            lock.unlock();
          }
        });
    r.register(CommandSpec.of("flushall", -1, "write admin"), this::flush);
    r.register(CommandSpec.of("flushdb", -1, "write admin"), this::flush);
    RingCommands.register(r, keyspace);
  }

  // ---- expiry ---------------------------------------------------------------------------------

  private RedisMessage expire(Request q, long unitMillis, String name) {
    boolean nx = false;
    boolean xx = false;
    boolean gt = false;
    boolean lt = false;
    for (int i = 3; i < q.argc(); i++) {
      if (q.is(i, "nx")) {
        nx = true;
      } else if (q.is(i, "xx")) {
        xx = true;
      } else if (q.is(i, "gt")) {
        gt = true;
      } else if (q.is(i, "lt")) {
        lt = true;
      } else {
        throw new CommandException("ERR Unsupported option " + q.string(i));
      }
    }
    if (nx && (xx || gt || lt)) {
      throw new CommandException(
          "ERR NX and XX, GT or LT options at the same time are not" + " compatible");
    }
    if (gt && lt) {
      throw new CommandException("ERR GT and LT options at the same time are not compatible");
    }
    long amount = q.longValue(2);
    long now = clock.millis();
    if (amount > Long.MAX_VALUE / unitMillis
        || amount < Long.MIN_VALUE / unitMillis
        || (amount > 0 && amount * unitMillis > Long.MAX_VALUE - now)) {
      throw new CommandException("ERR invalid expire time in '" + name + "' command");
    }
    long deadline = now + amount * unitMillis;
    byte[] key = q.bytes(1);
    lock.lock();
    try {
      int hash = keyspace.hash(key);
      if (!keyspace.exists(hash, key)) {
        return Replies.ZERO;
      }
      long current = keyspace.deadline(hash, key);
      boolean has = current != ExpiryTable.NONE;
      if ((nx && has)
          || (xx && !has)
          || (gt && (!has || deadline <= current))
          || (lt && has && deadline >= current)) {
        return Replies.ZERO;
      }
      if (deadline <= now) {
        keyspace.delete(hash, key);
      } else {
        keyspace.expireAt(hash, key, deadline);
      }
      return Replies.ONE;
    } finally {
      lock.unlock();
    }
  }

  private RedisMessage ttl(Request q, boolean seconds) {
    byte[] key = q.bytes(1);
    lock.lock();
    try {
      int hash = keyspace.hash(key);
      if (!keyspace.exists(hash, key)) {
        return Replies.integer(-2);
      }
      long deadline = keyspace.deadline(hash, key);
      if (deadline == ExpiryTable.NONE) {
        return Replies.integer(-1);
      }
      long left = Math.max(0, deadline - clock.millis());
      return Replies.integer(seconds ? (left + 500) / 1000 : left);
    } finally {
      lock.unlock();
    }
  }

  private RedisMessage persist(Session s, Request q) {
    byte[] key = q.bytes(1);
    lock.lock();
    try {
      int hash = keyspace.hash(key);
      if (!keyspace.exists(hash, key) || keyspace.deadline(hash, key) == ExpiryTable.NONE) {
        return Replies.ZERO;
      }
      keyspace.expireAt(hash, key, -1);
      return Replies.ONE;
    } finally {
      lock.unlock();
    }
  }

  @Override
  public void start(ServerRuntime runtime) {
    EventLoopGroup eventLoops = runtime.eventLoops();
    expiryTask =
        eventLoops
            .next()
            .scheduleAtFixedRate(
                this::activeExpiryCycle, EXPIRE_PERIOD_MS, EXPIRE_PERIOD_MS, TimeUnit.MILLISECONDS);
  }

  /**
   * Redis's active expiry: sample keys that have a deadline, delete the expired ones, and go on
   * while more than a quarter of a sample had expired, within a time budget.
   */
  void activeExpiryCycle() {
    long start = System.nanoTime();
    lock.lock();
    try {
      while (keyspace.expires().size() > 0) {
        int expired = keyspace.activeExpire(EXPIRE_SAMPLES, clock.millis());
        if (expired <= EXPIRE_SAMPLES / 4 || System.nanoTime() - start > EXPIRE_BUDGET_NANOS) {
          break;
        }
      }
    } finally {
      lock.unlock();
    }
  }

  // ---- keyspace -------------------------------------------------------------------------------

  private RedisMessage scan(Session s, Request q) {
    long cursor = parseCursor(q);
    int count = 10;
    byte[] pattern = null;
    boolean stringsOnly = true;
    for (int i = 2; i < q.argc(); i++) {
      boolean hasNext = i + 1 < q.argc();
      if (q.is(i, "count") && hasNext) {
        long c = q.longValue(++i);
        if (c < 1) {
          throw CommandException.syntax();
        }
        count = (int) Math.min(c, 1 << 20);
      } else if (q.is(i, "match") && hasNext) {
        pattern = q.bytes(++i);
      } else if (q.is(i, "type") && hasNext) {
        stringsOnly = q.is(++i, "string");
      } else {
        throw CommandException.syntax();
      }
    }
    Scan.Page page;
    lock.lock();
    try {
      page = Scan.page(keyspace, cursor, count);
    } finally {
      lock.unlock();
    }
    List<RedisMessage> keys = new ArrayList<>(page.keys().size());
    if (stringsOnly) {
      boolean all = pattern == null || Glob.matchesEverything(pattern);
      for (byte[] key : page.keys()) {
        if (all || Glob.matches(pattern, key)) {
          keys.add(Replies.bulk(s.alloc(), key));
        }
      }
    }
    return Replies.array(
        List.of(Replies.bulk(s.alloc(), Long.toString(page.next())), Replies.array(keys)));
  }

  private static long parseCursor(Request q) {
    String text = q.string(1);
    try {
      long c = Long.parseUnsignedLong(text);
      return c > 0xFFFF_FFFFL ? -1 : c;
    } catch (NumberFormatException e) {
      throw new CommandException("ERR invalid cursor");
    }
  }

  private RedisMessage keys(Session s, Request q) {
    byte[] pattern = q.bytes(1);
    boolean all = Glob.matchesEverything(pattern);
    List<byte[]> found = new ArrayList<>();
    lock.lock();
    try {
      keyspace
          .balancer()
          .forEach(
              (h, kb, ko, kl, vb, vo, vl) -> {
                if (all || Glob.matches(pattern, kb, ko, kl, false)) {
                  found.add(Arrays.copyOfRange(kb, ko, ko + kl));
                }
              });
      found.removeIf(k -> keyspace.expireIfNeeded(keyspace.hash(k), k));
    } finally {
      lock.unlock();
    }
    List<RedisMessage> out = new ArrayList<>(found.size());
    for (byte[] k : found) {
      out.add(Replies.bulk(s.alloc(), k));
    }
    return Replies.array(out);
  }

  private RedisMessage flush(Session s, Request q) {
    if (q.argc() > 2 || (q.argc() == 2 && !q.is(1, "sync") && !q.is(1, "async"))) {
      throw CommandException.syntax();
    }
    lock.lock();
    try {
      keyspace.flush();
    } finally {
      lock.unlock();
    }
    return Replies.OK;
  }

  // ---- INFO -----------------------------------------------------------------------------------

  @Override
  public String[] infoSections() {
    return new String[] {"keyspace", "ring"};
  }

  @Override
  public void info(String section, StringBuilder out) {
    lock.lock();
    try {
      switch (section) {
        case "memory" -> line(out, "used_memory_dataset", keyspace.balancer().footprint());
        case "stats" -> {
          line(out, "expired_keys", keyspace.expired);
          line(out, "keyspace_hits", keyspace.hits);
          line(out, "keyspace_misses", keyspace.misses);
          line(out, "ring_keys_moved", keyspace.keysMovedTotal);
        }
        case "keyspace" -> {
          long keys = keyspace.balancer().size();
          if (keys > 0) {
            long now = clock.millis();
            long[] ttl = new long[2];
            keyspace
                .expires()
                .forEach(
                    (h, k, deadline) -> {
                      ttl[0] += Math.max(0, deadline - now);
                      ttl[1]++;
                    });
            out.append("db0:keys=")
                .append(keys)
                .append(",expires=")
                .append(keyspace.expires().size())
                .append(",avg_ttl=")
                .append(ttl[1] == 0 ? 0 : ttl[0] / ttl[1])
                .append("\r\n");
          }
        }
        case "ring" -> RingCommands.info(keyspace, out);
        default -> {}
      }
    } finally {
      lock.unlock();
    }
  }

  private static void line(StringBuilder out, String name, long value) {
    out.append(name).append(':').append(value).append("\r\n");
  }

  @Override
  public CompletionStage<RingView> view() {
    lock.lock();
    try {
      return CompletableFuture.completedFuture(EmbeddedRingView.of(keyspace));
    } finally {
      lock.unlock();
    }
  }

  @Override
  public void close() {
    ScheduledFuture<?> task = expiryTask;
    if (task != null) {
      task.cancel(false);
    }
  }

  @Override
  public String toString() {
    return "EmbeddedBackend(" + keyspace.balancer().placement().name() + ")";
  }

  static String lower(String s) {
    return s.toLowerCase(Locale.ROOT);
  }

  /** Returns whether the placement is a ring, whose labels RING LOCATE can show. */
  static boolean isRing(Placement p) {
    return HashTag.unwrap(p) instanceof HashRing;
  }
}
