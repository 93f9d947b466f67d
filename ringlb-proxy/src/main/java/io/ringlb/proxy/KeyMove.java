package io.ringlb.proxy;

import io.netty.handler.codec.redis.ErrorRedisMessage;
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
 * old copy is gone, so no later copy can overwrite it. A key already on the new owner (BUSYKEY) was
 * written there after the move began, or restored there by a MIGRATE that timed out, and is the
 * newer or the same: the old copy is deleted instead.
 *
 * <p>The moves share the migration's {@link MigrateGate} to the new owner, so they cannot stall the
 * old owner either: each MIGRATE has the gate's short timeout and waits for a turn. While the new
 * owner is not answering (a MIGRATE to it timed out) no MIGRATE is sent: the request waits for the
 * gate to open again, as a request to that backend would wait for it, and fails, naming it, when
 * the request timeout has passed since it came.
 */
final class KeyMove extends Pending {

  private final Worker worker;
  private final long client;
  private final Topology topology;
  private final Backend from;
  private final Backend to;
  private final byte[][] keys;

  /** Sends the client's request to the new owner once the keys moved. */
  private final Sender then;

  /** The gate of the moves to {@code to}, or null outside a migration. */
  private final MigrateGate gate;

  /** The key being moved. */
  private int next;

  private boolean deleting;

  /** Whether this move holds one of the gate's turns (on the worker's loop only). */
  private boolean holding;

  /** When ({@link System#nanoTime()}) the request gives up waiting for the new owner. */
  private final long deadline;

  /**
   * Set while waiting for the gate to open; cleared by whichever of it and the timer comes first.
   */
  private boolean waitingForGate;

  private ScheduledFuture<?> giveUp;

  private KeyMove(
      Worker worker,
      long client,
      Topology topology,
      Backend from,
      Backend to,
      byte[][] keys,
      Sender then) {
    this.worker = worker;
    this.client = client;
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
   * lets {@code then} send to {@code to}.
   */
  static void start(
      Worker worker,
      long client,
      Topology topology,
      Backend from,
      Backend to,
      byte[][] keys,
      Sender then) {
    new KeyMove(worker, client, topology, from, to, keys, then).moveNext();
  }

  private void moveNext() {
    deleting = false;
    if (gate == null) {
      send(worker.upstream().migrateTimeoutMillis());
    } else if (!gate.isOpen()) {
      awaitGate();
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
      awaitGate();
      return;
    }
    send(gate.timeoutMillis());
  }

  /** Moves the key again once the gate opens, or fails at the deadline. */
  private void awaitGate() {
    long left = deadline - System.nanoTime();
    if (left <= 0) {
      fail(notAnswering());
      return;
    }
    waitingForGate = true;
    giveUp = worker.loop().schedule(this::gaveUp, left, TimeUnit.NANOSECONDS);
    gate.whenOpen(() -> onLoop(this::gateOpened));
  }

  private void gateOpened() {
    if (waitingForGate) {
      waitingForGate = false;
      giveUp.cancel(false);
      moveNext();
    }
  }

  private void gaveUp() {
    if (waitingForGate) {
      waitingForGate = false;
      fail(notAnswering());
    }
  }

  private void send(long timeoutMillis) {
    List<Object> args = BatchMove.migrateArgs(worker.upstream(), to, keys[next], timeoutMillis);
    from.connection(worker, client).send(args.toArray(), this);
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
      if (!deleting && reply instanceof ErrorRedisMessage e && e.content().startsWith("IOERR")) {
        if (gate != null) {
          gate.timedOut(1); // closed before the turn passes on
        }
      }
      if (!deleting) {
        endTurn();
      }
      if (!deleting && reply instanceof ErrorRedisMessage e && e.content().contains("BUSYKEY")) {
        deleting = true;
        from.connection(worker, client).send(new Object[] {"DEL", keys[next]}, this);
        return;
      }
      if (!deleting && reply instanceof ErrorRedisMessage e && e.content().startsWith("IOERR")) {
        // The key stays on the old owner (and may yet be restored on the new one: the next move
        // then finds it there and drops the old copy). Move it again when the new owner answers.
        if (gate == null) {
          fail("ERR ringlb: could not move the key from " + from.describe() + ": " + e.content());
        } else {
          awaitGate();
        }
        return;
      }
      if (reply instanceof ErrorRedisMessage e) {
        fail(
            "ERR ringlb: could not move the key from "
                + from.describe()
                + " to "
                + to.describe()
                + ": "
                + e.content());
        return;
      }
      if (!deleting && reply instanceof SimpleStringRedisMessage s && "OK".equals(s.content())) {
        Migration m = topology.migration();
        if (m != null) {
          m.countClientMove();
        }
      }
      if (++next < keys.length) {
        moveNext();
        return;
      }
      then.sendTo(to.connection(worker, client));
    } finally {
      ReferenceCountUtil.release(reply);
    }
  }

  @Override
  void fail(String error) {
    endTurn();
    then.fail(error);
  }
}
