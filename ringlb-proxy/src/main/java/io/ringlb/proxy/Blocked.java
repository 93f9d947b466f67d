package io.ringlb.proxy;

import io.netty.handler.codec.redis.ArrayRedisMessage;
import io.netty.handler.codec.redis.FullBulkStringRedisMessage;
import io.netty.handler.codec.redis.RedisMessage;
import io.netty.util.ReferenceCountUtil;
import io.ringlb.server.DeferredReply;
import java.util.concurrent.TimeUnit;

/**
 * One blocking command of one client (BLPOP, BZPOPMIN, XREAD BLOCK...), on a connection of its own
 * to its keys' owner taken from the worker's {@link BlockingPool}.
 *
 * <p>When the worker adopts a topology in which the keys' owner changes, the command is ended on
 * the old owner with {@code CLIENT UNBLOCK id TIMEOUT}: if it answers as timed out, it is sent
 * again to the new owner (its keys moved there first while a migration runs, see {@link KeyMove})
 * with the time left; if it had popped already, that reply is the client's. Until the old owner has
 * answered, the command counts among the requests of the old topology, so the worker's drain (and
 * so the migration) waits for it, and it is sent again only once the worker routes by the new
 * topology.
 *
 * <p>When the client leaves, the command is ended the same way; what it popped in the meantime is
 * put back where it was ({@link BlockingArgs#putBack}) on the same connection. Event-loop confined.
 */
final class Blocked {

  private enum State {
    /** Waiting for a connection's turn, or for its keys to move. */
    ROUTING,
    /** Sent on {@link #conn}, waiting for the reply. */
    BLOCKED,
    /** Sent, and {@code CLIENT UNBLOCK} asked of the backend: the reply comes soon. */
    UNBLOCKING,
    /** Answered, or the client left and nothing is pending. */
    DONE
  }

  /** Delay between two {@code CLIENT UNBLOCK}s of a command the backend had not read yet. */
  private static final long UNBLOCK_RETRY_MILLIS = 5;

  private final Worker worker;
  private final BlockingPool pool;
  private final long clientId;
  private final DeferredReply slot;
  private final BlockingArgs args;
  private final int hash;
  private final byte[][] keys;
  private final Runnable done;

  /** When the command times out ({@link System#nanoTime()}); unused when it has no timeout. */
  private final long deadline;

  private State state = State.ROUTING;
  private BlockingPool.Dedicated conn;

  /** The topology this command counts among the requests of, or null while it counts nowhere. */
  private Topology countedIn;

  /** When it was last sent ({@link System#nanoTime()}). */
  private long sentAt;

  /** Ended on the old owner to be sent to the new one (true), or because the client left. */
  private boolean moving;

  private boolean abandoned;

  /** When the first {@code CLIENT UNBLOCK} of this end was sent. */
  private long unblockSince;

  /** How the backend is asked to end the command: TIMEOUT, or ERROR for a client's own ERROR. */
  private String unblockReason = "TIMEOUT";

  /** A client's CLIENT UNBLOCK came while the command was not sent yet: sent right after it. */
  private boolean unblockWhenSent;

  /** Whether the client speaks RESP3: its command goes over a RESP3 connection. */
  private final boolean resp3;

  Blocked(
      Worker worker,
      long clientId,
      DeferredReply slot,
      BlockingArgs args,
      int hash,
      byte[][] keys,
      boolean resp3,
      Runnable done) {
    this.worker = worker;
    this.resp3 = resp3;
    this.pool = worker.blocking();
    this.clientId = clientId;
    this.slot = slot;
    this.args = args;
    this.hash = hash;
    this.keys = keys;
    this.done = done;
    this.deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(args.timeoutMillis());
    pool.add(this);
  }

  /** Routes the command by the worker's topology: to the keys' owner, moving the keys first. */
  void route() {
    if (abandoned) {
      finish();
      return;
    }
    if (!worker.ready()) {
      worker.whenReady(this::route);
      return;
    }
    Topology t = worker.topology();
    int owner = t.placement().serverFor(hash);
    if (owner < 0) {
      answerError(Router.NO_BACKEND);
      return;
    }
    Backend target = t.backend(owner);
    conn = pool.acquire(target, resp3);
    if (conn == null) {
      answerError(pool.limitReached(target, ""));
      return;
    }
    state = State.ROUTING;
    worker.begin();
    countedIn = t;
    int before = t.previous() == null ? owner : t.previous().serverFor(hash);
    if (before == owner || before < 0) {
      send();
      return;
    }
    KeyMove.start(
        worker,
        clientId,
        resp3,
        t,
        t.backend(before),
        target,
        keys,
        new Sender() {
          @Override
          public void sendTo(BackendConnection ignored) {
            send();
          }

          @Override
          public void fail(String error) {
            pool.release(conn);
            conn = null;
            answerError(error);
          }

          @Override
          public boolean pinned() {
            return true;
          }
        });
  }

  /** Sends the command on {@link #conn} with the time left. */
  private void send() {
    if (abandoned) {
      pool.release(conn);
      conn = null;
      finish();
      return;
    }
    long timeout = args.timeoutMillis();
    long waitNanos;
    Object[] command;
    if (timeout > 0) {
      long left = deadline - System.nanoTime();
      command = args.commandWithin(TimeUnit.NANOSECONDS.toMillis(left));
      waitNanos = Math.max(0, left);
    } else {
      command = args.command();
      // No timeout (or one the backend refuses at once): a dead backend is found by PING.
      waitNanos = timeout == 0 ? Long.MAX_VALUE / 4 : 0;
    }
    state = State.BLOCKED;
    sentAt = System.nanoTime();
    conn.connection().sendBlocking(command, new Reply(), waitNanos);
    if (unblockWhenSent) {
      unblock();
      return;
    }
    adopted(worker.topology()); // the topology may have changed while the keys moved
  }

  /**
   * The worker adopted {@code next}: ends the command on its backend if the keys' owner changes.
   */
  void adopted(Topology next) {
    if (state != State.BLOCKED) {
      return;
    }
    if (next.placement().serverFor(hash) == conn.backend().id()) {
      if (countedIn != null && countedIn != next) {
        // Not concerned by the change: counted by the new topology, so the drain does not wait.
        worker.end(countedIn);
        worker.begin();
        countedIn = next;
      }
      return;
    }
    moving = true;
    unblock();
  }

  /** The client left: ends the command, putting back what it popped meanwhile. */
  void abandon() {
    if (abandoned) {
      return;
    }
    abandoned = true;
    if (state == State.BLOCKED) {
      unblock();
    }
  }

  /**
   * A client's {@code CLIENT UNBLOCK}: the command ends as if timed out, or with redis-server's
   * UNBLOCKED error when {@code error}; returns whether it was still waiting.
   */
  boolean unblockedByClient(boolean error) {
    if (state == State.DONE || abandoned) {
      return false;
    }
    if (!moving) {
      unblockReason = error ? "ERROR" : "TIMEOUT";
    }
    moving = false; // the reply, timed out or not, is the client's now
    if (state == State.BLOCKED) {
      unblock();
    } else if (state == State.ROUTING) {
      unblockWhenSent = true;
    }
    return true;
  }

  /**
   * Returns the backend the command is blocked on if it was sent before {@code since} ({@link
   * System#nanoTime()}; {@link Long#MAX_VALUE} for any time), else null.
   */
  Backend blockedOn(long since) {
    if ((state != State.BLOCKED && state != State.UNBLOCKING) || conn == null) {
      return null;
    }
    return since == Long.MAX_VALUE || sentAt - since <= 0 ? conn.backend() : null;
  }

  /**
   * Its backend did not answer a PING: closing the connection fails the command with {@code why}.
   */
  void lost(String why) {
    if (conn != null && (state == State.BLOCKED || state == State.UNBLOCKING)) {
      pool.close(conn, why);
    }
  }

  /** Ends the command with an error if its shard failed over since its connection opened. */
  void failedOver() {
    if (conn != null
        && (state == State.BLOCKED || state == State.UNBLOCKING)
        && conn.failedOver()) {
      pool.close(
          conn,
          "ERR ringlb: "
              + conn.backend().describe()
              + " failed over while a command was blocked on its old primary; the outcome of"
              + " the command is unknown");
    }
  }

  private void unblock() {
    state = State.UNBLOCKING;
    unblockSince = System.nanoTime();
    unblockAgain();
  }

  /** Asks the backend to end the command as timed out; again soon if it had not read it yet. */
  private void unblockAgain() {
    if (state != State.UNBLOCKING) {
      return;
    }
    long waited = System.nanoTime() - unblockSince;
    if (waited > worker.upstream().requestTimeoutNanos()) {
      pool.close(
          conn,
          "ERR ringlb: "
              + conn.backend().describe()
              + " did not end a blocked command within "
              + worker.upstream().requestTimeoutMillis()
              + " ms");
      return;
    }
    BlockingPool.Dedicated d = conn;
    if (d.id() < 0) {
      retryUnblock();
      return;
    }
    d.backend()
        .call("CLIENT", "UNBLOCK", Long.toString(d.id()), unblockReason)
        .whenComplete(
            (ended, failure) ->
                worker
                    .loop()
                    .execute(
                        () -> {
                          if (conn == d && !(ended instanceof Long n && n == 1)) {
                            retryUnblock(); // not blocked yet (or its reply is on its way)
                          }
                        }));
  }

  private void retryUnblock() {
    worker.loop().schedule(this::unblockAgain, UNBLOCK_RETRY_MILLIS, TimeUnit.MILLISECONDS);
  }

  /** The reply of the command on its dedicated connection. */
  private final class Reply extends Pending {
    @Override
    void complete(RedisMessage reply) {
      BlockingPool.Dedicated d = conn;
      conn = null;
      if (abandoned) {
        Object value;
        try {
          value = Values.toValue(reply);
        } finally {
          ReferenceCountUtil.release(reply);
        }
        Object[] putBack = args.putBack(value);
        uncount();
        if (putBack == null) {
          pool.release(d);
        } else {
          d.connection().send(putBack, new PutBack(d));
        }
        finish();
        return;
      }
      if (moving && isNull(reply)) {
        // Ended on the old owner before it popped anything: block on the new one.
        ReferenceCountUtil.release(reply);
        moving = false;
        pool.release(d);
        uncount();
        pool.countMoved();
        route();
        return;
      }
      pool.release(d);
      uncount();
      state = State.DONE;
      slot.complete(reply);
      finish();
    }

    @Override
    void fail(String error) {
      BlockingPool.Dedicated d = conn;
      conn = null;
      if (d != null) {
        d.broken();
        pool.release(d);
      }
      uncount();
      if (abandoned) {
        finish();
      } else {
        answerError(error);
      }
    }
  }

  /** Gives the connection back once what the command popped for a client gone is put back. */
  private final class PutBack extends Pending {
    private final BlockingPool.Dedicated d;

    PutBack(BlockingPool.Dedicated d) {
      this.d = d;
    }

    @Override
    void complete(RedisMessage reply) {
      ReferenceCountUtil.release(reply);
      pool.release(d);
    }

    @Override
    void fail(String error) {
      d.broken();
      pool.release(d);
    }
  }

  private static boolean isNull(RedisMessage reply) {
    return (reply instanceof ArrayRedisMessage a && a.isNull())
        || (reply instanceof FullBulkStringRedisMessage b && b.isNull());
  }

  private void uncount() {
    if (countedIn != null) {
      Topology t = countedIn;
      countedIn = null;
      worker.end(t);
    }
  }

  private void answerError(String error) {
    uncount();
    state = State.DONE;
    if (!abandoned) {
      slot.fail(error);
    }
    finish();
  }

  private void finish() {
    uncount();
    state = State.DONE;
    pool.remove(this);
    if (!abandoned) {
      done.run();
    } else {
      slot.fail("ERR ringlb: the client left");
    }
  }
}
