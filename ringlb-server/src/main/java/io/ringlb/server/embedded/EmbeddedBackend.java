package io.ringlb.server.embedded;

import io.netty.handler.codec.redis.RedisMessage;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import io.ringlb.core.HashRing;
import io.ringlb.core.HashTag;
import io.ringlb.core.LoadBalancer;
import io.ringlb.core.Placement;
import io.ringlb.server.CommandRegistry;
import io.ringlb.server.ConfigReplies;
import io.ringlb.server.ConnectionState;
import io.ringlb.server.DataSide;
import io.ringlb.server.Replies;
import io.ringlb.server.Request;
import io.ringlb.server.RingView;
import io.ringlb.server.ServerRuntime;
import io.ringlb.server.Session;
import java.time.InstantSource;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
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

  private static final long EXPIRE_BUDGET_NANOS = TimeUnit.MILLISECONDS.toNanos(25);

  /** Redis's persistence parameters, as without persistence: the keyspace lives in memory only. */
  private static final Map<String, String> UNSAVED = Map.of("save", "", "appendonly", "no");

  private final Keyspace keyspace;
  private final ReentrantLock lock;
  private final InstantSource clock;
  private final EmbeddedSettings settings = new EmbeddedSettings();
  private final Channels channels = new Channels();
  private EventExecutor expiryLoop;
  private ScheduledFuture<?> expiryTask;

  /** When this backend was made, in epoch seconds: INFO's {@code rdb_last_save_time}. */
  private final long startSeconds;

  private EmbeddedBackend(LoadBalancer balancer) {
    this(balancer, InstantSource.system());
  }

  private EmbeddedBackend(LoadBalancer balancer, InstantSource clock) {
    this.clock = clock;
    this.keyspace = new Keyspace(balancer, clock);
    this.lock = keyspace.lock();
    this.startSeconds = clock.millis() / 1000;
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
    new StringCommands(keyspace).register(r);
    new NumberCommands(keyspace).register(r);
    new RangeCommands(keyspace, settings).register(r);
    new BitCommands(keyspace, settings).register(r);
    new ExpireCommands(keyspace).register(r);
    new ServerCommands().register(r);
    new KeyCommands(keyspace).register(r);
    new ObjectCommand(keyspace).register(r);
    new DumpCommands(keyspace).register(r);
    new SessionCommands(channels).register(r);
    new ScriptCommands().register(r);
    RingCommands.register(r, keyspace);
  }

  @Override
  public Map<String, String> configParameters() {
    Map<String, String> own = new LinkedHashMap<>();
    own.put("save", UNSAVED.get("save"));
    own.put("appendonly", UNSAVED.get("appendonly"));
    lock.lock();
    try {
      own.put("hz", Integer.toString(settings.hz()));
    } finally {
      lock.unlock();
    }
    return own;
  }

  /**
   * CONFIG SET hz (how often a second the active expiry cycle runs, 1 to 500 as Redis clamps); save
   * and appendonly only to the values they have, as the keyspace is never written to disk.
   */
  @Override
  public RedisMessage configSet(
      Session session, Request request, List<Map.Entry<String, String>> changes) {
    Integer hz = null;
    for (Map.Entry<String, String> change : changes) {
      String given = change.getKey();
      String name = given.toLowerCase(Locale.ROOT);
      if (name.equals("hz")) {
        try {
          hz = Integer.parseInt(change.getValue());
        } catch (NumberFormatException e) {
          return Replies.error(
              ConfigReplies.failed(given, "argument couldn't be parsed into an integer"));
        }
      } else if (!UNSAVED.containsKey(name)) {
        return Replies.error(ConfigReplies.unknown(given));
      } else if (!UNSAVED.get(name).equals(change.getValue())) {
        return Replies.error(ConfigReplies.immutable(given));
      }
    }
    if (hz != null) {
      lock.lock();
      try {
        settings.hz(hz);
      } finally {
        lock.unlock();
      }
      scheduleExpiry();
    }
    return Replies.OK;
  }

  @Override
  public ConnectionState open(Session session) {
    return new EmbeddedClient(session, keyspace, channels);
  }

  @Override
  public void start(ServerRuntime runtime) {
    settings.maxStringLength(runtime.config().protoMaxBulkLen());
    expiryLoop = runtime.eventLoops().next();
    scheduleExpiry();
  }

  /** (Re)schedules the active expiry cycle at the frequency {@code hz} says. */
  private synchronized void scheduleExpiry() {
    if (expiryLoop == null) {
      return; // not started: cycles run when a test calls them
    }
    if (expiryTask != null) {
      expiryTask.cancel(false);
    }
    long periodMicros = 1_000_000L / settings.hz();
    expiryTask =
        expiryLoop.scheduleAtFixedRate(
            this::activeExpiryCycle, periodMicros, periodMicros, TimeUnit.MICROSECONDS);
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

  // ---- INFO -----------------------------------------------------------------------------------

  @Override
  public void resetStats() {
    lock.lock();
    try {
      keyspace.hits = 0;
      keyspace.misses = 0;
      keyspace.expired = 0;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Appends the persistence section of a redis-server that never saves (the embedded server keeps
   * its keys in memory only): every change is one since the last save, made at start.
   */
  private void persistence(StringBuilder out) {
    line(out, "current_cow_peak", 0);
    line(out, "current_cow_size", 0);
    line(out, "current_cow_size_age", 0);
    out.append("current_fork_perc:0.00\r\n");
    line(out, "current_save_keys_processed", 0);
    line(out, "current_save_keys_total", 0);
    line(out, "rdb_changes_since_last_save", keyspace.changes);
    line(out, "rdb_bgsave_in_progress", 0);
    line(out, "rdb_last_save_time", startSeconds);
    out.append("rdb_last_bgsave_status:ok\r\n");
    line(out, "rdb_last_bgsave_time_sec", -1);
    line(out, "rdb_current_bgsave_time_sec", -1);
    line(out, "rdb_saves", 0);
    line(out, "rdb_last_cow_size", 0);
    line(out, "rdb_last_load_keys_expired", 0);
    line(out, "rdb_last_load_keys_loaded", 0);
    line(out, "aof_enabled", 0);
    line(out, "aof_rewrite_in_progress", 0);
    line(out, "aof_rewrite_scheduled", 0);
    line(out, "aof_last_rewrite_time_sec", -1);
    line(out, "aof_current_rewrite_time_sec", -1);
    out.append("aof_last_bgrewrite_status:ok\r\n");
    line(out, "aof_rewrites", 0);
    line(out, "aof_rewrites_consecutive_failures", 0);
    out.append("aof_last_write_status:ok\r\n");
    line(out, "aof_last_cow_size", 0);
    line(out, "module_fork_in_progress", 0);
    line(out, "module_fork_last_cow_size", 0);
  }

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
        case "persistence" -> persistence(out);
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
  public synchronized void close() {
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
