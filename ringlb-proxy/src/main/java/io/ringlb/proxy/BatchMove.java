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
 * the key is on both). The step is then retried, smaller, once the target answers again; a key
 * found on the target already (BUSYKEY) was restored there by such a step, or written there by a
 * client after a move, and since a moving key is never written on its old owner during the
 * migration, the target's copy is the same or newer: the source's is deleted. So no key is lost,
 * and none is left twice.
 */
final class BatchMove {

  /** Timeouts in a row of the steps of one group of keys before the migration reports a stall. */
  private static final int TIMEOUTS_IN_A_ROW = 20;

  private BatchMove() {}

  /**
   * Moves {@code keys} from {@code from} to {@code to} for {@code m}; a step that timed out is
   * retried, smaller, once the target answers.
   *
   * @throws Migration.MigrationException when a step fails otherwise, or the target stays silent
   */
  static void move(
      Migration m, Migration.Host host, MoveRate rate, Backend from, Backend to, List<byte[]> keys)
      throws InterruptedException {
    MigrateGate gate = m.gate(to, host.upstream());
    int next = 0;
    int timeouts = 0;
    while (next < keys.size()) {
      List<byte[]> step = keys.subList(next, next + gate.batch(keys.size() - next));
      rate.awaitTurn();
      Object reply = step(m, host, gate, from, step.size() == 1 ? step.get(0) : step);
      if (timedOut(reply)) {
        checkTimeouts(++timeouts, gate, reply);
        continue; // the keys it moved are gone from the source; the rest go again
      }
      timeouts = 0;
      if (reply instanceof Values.Error e) {
        if (!e.busyKey()) {
          throw new Migration.MigrationException(
              "moving keys from "
                  + from.describe()
                  + " to "
                  + to.describe()
                  + " failed: "
                  + e.text());
        }
        // Some keys exist on the new owner already: written there after a move (newer than ours),
        // or restored from a MIGRATE that timed out (the same as ours). Drop ours.
        for (byte[] key : step) {
          moveOrDrop(m, host, gate, from, key);
        }
      }
      m.countMoved(step.size());
      rate.moved(step.size());
      next += step.size();
    }
  }

  /** Moves one key, retrying after timeouts; deletes the source's copy when the target has one. */
  private static void moveOrDrop(
      Migration m, Migration.Host host, MigrateGate gate, Backend from, byte[] key)
      throws InterruptedException {
    for (int timeouts = 1; ; timeouts++) {
      Object reply = step(m, host, gate, from, key);
      if (timedOut(reply)) {
        checkTimeouts(timeouts, gate, reply);
        continue;
      }
      if (reply instanceof Values.Error busy) {
        if (!busy.busyKey()) {
          throw new Migration.MigrationException(
              "moving a key from "
                  + from.describe()
                  + " to "
                  + gate.target().describe()
                  + " failed: "
                  + busy.text());
        }
        Migration.call(from, "DEL", key);
      }
      return;
    }
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
   * Sends one MIGRATE of {@code keys} (a key, or a list of them) from {@code from} once the gate
   * lets it, tells the gate how it went, and returns its reply.
   *
   * @throws Migration.MigrationException when the migration was abandoned, or the target has not
   *     answered for the request timeout
   */
  private static Object step(
      Migration m, Migration.Host host, MigrateGate gate, Backend from, Object keys)
      throws InterruptedException {
    if (m.abandonedBy() != null) {
      throw new Migration.MigrationException("abandoned");
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
    try {
      List<Object> args =
          migrateArgs(
              host.upstream(),
              gate.target(),
              keys instanceof byte[] ? keys : "",
              gate.timeoutMillis());
      int count = 1;
      if (keys instanceof List<?> list) {
        args.add("KEYS");
        args.addAll(list);
        count = list.size();
      }
      long started = System.nanoTime();
      Object reply = Migration.call(from, args.toArray());
      if (timedOut(reply)) {
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
   * Returns {@code MIGRATE host port key 0 timeout [AUTH password]} as a list of arguments, {@code
   * timeoutMillis} bounding how long the source waits for {@code to}.
   */
  static List<Object> migrateArgs(Upstream upstream, Backend to, Object key, long timeoutMillis) {
    List<Object> args = new ArrayList<>();
    args.add("MIGRATE");
    to.addAddress(args);
    args.add(key);
    args.add("0");
    args.add(Long.toString(timeoutMillis));
    String password = upstream.password();
    if (password != null) {
      upstream.admit(to.spec()); // the password goes only to an allowed backend
      args.add("AUTH");
      args.add(password);
    }
    return args;
  }
}
