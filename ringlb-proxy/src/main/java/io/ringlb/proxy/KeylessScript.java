package io.ringlb.proxy;

import io.netty.handler.codec.redis.RedisMessage;
import io.ringlb.server.DeferredReply;
import io.ringlb.server.Request;

/**
 * One script given no key (EVAL, EVALSHA, FCALL and their {@code _RO} forms with {@code numkeys}
 * 0), run on the backend at the first position of the ring, on a connection of its own taken from
 * the worker's {@link BlockingPool}, with no request timeout.
 *
 * <p>A script may run as long as it likes: on a connection of its own it holds up no other client,
 * whose commands to that backend meanwhile get redis-server's own BUSY error once the script has
 * run past {@code busy-reply-threshold}, and SCRIPT KILL or FUNCTION KILL (sent to every backend on
 * another connection, {@link FanOut}) can stop it. The client's later requests wait for the
 * script's reply, as redis-server reads none of a client's commands while its script runs. When the
 * client leaves first, the connection is closed; the script itself runs on until it ends or is
 * killed. Event-loop confined.
 */
final class KeylessScript {

  private final Worker worker;
  private final BlockingPool pool;
  private final DeferredReply slot;
  private final Runnable done;
  private BlockingPool.Dedicated conn;
  private boolean abandoned;

  /** A script whose reply goes to {@code slot}; {@code done} runs once it is answered. */
  KeylessScript(Worker worker, DeferredReply slot, Runnable done) {
    this.worker = worker;
    this.pool = worker.blocking();
    this.slot = slot;
    this.done = done;
  }

  /**
   * Returns whether {@code r}, a script command whose key count is at {@code numkeysAt}, names no
   * key.
   */
  static boolean keyless(Request r, int numkeysAt) {
    return numkeysAt > 0 && numkeysAt < r.argc() && r.is(numkeysAt, "0");
  }

  /**
   * Sends {@code r} to the backend at ring position 0 of the worker's topology, over RESP3 when
   * {@code resp3}; {@code write} says whether it may change data (for {@code durability}). When it
   * cannot be sent (no backend, or no connection left under {@code limits.blocking-connections}) it
   * is answered with an error at once.
   */
  void send(Request r, boolean resp3, boolean write) {
    Topology t = worker.topology();
    int owner = t.placement().serverFor(0);
    if (owner < 0) {
      answer(Router.NO_BACKEND);
      return;
    }
    Backend target = t.backend(owner);
    conn = pool.acquire(target, resp3);
    if (conn == null) {
      answer(pool.limitReached(target, " (a script given no key runs on one of its own)"));
      return;
    }
    conn.connection()
        .sendBlocking(FanOut.commandOf(r), new Reply().write(write), Long.MAX_VALUE / 4);
  }

  private void answer(String error) {
    slot.fail(error);
    done.run();
  }

  /** The client left: the connection closes, and the script's reply with it. */
  void abandon() {
    abandoned = true;
    BlockingPool.Dedicated d = conn;
    if (d != null) {
      conn = null;
      pool.close(d, "ERR ringlb: the client left");
    }
  }

  /** The script's reply on its connection. */
  private final class Reply extends Pending {
    @Override
    void complete(RedisMessage reply) {
      BlockingPool.Dedicated d = conn;
      conn = null;
      if (d != null) {
        pool.release(d);
      }
      if (abandoned) {
        io.netty.util.ReferenceCountUtil.release(reply);
        return;
      }
      slot.complete(reply);
      done.run();
    }

    @Override
    void fail(String error) {
      BlockingPool.Dedicated d = conn;
      conn = null;
      if (d != null) {
        d.broken();
        pool.release(d);
      }
      if (!abandoned) {
        answer(error);
      }
    }
  }
}
