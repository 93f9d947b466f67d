package io.ringlb.proxy;

import java.util.ArrayList;
import java.util.List;

/**
 * The migration's move of the keys it found on one old owner for one new owner: {@code MIGRATE host
 * port "" 0 timeout KEYS ...} in steps as large as the target's {@link MigrateGate} allows, each
 * paced by the migration's {@link MoveRate}. Runs on the control thread.
 *
 * <p>MIGRATE (without REPLACE) deletes a key from the source once the target acknowledged it. When
 * it times out, the keys it had not heard back about stay on the source, and the target may still
 * restore them afterwards from what it had received (Redis 7.0 does: after a frozen target resumes,
 * the key is on both). The keys still on the source are retried, in smaller steps, once the target
 * answers again. A key found on the target already (BUSYKEY) keeps the copy of its owner before the
 * change, the newest (see {@link KeyMove}): restored there by such a step, it is the same; written
 * on the old owner while the new one could not be reached, it is newer. Forward, the source is that
 * owner and its copy replaces the target's ({@code MIGRATE ... REPLACE}); when the migration undoes
 * an aborted change, the target is that owner and the source's copy is deleted. So no key is lost,
 * and none is left twice.
 *
 * <p>A key that a timed-out step sent in full and that is then deleted before the target reads that
 * step would be restored by it. So the gate marks such keys unsettled until a later step moves
 * them, and {@link KeyMove} serves no request for one from the old owner meanwhile (a DEL there
 * would be undone). One case remains open: a key moved by a later step and then deleted on the
 * target before the target reads the timed-out step (see {@code docs/ARCHITECTURE.md}).
 *
 * <p>To a replica-backed target (a Sentinel shard, or any with {@code durability: replicated}) a
 * step copies instead ({@code MIGRATE ... COPY}), waits for the target's replicas and only then
 * deletes its keys from the source ({@link CopyHandOff}), so that a failover of the target loses no
 * key it was sent.
 *
 * <p>Each step is sent, and its keys counted, under the migration's {@link Migration#moves()} lock,
 * so that {@link MigrationWatch} reads a backend's key count and the keys moved at one point; after
 * a step that timed out, only the keys gone from the source are counted.
 */
final class BatchMove {

  /** Timeouts in a row of the steps of one group of keys before the migration reports a stall. */
  private static final int TIMEOUTS_IN_A_ROW = 20;

  /**
   * Failed copies in a row of one step to a replica-backed target (each WAIT up to the durability
   * timeout) before the migration reports a stall and retries from a new SCAN.
   */
  private static final int COPIES_IN_A_ROW = 5;

  private BatchMove() {}

  /**
   * Moves {@code keys} from {@code from} to {@code to} for {@code m}; the keys a step that timed
   * out left on the source are retried, in smaller steps, once the target answers.
   *
   * @throws Migration.MigrationException when a step fails otherwise, or the target stays silent
   */
  static void move(
      Migration m, Migration.Host host, MoveRate rate, Backend from, Backend to, List<byte[]> keys)
      throws InterruptedException {
    if (CopyHandOff.needed(host, to)) {
      moveByCopy(m, host, rate, from, to, keys);
      return;
    }
    MigrateGate gate = m.gate(to, host.upstream());
    List<byte[]> left = new ArrayList<>(keys);
    int next = 0;
    int timeouts = 0;
    while (next < left.size()) {
      List<byte[]> step = left.subList(next, next + gate.batch(left.size() - next));
      rate.awaitTurn();
      int moved;
      Object reply;
      awaitTurn(m, host, gate);
      m.moves().lock();
      try {
        reply = send(host, gate, from, step.size() == 1 ? step.get(0) : step);
        if (timedOut(reply)) {
          List<byte[]> stayed = stillOn(from, step);
          moved = step.size() - stayed.size();
          for (byte[] key : step) {
            if (!stayed.contains(key)) {
              gate.settle(key); // acknowledged by the target before the timeout
            }
          }
          step.clear();
          step.addAll(stayed); // the rest go again
        } else {
          if (reply instanceof Values.Error e) {
            if (!e.busyKey()) {
              throw failed("moving keys from ", from, to, e);
            }
            // Some keys are on both: the copy on the owner before the change wins.
            for (byte[] key : step) {
              moveOrResolve(m, host, gate, from, key, step.size() == 1, false);
            }
          }
          for (byte[] key : step) {
            gate.settle(key);
          }
          // NOKEY: none of the keys was on the source any more (expired, deleted, or lost with a
          // restart of it), so none moved; counting them would hide a loss from MigrationWatch.
          moved = "NOKEY".equals(reply) ? 0 : step.size();
          next += step.size();
        }
        m.countMoved(moved);
      } finally {
        m.moves().unlock();
      }
      rate.moved(moved);
      if (timedOut(reply)) {
        checkTimeouts(++timeouts, gate, reply);
      } else {
        timeouts = 0;
      }
    }
  }

  /**
   * Moves {@code keys} from {@code from} to {@code to}, a replica-backed target, so that a failover
   * of the target loses none: each step copies its keys ({@code MIGRATE ... COPY}), waits until
   * enough of the target's replicas have them ({@link CopyHandOff}), and only then deletes them
   * from the source. A step whose replicas did not acknowledge it in time, or that timed out, goes
   * again; its keys are never deleted meanwhile.
   *
   * <p>A key on both (BUSYKEY: MIGRATE restores the others of its step) keeps the copy of its owner
   * before the change, as with MIGRATE: forward, the source's replaces the target's, key by key
   * ({@code MIGRATE ... COPY REPLACE}); undoing an aborted change, the target's stays, and the
   * source's goes with the step's DEL, after the WAIT like every other.
   *
   * <p>From before its COPY until its DEL, a step's keys are held ({@link MigrateGate#copying}): no
   * client request for one is served by the source, so the source's copy cannot change between the
   * COPY and the DEL. A client request moving one of them meanwhile ({@link KeyMove}) moves it in
   * full, and the DEL then finds it gone.
   */
  private static void moveByCopy(
      Migration m, Migration.Host host, MoveRate rate, Backend from, Backend to, List<byte[]> keys)
      throws InterruptedException {
    MigrateGate gate = m.gate(to, host.upstream());
    Durability durability = host.config().durability();
    int next = 0;
    int failures = 0;
    while (next < keys.size()) {
      List<byte[]> step = keys.subList(next, next + gate.batch(keys.size() - next));
      rate.awaitTurn();
      awaitTurn(m, host, gate);
      String failed;
      m.moves().lock();
      try {
        for (byte[] key : step) {
          gate.copying(key);
        }
        BackendSpec primary = to.target();
        Object reply = send(host, gate, from, new Copy(step.size() == 1 ? step.get(0) : step));
        if (timedOut(reply)) {
          failed = ((Values.Error) reply).text(); // with COPY the source kept every key
        } else {
          if (reply instanceof Values.Error e) {
            if (!e.busyKey()) {
              throw failed("copying keys from ", from, to, e);
            }
            if (!m.undoing()) {
              // Some keys are on both (from a step that went before): the source's copy wins.
              for (byte[] key : step) {
                moveOrResolve(m, host, gate, from, key, step.size() == 1, true);
              }
            } // undoing, the target's copy stays; the source's goes with the DEL below
          }
          try {
            failed = CopyHandOff.awaitReplicas(to, primary, durability);
          } catch (Migration.MigrationException e) {
            failed = e.getMessage(); // the target's connection lost: failing over, perhaps
          }
          if (failed == null) {
            CopyHandOff.delete(from, step);
            for (byte[] key : step) {
              gate.settle(key);
            }
            m.countMoved("NOKEY".equals(reply) ? 0 : step.size()); // NOKEY: none was there
          }
        }
      } finally {
        m.moves().unlock();
      }
      if (failed == null) {
        rate.moved(step.size());
        next += step.size();
        failures = 0;
        continue;
      }
      if (++failures >= COPIES_IN_A_ROW) {
        throw new Migration.MigrationException(
            "copying keys to "
                + to.describe()
                + " failed "
                + failures
                + " times in a row: "
                + failed);
      }
      Thread.sleep(50); // what failed at once (a primary being demoted) is not retried in a spin
    }
  }

  /**
   * Moves one key, retrying after timeouts; when the target has it too, keeps the copy of the owner
   * before the change: the source's replaces the target's, or, undoing, the source's is deleted.
   * {@code busy}: the key is known to be on the target (a step of it alone answered BUSYKEY);
   * {@code copy}: with {@code MIGRATE ... COPY}, the source keeping its copy (forward only).
   */
  private static void moveOrResolve(
      Migration m,
      Migration.Host host,
      MigrateGate gate,
      Backend from,
      byte[] key,
      boolean busy,
      boolean copy)
      throws InterruptedException {
    boolean replace = busy && !m.undoing();
    if (busy && m.undoing()) {
      deleteMovedBack(from, gate, key);
      return;
    }
    // A REPLACE makes the target drop its copy and restore the source's: it may take longer than
    // the gate's timeout, and a target busy with it answers PING late, so the gate would not grow
    // the timeout: each REPLACE that times out doubles its own, up to the gate's longest.
    long replaceTimeout = gate.timeoutMillis();
    for (int timeouts = 1; ; timeouts++) {
      Object reply = migrateOne(m, host, gate, from, key, replace ? replaceTimeout : 0, copy);
      if (timedOut(reply)) {
        checkTimeouts(timeouts, gate, reply);
        if (replace) {
          replaceTimeout = Math.min(gate.maxTimeoutMillis(), replaceTimeout * 2);
        }
        continue;
      }
      if (reply instanceof Values.Error e) {
        if (replace || !e.busyKey()) {
          throw failed("moving a key from ", from, gate.target(), e);
        }
        if (m.undoing()) {
          deleteMovedBack(from, gate, key);
          return;
        }
        replace = true;
        continue;
      }
      return;
    }
  }

  /** Undoing, the target is the owner before the change: its copy wins, the source's goes. */
  private static void deleteMovedBack(Backend from, MigrateGate gate, byte[] key)
      throws InterruptedException {
    Object deleted = Migration.call(from, "DEL", key);
    if (deleted instanceof Values.Error d) {
      throw failed("deleting a key moved back from ", from, gate.target(), d);
    }
  }

  /**
   * Moves {@code key}; with {@code MIGRATE ... REPLACE} and at least this timeout when not 0, with
   * {@code COPY} when {@code copy}.
   */
  private static Object migrateOne(
      Migration m,
      Migration.Host host,
      MigrateGate gate,
      Backend from,
      byte[] key,
      long replace,
      boolean copy)
      throws InterruptedException {
    awaitTurn(m, host, gate);
    Object what = replace > 0 ? new Replace(key, replace) : key;
    return send(host, gate, from, copy ? new Copy(what) : what);
  }

  /** A single key to move with {@code MIGRATE ... REPLACE}, with at least {@code timeoutMillis}. */
  private record Replace(byte[] key, long timeoutMillis) {}

  /**
   * {@code keys} (a key, a {@link Replace}, or a list of keys) to move with {@code MIGRATE ...
   * COPY}.
   */
  private record Copy(Object keys) {}

  /** Returns the keys of {@code step} still on {@code from}, in their order. */
  private static List<byte[]> stillOn(Backend from, List<byte[]> step) throws InterruptedException {
    List<java.util.concurrent.CompletableFuture<Object>> asked = new ArrayList<>(step.size());
    for (byte[] key : step) {
      asked.add(from.call("EXISTS", key));
    }
    List<byte[]> stayed = new ArrayList<>();
    for (int i = 0; i < step.size(); i++) {
      Object reply = await(from, asked.get(i));
      if (!(reply instanceof Long n)) {
        throw new Migration.MigrationException(from.describe() + " answered EXISTS with " + reply);
      }
      if (n != 0) {
        stayed.add(step.get(i));
      }
    }
    return stayed;
  }

  private static Object await(Backend b, java.util.concurrent.CompletableFuture<Object> reply)
      throws InterruptedException {
    try {
      return reply.get(30, java.util.concurrent.TimeUnit.SECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      throw new Migration.MigrationException(e.getCause().getMessage());
    } catch (java.util.concurrent.TimeoutException e) {
      throw new Migration.MigrationException(b.describe() + " did not answer");
    }
  }

  private static Migration.MigrationException failed(
      String what, Backend from, Backend to, Values.Error e) {
    return new Migration.MigrationException(
        what + from.describe() + " to " + to.describe() + " failed: " + e.text());
  }

  /** Reports a stall after too many timeouts in a row while the target answers PING. */
  private static void checkTimeouts(int timeouts, MigrateGate gate, Object reply) {
    if (timeouts >= TIMEOUTS_IN_A_ROW) {
      throw new Migration.MigrationException(
          "moving keys to "
              + gate.target().describe()
              + " timed out "
              + timeouts
              + " times in a row: "
              + ((Values.Error) reply).text());
    }
  }

  /**
   * Waits until the gate lets a MIGRATE to its target be sent, and takes the turn; {@link #send}
   * gives it back.
   *
   * @throws Migration.MigrationException when the migration was stopped, or the target has not
   *     answered for the request timeout
   */
  private static void awaitTurn(Migration m, Migration.Host host, MigrateGate gate)
      throws InterruptedException {
    if (m.abandonedBy() != null) {
      throw new Migration.MigrationException("stopped");
    }
    long wait = Math.max(1000, host.upstream().requestTimeoutMillis());
    if (!gate.awaitOpen(wait)) {
      throw new Migration.MigrationException(
          gate.target().describe()
              + " has not answered for "
              + wait
              + " ms; moves to it wait until it does");
    }
    gate.awaitCooldown();
    gate.acquireWaiting();
  }

  /**
   * Sends one MIGRATE of {@code keys} (a key, a {@link Replace}, or a list of keys) from {@code
   * from} in the turn {@link #awaitTurn} took, tells the gate how it went, gives the turn back, and
   * returns its reply.
   */
  private static Object send(Migration.Host host, MigrateGate gate, Backend from, Object keys)
      throws InterruptedException {
    try {
      Object what = keys;
      boolean copy = false;
      boolean replace = false;
      long atLeast = 0;
      if (what instanceof Copy c) {
        copy = true;
        what = c.keys();
      }
      if (what instanceof Replace r) {
        replace = true;
        atLeast = r.timeoutMillis();
        what = r.key();
      }
      Object key = what instanceof byte[] ? what : "";
      long timeout = Math.max(atLeast, gate.timeoutMillis());
      List<Object> args;
      try {
        args = migrateArgs(host.upstream(), gate.target(), key, timeout);
      } catch (Values.BackendException e) {
        throw new Migration.MigrationException(e.getMessage()); // no primary known: retried
      }
      if (copy) {
        args.add("COPY");
      }
      if (replace) {
        args.add("REPLACE");
      }
      int count = 1;
      if (what instanceof List<?> list) {
        args.add("KEYS");
        args.addAll(list);
        count = list.size();
      }
      long started = System.nanoTime();
      Object reply = Migration.call(from, args.toArray());
      if (timedOut(reply)) {
        if (MigrateGate.mayHaveSent(((Values.Error) reply).text())) {
          // Before the gate closes: no request for these keys may then be served by the source.
          if (key instanceof byte[] one) {
            gate.unsettle(one);
          } else if (what instanceof List<?> list) {
            for (Object k : list) {
              gate.unsettle((byte[]) k);
            }
          }
        }
        gate.timedOut(count); // closed before the turn passes on
      } else if (!(reply instanceof Values.Error)) {
        gate.succeeded(count, System.nanoTime() - started);
      }
      return reply;
    } finally {
      gate.release();
    }
  }

  /**
   * Returns whether a MIGRATE's reply says the target did not answer in time or could not be
   * reached ({@code IOERR}): the keys not acknowledged stay on the source.
   */
  static boolean timedOut(Object reply) {
    return reply instanceof Values.Error e && e.text().startsWith("IOERR");
  }

  /**
   * Returns {@code MIGRATE host port key 0 timeout [AUTH password | AUTH2 user password]} as a list
   * of arguments, {@code timeoutMillis} bounding how long the source waits for {@code to}.
   */
  static List<Object> migrateArgs(Upstream upstream, Backend to, Object key, long timeoutMillis) {
    List<Object> args = new ArrayList<>();
    args.add("MIGRATE");
    to.addAddress(args);
    args.add(key);
    args.add("0");
    args.add(Long.toString(timeoutMillis));
    if (upstream.password() != null) {
      upstream.admit(to.target()); // the password goes only to an allowed backend
    }
    upstream.addMigrateAuth(args);
    return args;
  }
}
