package io.ringlb.proxy;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Watches the backends of a running migration for data that vanished: a backend that restarted
 * (INFO's {@code run_id} changed) or, for the backend a removal drains, keys gone by more than the
 * keys moved off it, expired or evicted. It records the loss in the migration (for the RING reply
 * and INFO migration) and in the log, and keeps each backend's last key count for RING ABORT.
 *
 * <p>A backend's count and the migration's count of keys moved are read together, between two of
 * the migrator's batches ({@link Migration#moves()}), so that the keys on the backend the migration
 * moves to or from are known at any later point as that count plus or minus the keys moved since.
 * Keys a client request moved or wrote at the same time may be missed by one poll.
 */
final class MigrationWatch implements AutoCloseable {

  private static final Logger LOG = Logger.getLogger(MigrationWatch.class.getName());

  /** How often each backend is polled. */
  static final long PERIOD_MILLIS = 100;

  /** One poll of a backend: INFO's facts and the migration's keys moved at that time. */
  record Sample(String runId, long keys, long expired, long evicted, long moved, String server) {
    Sample at(String address) {
      return new Sample(runId, keys, expired, evicted, moved, address);
    }
  }

  private final Migration migration;
  private final List<Backend> backends;
  private final long timeoutMillis;

  /** Per backend id: the last sample. */
  private final Map<Integer, Sample> last = new ConcurrentHashMap<>();

  /** Per backend id: the sample keys vanishing are counted from (the first, or after a restart). */
  private final Map<Integer, Sample> base = new ConcurrentHashMap<>();

  /** Per backend id: the keys reported vanished so far. */
  private final Map<Integer, Long> reported = new ConcurrentHashMap<>();

  private final ScheduledFuture<?> task;

  /**
   * Polls {@code backends} (those the migration moves keys between) on {@code timer} until closed,
   * each INFO waiting at most {@code timeoutMillis}.
   */
  MigrationWatch(
      Migration migration,
      List<Backend> backends,
      ScheduledExecutorService timer,
      long timeoutMillis) {
    this.migration = migration;
    this.backends = List.copyOf(backends);
    this.timeoutMillis = timeoutMillis;
    this.task =
        timer.scheduleWithFixedDelay(this::pollQuietly, 0, PERIOD_MILLIS, TimeUnit.MILLISECONDS);
  }

  private void pollQuietly() {
    try {
      poll();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      LOG.log(Level.FINE, "watching migration " + migration.label(), e);
    }
  }

  /** Polls every backend once. */
  synchronized void poll() throws InterruptedException {
    for (Backend b : backends) {
      Sample s = b.id() == migration.server() ? sampleBetweenBatches(b) : sample(b);
      if (s != null) {
        observe(b, s);
      }
    }
  }

  private Sample sampleBetweenBatches(Backend b) throws InterruptedException {
    if (!migration.moves().tryLock(timeoutMillis, TimeUnit.MILLISECONDS)) {
      return null;
    }
    try {
      return sample(b);
    } finally {
      migration.moves().unlock();
    }
  }

  /** Returns {@code b}'s facts now, or null when it does not answer. */
  private Sample sample(Backend b) {
    BackendSpec server = b.target();
    Object reply = b.callQuietly(timeoutMillis, "INFO");
    long moved = migration.moved();
    if (!(reply instanceof byte[] text) || server == null || !server.equals(b.target())) {
      return null; // no answer, or a failover between the question and the answer
    }
    Sample s = parse(new String(text, StandardCharsets.UTF_8), moved);
    return s == null ? null : s.at(server.address());
  }

  /** Returns the sample INFO's {@code text} gives, the migration having moved {@code moved}. */
  static Sample parse(String text, long moved) {
    String runId = null;
    long keys = 0;
    long expired = 0;
    long evicted = 0;
    for (String line : text.split("\r?\n")) {
      if (line.startsWith("run_id:")) {
        runId = line.substring(7).trim();
      } else if (line.startsWith("expired_keys:")) {
        expired = Long.parseLong(line.substring(13).trim());
      } else if (line.startsWith("evicted_keys:")) {
        evicted = Long.parseLong(line.substring(13).trim());
      } else if (line.startsWith("db0:keys=")) {
        int end = line.indexOf(',');
        keys = Long.parseLong(line.substring(9, end < 0 ? line.length() : end));
      }
    }
    return runId == null ? null : new Sample(runId, keys, expired, evicted, moved, null);
  }

  private void observe(Backend b, Sample now) {
    Sample before = last.put(b.id(), now);
    if (before == null) {
      base.put(b.id(), now);
      return;
    }
    if (b.managed() && !java.util.Objects.equals(before.server(), now.server())) {
      // Sentinel failed the shard over: another server, holding what replication gave it; keys
      // vanishing are counted from it on.
      LOG.info(
          "ringlb: migration "
              + migration.label()
              + ": "
              + b.describe()
              + " failed over from "
              + before.server()
              + " to "
              + now.server());
      base.put(b.id(), now);
      reported.remove(b.id());
      return;
    }
    if (!before.runId().equals(now.runId())) {
      long lost = keysOn(b.id(), before, now.moved());
      String what =
          b.describe()
              + " restarted during the migration (run_id "
              + before.runId()
              + " became "
              + now.runId()
              + "): "
              + (exact(b.id()) ? "" : "up to ")
              + lost
              + " keys it held are lost";
      report(what);
      base.put(b.id(), now);
      reported.remove(b.id());
      return;
    }
    if (migration.kind() == Migration.Kind.REMOVE && b.id() == migration.server()) {
      // The drained backend loses keys only by moves, expiry and eviction.
      Sample from = base.get(b.id());
      long vanished =
          (from.keys() - now.keys())
              - (now.moved() - from.moved())
              - (now.expired() - from.expired())
              - (now.evicted() - from.evicted());
      long vanishedBefore =
          (from.keys() - before.keys())
              - (before.moved() - from.moved())
              - (before.expired() - from.expired())
              - (before.evicted() - from.evicted());
      long already = reported.getOrDefault(b.id(), 0L);
      // Two polls in a row, so that a client's move counted late is not taken for a loss.
      long sure = Math.min(vanished, vanishedBefore);
      if (sure > already) {
        reported.put(b.id(), sure);
        report(
            b.describe()
                + " lost "
                + (sure - already)
                + " keys during the migration (its DBSIZE fell by more than the keys moved,"
                + " expired or evicted)");
      }
    }
  }

  private void report(String what) {
    migration.dataLost(what);
    LOG.warning("ringlb: migration " + migration.label() + ": " + what);
  }

  /** Whether the keys on backend {@code id} are known exactly from a sample and the keys moved. */
  private boolean exact(int id) {
    return id == migration.server();
  }

  /**
   * Returns the keys backend {@code id} held when it last answered, counted on from that poll with
   * the keys moved since to or from it (exact for the backend the migration adds or removes), or -1
   * when it never answered.
   */
  long keysOn(int id) {
    Sample s = last.get(id);
    return s == null ? -1 : keysOn(id, s, migration.moved());
  }

  private long keysOn(int id, Sample s, long movedNow) {
    if (!exact(id)) {
      return s.keys();
    }
    long since = movedNow - s.moved();
    boolean to = migration.kind() == Migration.Kind.ADD;
    return Math.max(0, to ? s.keys() + since : s.keys() - since);
  }

  /** Stops polling; the last samples stay. */
  @Override
  public void close() {
    task.cancel(false);
  }
}
