package io.ringlb.server.embedded;

import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import io.ringlb.core.HashRing;
import io.ringlb.core.HashTag;
import io.ringlb.core.LoadBalancer;
import io.ringlb.core.Placement;
import io.ringlb.server.CommandRegistry;
import io.ringlb.server.ConnectionState;
import io.ringlb.server.DataSide;
import io.ringlb.server.Replies;
import io.ringlb.server.ServerRuntime;
import io.ringlb.server.Session;
import java.time.InstantSource;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
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

  private final Keyspace keyspace;
  private final ReentrantLock lock;
  private final InstantSource clock;
  private final EmbeddedSettings settings = new EmbeddedSettings();
  private final Channels channels = new Channels();
  private EventExecutor expiryLoop;
  private ScheduledFuture<?> expiryTask;

  private EmbeddedBackend(LoadBalancer balancer) {
    this(balancer, InstantSource.system());
  }

  private EmbeddedBackend(LoadBalancer balancer, InstantSource clock) {
    this.clock = clock;
    this.keyspace = new Keyspace(balancer, clock);
    this.lock = keyspace.lock();
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
    new KeyCommands(keyspace).register(r);
    new ObjectCommand(keyspace).register(r);
    new DumpCommands(keyspace).register(r);
    new SessionCommands(channels).register(r);
    new ScriptCommands().register(r);
    RingCommands.register(r, keyspace);
  }

  @Override
  public Map<String, String> configParameters() {
    lock.lock();
    try {
      return Map.of("hz", Integer.toString(settings.hz()));
    } finally {
      lock.unlock();
    }
  }

  /** CONFIG SET hz: how often a second the active expiry cycle runs, 1 to 500 as Redis clamps. */
  @Override
  public String configSet(Map<String, String> values) {
    String hz = values.get("hz");
    if (hz == null) {
      return null;
    }
    int parsed;
    try {
      parsed = Integer.parseInt(hz);
    } catch (NumberFormatException e) {
      return Replies.configSetFailed("hz", "argument couldn't be parsed into an integer");
    }
    lock.lock();
    try {
      settings.hz(parsed);
    } finally {
      lock.unlock();
    }
    scheduleExpiry();
    return null;
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
