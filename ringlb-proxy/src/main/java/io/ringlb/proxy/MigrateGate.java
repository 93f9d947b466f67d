package io.ringlb.proxy;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Keeps the MIGRATEs of one migration to one target backend from stalling their sources.
 *
 * <p>MIGRATE is synchronous on the source redis-server: until the target answers, or the timeout
 * passes, the source serves nobody, so a frozen or slow target would hold up every key of the
 * source, moving or not. The gate bounds that:
 *
 * <ul>
 *   <li>each MIGRATE carries a short timeout ({@code migration.timeout}, 100 ms by default);
 *   <li>at most {@value #IN_FLIGHT} MIGRATEs to the target are under way at once, the migration's
 *       and the clients' ({@link KeyMove}) together; the others wait their turn;
 *   <li>a MIGRATE that timed out, or could not reach the target, closes the gate: nothing more is
 *       sent to the target until it has answered two PINGs in a row, probed with a delay growing
 *       from 20 ms to half a second; client moves wait for it meanwhile (see {@link #whenOpen});
 *   <li>the migration's batches adapt: halved after a step that timed out or took more than a
 *       quarter of the timeout, doubled after a quick one (never above {@code migration.batch});
 *       after a slow step the migration waits three times as long as the step took, so a slow
 *       target holds a source at most a quarter of the time;
 *   <li>a single key whose move timed out while the target then answered promptly is large: the
 *       timeout doubles (up to half the request timeout), and halves again after quick steps;
 *   <li>the keys a MIGRATE sent in full but that timed out are unsettled until a later move of them
 *       ends: the target may still restore them from that MIGRATE, so a request must not be served
 *       by their old owner meanwhile (see {@link KeyMove}); all are settled once the target refuses
 *       connections (its process, and what it had not read, is gone);
 *   <li>the keys a {@code MIGRATE ... COPY} put, or may have put, on a replica-backed target are
 *       held until the source's copy is deleted (see {@link BatchMove}): they count as unsettled
 *       too, but stay so when the target refuses connections, since its replica, which may have
 *       them, can become its primary.
 * </ul>
 *
 * <p>Thread-safe: the control thread (the migration) and the I/O threads (client moves) share it.
 */
final class MigrateGate {

  /** MIGRATEs to the target under way at once. */
  static final int IN_FLIGHT = 2;

  private static final long FIRST_PROBE_MILLIS = 20;
  private static final long LAST_PROBE_MILLIS = 500;
  private static final int MAX_BATCH = 1 << 20;

  /** How long the migration waits for its turn before it reports the step as stalled. */
  private static final long TURN_WAIT_SECONDS = 30;

  private final Backend target;
  private final long minTimeoutMillis;
  private final long maxTimeoutMillis;
  private volatile long timeoutMillis;
  private volatile int batchLimit = MAX_BATCH;
  private volatile long cooldownUntil;
  private volatile boolean open = true;

  /** Whether the last probe of the target, the gate closed, found it refusing connections. */
  private volatile boolean refusing;

  private final AtomicLong timeouts = new AtomicLong();

  /** The keys sent to the target by a MIGRATE that timed out, not moved again since. */
  private final Set<ByteBuffer> unsettled = ConcurrentHashMap.newKeySet();

  /** The keys a MIGRATE ... COPY sent to the target, not deleted from the source since. */
  private final Set<ByteBuffer> copied = ConcurrentHashMap.newKeySet();

  // Guarded by this.
  private boolean retired;
  private int inFlight;
  private int lastTimedOutKeys;
  private final ArrayDeque<Runnable> waiting = new ArrayDeque<>();
  private final List<Runnable> openWaiters = new ArrayList<>();

  /**
   * A gate to {@code target} whose MIGRATEs time out after {@code timeoutMillis}, growing for large
   * keys up to {@code maxTimeoutMillis}.
   */
  MigrateGate(Backend target, long timeoutMillis, long maxTimeoutMillis) {
    this.target = target;
    this.minTimeoutMillis = timeoutMillis;
    this.maxTimeoutMillis = Math.max(timeoutMillis, maxTimeoutMillis);
    this.timeoutMillis = timeoutMillis;
  }

  /** The backend the keys move to. */
  Backend target() {
    return target;
  }

  /** The longest MIGRATE timeout the gate gives a move, in milliseconds. */
  long maxTimeoutMillis() {
    return maxTimeoutMillis;
  }

  /** MIGRATE's timeout argument for the next move, in milliseconds. */
  long timeoutMillis() {
    return timeoutMillis;
  }

  /** Returns whether the gate is closed and the target refuses connections: it is down. */
  boolean refusing() {
    return refusing && !open;
  }

  /** Returns whether moves may be sent to the target: it answered since the last timeout. */
  boolean isOpen() {
    return open;
  }

  /** Returns how many of {@code wanted} keys the next step of the migration moves (at least 1). */
  int batch(int wanted) {
    return Math.max(1, Math.min(wanted, batchLimit));
  }

  /** The MIGRATEs to the target that timed out or failed to reach it so far. */
  long timeouts() {
    return timeouts.get();
  }

  // ---- keys the target may still restore

  /**
   * Returns whether a MIGRATE answering {@code error} ({@code IOERR ...}) may have sent its keys to
   * the target in full: it timed out writing or reading, not connecting.
   */
  static boolean mayHaveSent(String error) {
    return !error.contains("connecting");
  }

  /** {@code key} was sent by a MIGRATE that timed out: the target may restore it later. */
  void unsettle(byte[] key) {
    synchronized (this) {
      if (retired) {
        return;
      }
    }
    unsettled.add(ByteBuffer.wrap(key.clone()));
  }

  /**
   * {@code key} is about to be copied to the target by a MIGRATE ... COPY: no request for it may be
   * served by its old owner until the source's copy is deleted and it is settled.
   */
  void copying(byte[] key) {
    synchronized (this) {
      if (retired) {
        return;
      }
    }
    copied.add(ByteBuffer.wrap(key.clone()));
  }

  /** {@code key} was moved (or found gone) since: the target cannot restore it over a newer one. */
  void settle(byte[] key) {
    if (!unsettled.isEmpty()) {
      unsettled.remove(ByteBuffer.wrap(key));
    }
    if (!copied.isEmpty()) {
      copied.remove(ByteBuffer.wrap(key));
    }
  }

  /** Returns whether a probe's {@code error} says the target refused the connection. */
  private static boolean refused(Throwable error) {
    for (Throwable t = error; t != null; t = t.getCause()) {
      if (t.getMessage() != null && t.getMessage().contains("connection refused")) {
        return true;
      }
    }
    return false;
  }

  /**
   * The target refuses connections: its process is gone, and with it what it had received and not
   * read, so no key is unsettled any more. Tells the moves waiting for the gate, so that those the
   * old owner can serve are served.
   */
  private void settleAll() {
    if (unsettled.isEmpty()) {
      return;
    }
    unsettled.clear();
    List<Runnable> waited;
    synchronized (this) {
      waited = new ArrayList<>(openWaiters);
      openWaiters.clear();
    }
    for (Runnable r : waited) {
      r.run();
    }
  }

  /**
   * Returns whether the target may still restore {@code key} from a MIGRATE that timed out, or
   * holds a copy of it that is still on the source too ({@link #copying}).
   */
  boolean unsettled(byte[] key) {
    if (unsettled.isEmpty() && copied.isEmpty()) {
      return false;
    }
    ByteBuffer k = ByteBuffer.wrap(key);
    return unsettled.contains(k) || copied.contains(k);
  }

  // ---- turns

  /**
   * Runs {@code then} when a MIGRATE to the target may be sent: at once, on the caller's thread, or
   * when one under way ends, on the thread ending it. Whoever runs calls {@link #release} after.
   */
  void acquire(Runnable then) {
    synchronized (this) {
      if (inFlight >= IN_FLIGHT) {
        waiting.add(then);
        return;
      }
      inFlight++;
    }
    then.run();
  }

  /** A MIGRATE to the target ended: the next one waiting, if any, takes its turn. */
  void release() {
    Runnable next;
    synchronized (this) {
      next = waiting.poll();
      if (next == null) {
        inFlight--;
      }
    }
    if (next != null) {
      next.run();
    }
  }

  /**
   * Waits for a turn on the calling (control) thread.
   *
   * @throws Migration.MigrationException if none came within 30 s (the turns under way never ended)
   */
  void acquireWaiting() throws InterruptedException {
    CompletableFuture<Void> turn = new CompletableFuture<>();
    acquire(() -> turn.complete(null));
    try {
      turn.get(TURN_WAIT_SECONDS, TimeUnit.SECONDS);
    } catch (InterruptedException | TimeoutException e) {
      turn.thenRun(this::release); // the turn may still come: give it back then
      if (e instanceof InterruptedException interrupted) {
        throw interrupted;
      }
      throw new Migration.MigrationException(
          "no turn to move keys to " + target.describe() + " within " + TURN_WAIT_SECONDS + " s");
    } catch (ExecutionException e) {
      throw new IllegalStateException(e.getCause());
    }
  }

  /**
   * Runs {@code then} once the gate is open: at once on the caller's thread when it is, else on the
   * thread that opens it, or (the gate still closed) that settles every key: {@code then} checks.
   */
  void whenOpen(Runnable then) {
    synchronized (this) {
      if (!open) {
        openWaiters.add(then);
        return;
      }
    }
    then.run();
  }

  // ---- what the moves tell

  /** A MIGRATE of {@code keys} keys succeeded in {@code nanos}: adapt the batch and timeout. */
  void succeeded(int keys, long nanos) {
    long budget = minTimeoutMillis * 250_000L; // a quarter of the timeout
    if (nanos > budget) {
      batchLimit = Math.max(1, Math.min(batchLimit, keys) / 2);
      cooldownUntil = System.nanoTime() + 3 * nanos;
    } else if (nanos < budget / 2) {
      batchLimit = Math.max(batchLimit, (int) Math.min(MAX_BATCH, 2L * keys));
    }
    long timeout = timeoutMillis;
    if (timeout > minTimeoutMillis && nanos < timeout * 250_000L) {
      timeoutMillis = Math.max(minTimeoutMillis, timeout / 2);
    }
  }

  /**
   * A MIGRATE of {@code keys} keys timed out or could not reach the target: close the gate until
   * the target answers again, and move fewer keys per step.
   */
  void timedOut(int keys) {
    timeouts.incrementAndGet();
    batchLimit = Math.max(1, Math.min(batchLimit, keys) / 2);
    synchronized (this) {
      if (!open || retired) {
        return;
      }
      open = false;
      lastTimedOutKeys = keys;
    }
    probeLater(FIRST_PROBE_MILLIS, false, false);
  }

  private void probeLater(long delayMillis, boolean answeredOnce, boolean failedAny) {
    CompletableFuture.delayedExecutor(delayMillis, TimeUnit.MILLISECONDS)
        .execute(() -> probe(delayMillis, answeredOnce, failedAny));
  }

  private void probe(long delayMillis, boolean answeredOnce, boolean failedAny) {
    synchronized (this) {
      if (retired) {
        return;
      }
    }
    long sent = System.nanoTime();
    target
        .call("PING")
        .orTimeout(timeoutMillis, TimeUnit.MILLISECONDS)
        .whenComplete(
            (pong, error) -> {
              if (error == null) {
                refusing = false;
              }
              if (error == null && "PONG".equals(pong)) {
                if (answeredOnce) {
                  reopen(!failedAny && System.nanoTime() - sent < timeoutMillis * 250_000L);
                } else {
                  probeLater(FIRST_PROBE_MILLIS, true, failedAny);
                }
              } else {
                if (refused(error)) {
                  refusing = true;
                  settleAll();
                }
                probeLater(Math.min(LAST_PROBE_MILLIS, delayMillis * 2), false, true);
              }
            });
  }

  /**
   * The target answered twice in a row; when it answered promptly from the first probe on ({@code
   * prompt}) after a single key timed out, that key is large: give the next moves longer.
   */
  private void reopen(boolean prompt) {
    synchronized (this) {
      if (prompt && lastTimedOutKeys == 1) {
        timeoutMillis = Math.min(maxTimeoutMillis, timeoutMillis * 2);
      }
    }
    open();
  }

  /** Opens the gate and runs what waited for it. */
  private void open() {
    List<Runnable> waited;
    synchronized (this) {
      open = true;
      refusing = false;
      notifyAll();
      waited = new ArrayList<>(openWaiters);
      openWaiters.clear();
    }
    for (Runnable r : waited) {
      r.run();
    }
  }

  // ---- the migration's waits (control thread)

  /** Waits up to {@code maxMillis} for the gate to open; returns whether it is open. */
  synchronized boolean awaitOpen(long maxMillis) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(maxMillis);
    while (!open) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return false;
      }
      TimeUnit.NANOSECONDS.timedWait(this, left);
    }
    return true;
  }

  /** After a slow step, waits three times as long as it took before the next one. */
  void awaitCooldown() throws InterruptedException {
    long until = cooldownUntil;
    long wait = until - System.nanoTime();
    if (until != 0 && wait > 0) {
      TimeUnit.NANOSECONDS.sleep(wait);
    }
  }

  /** The migration ended: stop probing; moves are no longer gated. */
  void retire() {
    synchronized (this) {
      retired = true;
    }
    unsettled.clear();
    copied.clear();
    open();
  }
}
