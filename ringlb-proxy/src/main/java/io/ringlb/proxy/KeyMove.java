package io.ringlb.proxy;

import io.netty.handler.codec.redis.ErrorRedisMessage;
import io.netty.handler.codec.redis.IntegerRedisMessage;
import io.netty.handler.codec.redis.RedisMessage;
import io.netty.handler.codec.redis.SimpleStringRedisMessage;
import io.netty.util.ReferenceCountUtil;
import java.util.List;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The per-key move of a request during a migration: its keys are moved one by one from their old
 * owner to the new one with MIGRATE (no REPLACE), then the request is sent to the new owner.
 *
 * <p>A read therefore finds the key wherever it was, and a write lands on the new owner after the
 * old copy is gone, so no later copy can overwrite it. A key on both (BUSYKEY) has its newest copy
 * on the owner before the change, as no request reaches the new owner while the old one holds the
 * key (the other copy was restored there by a MIGRATE that timed out, the same, or is older): that
 * copy replaces the other one (MIGRATE REPLACE), or, when the migration undoes an aborted change,
 * the old owner is the target and the source's copy is deleted.
 *
 * <p>The moves share the migration's {@link MigrateGate} to the new owner, so they cannot stall the
 * old owner either: each MIGRATE has the gate's short timeout and waits for a turn. When the new
 * owner cannot take a key, because a MIGRATE to it answers {@code IOERR} or its gate is closed (a
 * MIGRATE to it timed out and it has not answered since; then no MIGRATE is sent, the old owner is
 * only asked whether it holds the key), a request whose keys the old owner all holds is served by
 * the old owner at once, as it holds their newest copies; they move later with the migration. A
 * request for a key the old owner no longer holds (moved already, or new), or that a timed-out
 * MIGRATE sent to the new owner in full (unsettled: the new owner may still restore it, and would
 * undo a DEL served by the old owner), or sent on a connection of its own ({@link Sender#pinned}),
 * waits for the gate to open again, as a request to that backend would wait for it, and fails,
 * naming it, when the request timeout has passed since it came. See {@code docs/ARCHITECTURE.md}.
 */
final class KeyMove extends Pending {

  /** What the reply awaited answers. */
  private enum Step {
    /** The MIGRATE of the key. */
    MIGRATE,
    /** The MIGRATE REPLACE or DEL resolving a BUSYKEY. */
    RESOLVE,
    /** The EXISTS asking the old owner whether it holds the key, the gate being closed. */
    EXISTS
  }

  private final Worker worker;
  private final long client;
  private final boolean resp3; // the protocol of the client's connections, for the command after
  private final Topology topology;
  private final Backend from;
  private final Backend to;
  private final byte[][] keys;

  /** Sends the client's request to the new owner once the keys moved. */
  private final Sender then;

  /** The gate of the moves to {@code to}, or null outside a migration. */
  private final MigrateGate gate;

  /** When ({@link System#nanoTime()}) the request gives up waiting for the new owner. */
  private final long deadline;

  /** The key being moved. */
  private int next;

  private Step step = Step.MIGRATE;

  /** The keys, from the first, that the old owner holds but could not hand over. */
  private int stayed;

  /** Why the first key that stayed could not be handed over. */
  private String unreachable;

  /** Whether this move holds one of the gate's turns (on the worker's loop only). */
  private boolean holding;

  /**
   * Set while waiting for the gate to open; cleared by whichever of it and the timer comes first.
   */
  private boolean waitingForGate;

  private ScheduledFuture<?> giveUp;

  private KeyMove(
      Worker worker,
      long client,
      boolean resp3,
      Topology topology,
      Backend from,
      Backend to,
      byte[][] keys,
      Sender then) {
    this.worker = worker;
    this.client = client;
    this.resp3 = resp3;
    this.topology = topology;
    this.from = from;
    this.to = to;
    this.keys = keys;
    this.then = then;
    Migration m = topology.migration();
    this.gate = m == null ? null : m.gate(to, worker.upstream());
    this.deadline = System.nanoTime() + worker.upstream().requestTimeoutNanos();
  }

  /**
   * Moves {@code keys} from {@code from} to {@code to} on the connections of {@code client}, then
   * lets {@code then} send to {@code to} (or to {@code from} when none could be moved, see above)
   * on the client's connection of its protocol ({@code resp3}).
   */
  static void start(
      Worker worker,
      long client,
      boolean resp3,
      Topology topology,
      Backend from,
      Backend to,
      byte[][] keys,
      Sender then) {
    new KeyMove(worker, client, resp3, topology, from, to, keys, then).moveNext();
  }

  private void moveNext() {
    step = Step.MIGRATE;
    if (gate == null) {
      sendMigrate(worker.upstream().migrateTimeoutMillis(), false);
    } else if (!gate.isOpen()) {
      gateClosed();
    } else {
      gate.acquire(() -> onLoop(this::sendInTurn));
    }
  }

  /** Runs {@code task} on the worker's loop: at once when called there. */
  private void onLoop(Runnable task) {
    if (worker.loop().inEventLoop()) {
      task.run();
    } else {
      worker.loop().execute(task);
    }
  }

  private void sendInTurn() {
    holding = true;
    if (!gate.isOpen()) {
      endTurn();
      if (step == Step.RESOLVE) {
        awaitGate(); // the key is on both: it moves when the new owner answers
      } else {
        gateClosed();
      }
      return;
    }
    sendMigrate(gate.timeoutMillis(), step == Step.RESOLVE);
  }

  /**
   * The new owner is not answering: the request may be served by the old owner if it holds this key
   * and every one before (asked with EXISTS); otherwise it waits for the gate.
   */
  private void gateClosed() {
    if (stayed == next && !then.pinned() && !gate.unsettled(keys[next])) {
      step = Step.EXISTS;
      from.connection(worker, client).send(new Object[] {"EXISTS", keys[next]}, this);
    } else {
      awaitGate();
    }
  }

  /** Moves the key again once the gate opens, or fails at the deadline. */
  private void awaitGate() {
    if (gate.refusing()) {
      // The new owner is down: fail at once, as a request sent to it would.
      fail(cannotMove(unreachable != null ? unreachable : to.describe() + " refuses connections"));
      return;
    }
    long left = deadline - System.nanoTime();
    if (left <= 0) {
      fail(notAnswering());
      return;
    }
    waitingForGate = true;
    giveUp = worker.loop().schedule(this::gaveUp, left, TimeUnit.NANOSECONDS);
    gate.whenOpen(() -> onLoop(this::gateOpened));
  }

  /** The gate opened, or the target's keys were all settled while it stays closed. */
  private void gateOpened() {
    if (waitingForGate) {
      waitingForGate = false;
      giveUp.cancel(false);
      if (step == Step.RESOLVE && !gate.isOpen()) {
        awaitGate(); // on both: only the new owner can settle it
      } else {
        moveNext();
      }
    }
  }

  private void gaveUp() {
    if (waitingForGate) {
      waitingForGate = false;
      fail(notAnswering());
    }
  }

  private void sendMigrate(long timeoutMillis, boolean replace) {
    List<Object> args = BatchMove.migrateArgs(worker.upstream(), to, keys[next], timeoutMillis);
    if (replace) {
      args.add("REPLACE");
    }
    from.connection(worker, client).send(args.toArray(), this);
  }

  /** Resolves a BUSYKEY: the copy on the owner before the change wins. */
  private void resolve() {
    step = Step.RESOLVE;
    Migration m = topology.migration();
    if (m != null && m.undoing()) {
      from.connection(worker, client).send(new Object[] {"DEL", keys[next]}, this);
    } else if (gate == null) {
      sendMigrate(worker.upstream().migrateTimeoutMillis(), true);
    } else {
      gate.acquire(() -> onLoop(this::sendInTurn));
    }
  }

  private void endTurn() {
    if (holding) {
      holding = false;
      gate.release();
    }
  }

  private String notAnswering() {
    return "ERR ringlb: the key is moving to "
        + to.describe()
        + ", which did not answer within "
        + worker.upstream().requestTimeoutMillis()
        + " ms";
  }

  @Override
  void complete(RedisMessage reply) {
    try {
      if (step == Step.EXISTS) {
        held(reply);
        return;
      }
      endTurn();
      if (reply instanceof ErrorRedisMessage e && e.content().startsWith("IOERR")) {
        if (gate != null) {
          gate.timedOut(1);
        }
        cannotHandOver(e.content());
        return;
      }
      if (step == Step.MIGRATE
          && reply instanceof ErrorRedisMessage e
          && e.content().contains("BUSYKEY")) {
        resolve();
        return;
      }
      if (reply instanceof ErrorRedisMessage e) {
        fail(cannotMove(stayed > 0 ? unreachable : e.content()));
        return;
      }
      if (stayed > 0) {
        // An earlier key stayed on the old owner and this one is on the new owner: no backend
        // holds them all. The new owner answers again: move them all from the first.
        restart();
        return;
      }
      if (gate != null) {
        gate.settle(keys[next]);
      }
      if (step == Step.MIGRATE && reply instanceof SimpleStringRedisMessage s) {
        if ("OK".equals(s.content())) {
          Migration m = topology.migration();
          if (m != null) {
            m.countClientMove();
          }
        }
      }
      if (++next < keys.length) {
        moveNext();
        return;
      }
      then.sendTo(to.connection(worker, client, resp3));
    } finally {
      ReferenceCountUtil.release(reply);
    }
  }

  /** The old owner holds {@code keys[next]} and could not hand it over ({@code error}). */
  private void cannotHandOver(String error) {
    if (gate != null && MigrateGate.mayHaveSent(error) && !gate.refusing()) {
      gate.unsettle(keys[next]); // the new owner may restore it yet: a DEL here would be undone
    }
    if (step == Step.MIGRATE
        && stayed == next
        && !then.pinned()
        && (gate == null || !gate.unsettled(keys[next]))) {
      stay(error);
    } else if (gate != null) {
      awaitGate(); // on both (RESOLVE), or not every key on the old owner: wait for the new owner
    } else {
      fail(cannotMove(stayed > 0 ? unreachable : error));
    }
  }

  /** The old owner's answer to EXISTS for {@code keys[next]}, asked while the gate is closed. */
  private void held(RedisMessage reply) {
    if (reply instanceof IntegerRedisMessage n && n.value() != 0) {
      stay(to.describe() + " is not answering");
    } else if (reply instanceof ErrorRedisMessage e) {
      fail(cannotMove(e.content()));
    } else if (gate.refusing()) {
      // Not on the old owner, and the new owner is down: as if MIGRATE answered NOKEY.
      if (stayed > 0) {
        fail(cannotMove(unreachable)); // no backend holds them all
      } else if (++next < keys.length) {
        moveNext();
      } else {
        then.sendTo(to.connection(worker, client, resp3)); // fails with the new owner's error
      }
    } else {
      // Not on the old owner (moved already, or new): it must be reached on the new owner.
      if (stayed > 0) {
        next = 0;
        stayed = 0;
      }
      awaitGate();
    }
  }

  /** {@code keys[next]} stays on the old owner; once every key has, the old owner serves. */
  private void stay(String error) {
    if (stayed++ == 0) {
      unreachable = error;
    }
    if (++next < keys.length) {
      moveNext();
      return;
    }
    Migration m = topology.migration();
    if (m != null) {
      m.countServedByOldOwner();
    }
    then.sendTo(from.connection(worker, client, resp3));
  }

  /** Moves the keys again from the first, until the request timeout. */
  private void restart() {
    if (gate == null || deadline - System.nanoTime() <= 0) {
      fail(cannotMove(unreachable));
      return;
    }
    next = 0;
    stayed = 0;
    moveNext();
  }

  private String cannotMove(String error) {
    return "ERR ringlb: could not move the key from "
        + from.describe()
        + " to "
        + to.describe()
        + ": "
        + error;
  }

  @Override
  void fail(String error) {
    endTurn();
    then.fail(error);
  }
}
