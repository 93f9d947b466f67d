package io.ringlb.proxy;

import io.ringlb.core.Placement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Moves the keys whose owner changes when a backend joins or leaves, and reports its progress.
 *
 * <p>It scans each old owner with SCAN, keeps the keys whose owner changes (by their routing hash),
 * and moves them in batches with {@code MIGRATE host port "" 0 timeout KEYS ...}: without REPLACE,
 * so a key already written on the new owner is never overwritten by an older copy, and atomically
 * per key on the old owner (the copy is restored on the new owner before the old one is deleted),
 * so a key is always on the old owner, the new one, or briefly both; never on neither. Client
 * requests for moving keys make the same move for their key first (see {@link KeyMove}), so every
 * write lands on the new owner after the old copy left. On an error the migration keeps retrying,
 * unless a RING REMOVE FORCE abandons it or a RING ABORT stops it; see {@code
 * docs/ARCHITECTURE.md}.
 *
 * <p>The keys found are moved by {@link BatchMove}, in steps that keep the sources from waiting on
 * a slow or frozen target ({@link MigrateGate}) and at a rate held over every second ({@link
 * MoveRate}). A key found on both owners keeps the copy of its owner before the change (see {@link
 * KeyMove}).
 *
 * <p>A migration that undoes an aborted change ({@link #undoing()}) moves the keys back to the
 * owners they had before it.
 */
final class Migration {

  enum Kind {
    ADD,
    REMOVE;

    String word() {
      return this == ADD ? "add" : "remove";
    }

    /** The kind of the change that a migration of this kind undoes. */
    Kind opposite() {
      return this == ADD ? REMOVE : ADD;
    }
  }

  /** What a running migration needs of the proxy. */
  interface Host {
    /** Returns the backend with {@code id}, or null. */
    Backend backend(int id);

    ProxyConfig config();

    Upstream upstream();

    /** A step of {@code m} failed with {@code error} and will be retried. */
    void migrationStalled(Migration m, String error);
  }

  private static final int REMOVE_PASSES = 5;

  private final Kind kind;
  private final int server;
  private final Backend backend;
  private final Placement previous;
  private final Placement current;

  /** The old owners whose keys move. */
  private final int[] sources;

  /** Per source, the fraction of its hash space that moves, for the estimate of keys left. */
  private final double[] movingFraction;

  private final long startedMillis = System.currentTimeMillis();
  private final long startedNanos = System.nanoTime();
  private final AtomicLong moved = new AtomicLong();
  private final AtomicLong movedByClients = new AtomicLong();
  private final AtomicLong servedByOldOwner = new AtomicLong();
  private final AtomicLong scanned = new AtomicLong();
  private volatile long estimatedTotal = -1;
  private volatile long removeLeft = -1;
  private volatile String error;
  private volatile String phase = "starting";
  private volatile long finishedNanos;
  private volatile CompletableFuture<String> abandonedBy;
  private volatile boolean aborted;

  /** Set when {@link #run} is past its last batch; guarded by this. */
  private boolean ended;

  private volatile String dataLoss;

  /** Undoes an aborted change rather than making one. */
  private final boolean undoing;

  /**
   * Held while a batch is moved and counted, so that {@link MigrationWatch} counts a backend's keys
   * and the keys moved at one point of the migration.
   */
  private final ReentrantLock moves = new ReentrantLock(true);

  /** The gates of the MIGRATEs to each new owner, by backend id. */
  private final ConcurrentHashMap<Integer, MigrateGate> gates = new ConcurrentHashMap<>();

  Migration(
      Kind kind,
      int server,
      Backend backend,
      Placement previous,
      Placement current,
      int[] sources,
      double[] movingFraction) {
    this(kind, server, backend, previous, current, sources, movingFraction, false);
  }

  /**
   * A migration of {@code kind} of backend {@code server}; when {@code undoing}, it moves the keys
   * of an aborted change of the opposite kind back to their owners before it.
   */
  Migration(
      Kind kind,
      int server,
      Backend backend,
      Placement previous,
      Placement current,
      int[] sources,
      double[] movingFraction,
      boolean undoing) {
    this.undoing = undoing;
    this.kind = kind;
    this.server = server;
    this.backend = backend;
    this.previous = previous;
    this.current = current;
    this.sources = sources;
    this.movingFraction = movingFraction;
  }

  Kind kind() {
    return kind;
  }

  /** Whether this migration moves the keys of an aborted change back. */
  boolean undoing() {
    return undoing;
  }

  /** Names this migration in messages: {@code add 3}, {@code remove 3}, {@code abort of add 3}. */
  String label() {
    return (undoing ? "abort of " + kind.opposite().word() : kind.word()) + " " + server;
  }

  /** The id of the backend joining or leaving. */
  int server() {
    return server;
  }

  /** The backend joining or leaving. */
  Backend backend() {
    return backend;
  }

  /** Who owned each key before. */
  Placement previous() {
    return previous;
  }

  /** Who owns each key after. */
  Placement current() {
    return current;
  }

  /**
   * Moves every key that changes owner; returns when done, retrying after errors, or once {@link
   * #abandon} was called while it retries.
   */
  void run(Host host) throws InterruptedException {
    phase = "moving";
    estimate(host);
    MoveRate rate = new MoveRate(host.config().migrationRate());
    try {
      while (abandonedBy == null) {
        try {
          moveAll(host, rate);
          error = null;
          break;
        } catch (MigrationException e) {
          if (abandonedBy != null) {
            break; // stopped between two steps
          }
          error = e.getMessage();
          phase = "retrying";
          host.migrationStalled(this, e.getMessage());
          for (int i = 0; i < 10 && abandonedBy == null; i++) {
            Thread.sleep(100);
          }
          phase = "moving";
        }
      }
    } finally {
      for (MigrateGate gate : gates.values()) {
        gate.retire();
      }
    }
    synchronized (this) {
      ended = true;
    }
    phase = "finishing";
  }

  /**
   * Returns the gate of the MIGRATEs to {@code to}, the new owner of keys in this migration; the
   * migration's steps and the clients' moves share it.
   */
  MigrateGate gate(Backend to, Upstream upstream) {
    MigrateGate gate = gates.get(to.id());
    if (gate != null) {
      return gate;
    }
    return gates.computeIfAbsent(
        to.id(),
        id ->
            new MigrateGate(
                to, upstream.migrateTimeoutMillis(), upstream.requestTimeoutMillis() / 2));
  }

  /**
   * Gives up on the keys not moved yet (RING REMOVE FORCE of a backend that is gone): {@link #run}
   * returns at its next retry, and {@code reply} is answered when the ring is final.
   */
  void abandon(CompletableFuture<String> reply) {
    abandonedBy = reply;
  }

  /** Returns the reply of the RING REMOVE FORCE that abandoned this migration, or null. */
  CompletableFuture<String> abandonedBy() {
    return abandonedBy;
  }

  /**
   * Stops this migration for RING ABORT: {@link #run} returns before its next batch, and {@code
   * reply} is answered once the ring before the change is restored. Returns false when it is too
   * late: the keys have all moved.
   */
  synchronized boolean abort(CompletableFuture<String> reply) {
    if (ended) {
      return false;
    }
    aborted = true;
    abandonedBy = reply;
    return true;
  }

  /** Whether RING ABORT stopped this migration. */
  boolean aborted() {
    return aborted;
  }

  /** Records that keys were lost while this migration ran ({@code what} says which and why). */
  void dataLost(String what) {
    String before = dataLoss;
    dataLoss = before == null ? what : before + "; " + what;
  }

  /** What was lost while this migration ran, or null. */
  String dataLoss() {
    return dataLoss;
  }

  /** The lock held while a batch is moved and counted (see {@link MigrationWatch}). */
  ReentrantLock moves() {
    return moves;
  }

  void finished() {
    phase = aborted ? "aborted" : abandonedBy != null ? "abandoned" : "done";
    finishedNanos = System.nanoTime();
  }

  private void moveAll(Host host, MoveRate rate) throws InterruptedException {
    int batch = host.config().migrationBatch();
    for (int pass = 0; ; pass++) {
      for (int source : sources) {
        Backend from = host.backend(source);
        String cursor = "0";
        do {
          List<?> reply = list(call(from, "SCAN", cursor, "COUNT", Integer.toString(batch)), from);
          cursor = new String((byte[]) reply.get(0), java.nio.charset.StandardCharsets.US_ASCII);
          List<?> keys = (List<?>) reply.get(1);
          scanned.addAndGet(keys.size());
          Map<Integer, List<byte[]>> groups = new TreeMap<>();
          for (Object k : keys) {
            byte[] key = (byte[]) k;
            int hash = current.hashKey(key);
            int to = current.serverFor(hash);
            if (to == source || to < 0) {
              continue;
            }
            if (kind == Kind.ADD && previous.serverFor(hash) != source) {
              continue; // not this backend's key under the old ring: not ours to move
            }
            groups.computeIfAbsent(to, x -> new ArrayList<>()).add(key);
          }
          for (Map.Entry<Integer, List<byte[]>> group : groups.entrySet()) {
            BatchMove.move(this, host, rate, from, host.backend(group.getKey()), group.getValue());
          }
          if (kind == Kind.REMOVE) {
            removeLeft = size(from);
          }
        } while (!"0".equals(cursor));
      }
      if (kind != Kind.REMOVE) {
        return;
      }
      long left = size(backend);
      removeLeft = left;
      if (left == 0) {
        return;
      }
      if (pass + 1 >= REMOVE_PASSES) {
        throw new MigrationException(
            backend.describe()
                + " still holds "
                + left
                + " keys after "
                + REMOVE_PASSES
                + " passes");
      }
    }
  }

  private void estimate(Host host) {
    try {
      if (kind == Kind.REMOVE) {
        removeLeft = size(backend);
        estimatedTotal = removeLeft;
        return;
      }
      double total = 0;
      for (int i = 0; i < sources.length; i++) {
        total += size(host.backend(sources[i])) * movingFraction[i];
      }
      estimatedTotal = Math.round(total);
    } catch (MigrationException e) {
      estimatedTotal = -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private long size(Backend b) throws InterruptedException {
    Object reply = call(b, "DBSIZE");
    if (reply instanceof Long n) {
      return n;
    }
    throw new MigrationException(b.describe() + " answered DBSIZE with " + describe(reply));
  }

  /**
   * Sends a command to {@code b} and waits for its reply (up to 30 s).
   *
   * @throws MigrationException if it cannot be reached or does not answer
   */
  static Object call(Backend b, Object... args) throws InterruptedException {
    try {
      return b.call(args).get(30, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw new MigrationException(e.getCause().getMessage());
    } catch (TimeoutException e) {
      throw new MigrationException(b.describe() + " did not answer");
    }
  }

  private static List<?> list(Object reply, Backend b) {
    if (reply instanceof List<?> l && l.size() == 2) {
      return l;
    }
    throw new MigrationException(b.describe() + " answered SCAN with " + describe(reply));
  }

  private static String describe(Object reply) {
    return reply instanceof Values.Error e ? "-" + e.text() : String.valueOf(reply);
  }

  /** {@code keys} keys were moved by the migration itself. */
  void countMoved(int keys) {
    moved.addAndGet(keys);
  }

  void countClientMove() {
    movedByClients.incrementAndGet();
  }

  /** A request was served by its keys' old owner, as their new owner could not be reached. */
  void countServedByOldOwner() {
    servedByOldOwner.incrementAndGet();
  }

  long moved() {
    return moved.get() + movedByClients.get();
  }

  /** The MIGRATEs that timed out or could not reach their target, the clients' included. */
  long migrateTimeouts() {
    long n = 0;
    for (MigrateGate gate : gates.values()) {
      n += gate.timeouts();
    }
    return n;
  }

  /** Returns the keys still to move: exact for a removal, estimated for an addition; -1 unknown. */
  long left() {
    if ("done".equals(phase)) {
      return 0;
    }
    if (kind == Kind.REMOVE) {
      return removeLeft;
    }
    long total = estimatedTotal;
    return total < 0 ? -1 : Math.max(0, total - moved());
  }

  double rate() {
    long end = finishedNanos != 0 ? finishedNanos : System.nanoTime();
    double seconds = Math.max(1e-3, (end - startedNanos) / 1e9);
    return moved() / seconds;
  }

  double seconds() {
    long end = finishedNanos != 0 ? finishedNanos : System.nanoTime();
    return (end - startedNanos) / 1e9;
  }

  String phase() {
    return phase;
  }

  String error() {
    return error;
  }

  /** Describes this migration as one INFO value: {@code kind=add,server=3,...}. */
  String describe() {
    StringBuilder sb = new StringBuilder();
    sb.append("kind=")
        .append(undoing ? "abort-" + kind.opposite().word() : kind.word())
        .append(",server=")
        .append(server)
        .append(",address=")
        .append(backend.address())
        .append(",state=")
        .append(phase)
        .append(",started=")
        .append(Instant.ofEpochMilli(startedMillis))
        .append(",start_time_unix=")
        .append(startedMillis / 1000)
        .append(",keys_moved=")
        .append(moved())
        .append(",keys_moved_by_clients=")
        .append(movedByClients.get())
        .append(",requests_served_by_old_owner=")
        .append(servedByOldOwner.get())
        .append(",keys_scanned=")
        .append(scanned.get())
        .append(",keys_left=")
        .append(left())
        .append(",migrate_timeouts=")
        .append(migrateTimeouts())
        .append(",rate_keys_per_sec=")
        .append(String.format(java.util.Locale.ROOT, "%.0f", rate()))
        .append(",seconds=")
        .append(String.format(java.util.Locale.ROOT, "%.2f", seconds()));
    if (error != null) {
      sb.append(",last_error=").append(error.replace(',', ';').replace('\n', ' '));
    }
    String lost = dataLoss;
    if (lost != null) {
      sb.append(",data_loss=").append(lost.replace(',', ';').replace('\n', ' '));
    }
    return sb.toString();
  }

  /** A step of the migration failed; the migration retries. */
  static final class MigrationException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    MigrationException(String message) {
      super(message, null, false, false);
    }
  }
}
