package io.ringlb.proxy;

import io.netty.handler.codec.redis.ErrorRedisMessage;
import io.netty.handler.codec.redis.RedisMessage;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import io.ringlb.server.DeferredReply;
import io.ringlb.server.Request;
import java.util.concurrent.TimeUnit;

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
 * killed.
 *
 * <p>A script that runs on past {@value #PROBE_AFTER_MS} ms has its backend asked, with a PING on
 * another connection, whether it is busy: once the backend answers BUSY, the whole proxy is busy
 * ({@link BusyScripts}) until the script's reply comes, or, when the client left, until a PING is
 * answered again. Event-loop confined.
 */
final class KeylessScript {

  /** How long a script runs before its backend is asked whether it is busy. */
  static final long PROBE_AFTER_MS = 10;

  /** The longest wait before the backend is asked again, after a PING that failed. */
  private static final long PROBE_MAX_MS = 1000;

  /** How often the backend is asked whether the script still runs, once its client left. */
  private static final long ABANDONED_PROBE_MS = 100;

  private final Worker worker;
  private final BlockingPool pool;
  private final DeferredReply slot;
  private final Runnable done;
  private BlockingPool.Dedicated conn;
  private boolean abandoned;

  /** The backend the script runs on. */
  private Backend target;

  /** The script may still run on its backend: its reply has not come. */
  private boolean running;

  /** Counted as busy in {@link BusyScripts}. */
  private boolean busy;

  private long probeDelay = PROBE_AFTER_MS;
  private ScheduledFuture<?> probeTimer;

  /** A PING is on its way. */
  private boolean probing;

  /** A script whose reply goes to {@code slot}; {@code done} runs once it is answered. */
  KeylessScript(Worker worker, DeferredReply slot, Runnable done) {
    this.worker = worker;
    this.pool = worker.blocking();
    this.slot = slot;
    this.done = done;
  }

  /**
   * Returns whether {@code r} of {@code command} is a script (EVAL, EVALSHA, FCALL or one of their
   * {@code _RO} forms) given no key.
   */
  static boolean keyless(ProxyCommand command, Request r) {
    String name = command.name();
    if (!name.startsWith("eval") && !name.startsWith("fcall")) {
      return false;
    }
    int numkeysAt = command.keys().numkeys();
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
    target = t.backend(owner);
    conn = pool.acquire(target, resp3);
    if (conn == null) {
      answer(pool.limitReached(target, " (a script given no key runs on one of its own)"));
      return;
    }
    running = true;
    conn.connection()
        .sendBlocking(FanOut.commandOf(r), new Reply().write(write), Long.MAX_VALUE / 4);
    probeLater(PROBE_AFTER_MS);
  }

  private void probeLater(long millis) {
    probeTimer = worker.loop().schedule(this::probe, millis, TimeUnit.MILLISECONDS);
  }

  /** Asks the script's backend, on a connection of the pool, whether it is busy. */
  private void probe() {
    probeTimer = null;
    if (!running) {
      return;
    }
    BlockingPool.Dedicated d = pool.tryAcquire(target, false); // none left: not a refusal
    if (d == null) {
      probeAgain();
      return;
    }
    probing = true;
    d.connection().sendBlocking(new Object[] {"PING"}, new Probe(d), Long.MAX_VALUE / 4);
  }

  /** The last PING failed: asked again later, less often each time. */
  private void probeAgain() {
    probeDelay = Math.min(PROBE_MAX_MS, probeDelay * 2);
    probeLater(probeDelay);
  }

  /** The script ended, or its client left and a PING says it no longer runs. */
  private void ended() {
    running = false;
    if (probeTimer != null) {
      probeTimer.cancel(false);
      probeTimer = null;
    }
    if (busy) {
      busy = false;
      worker.busyScripts().ended();
    }
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
    // The script runs on: no reply will say when it ends, the PINGs will.
    if (running && probeTimer == null && !probing) {
      probeLater(ABANDONED_PROBE_MS);
    }
  }

  /** The answer to a PING asking whether the script's backend is busy. */
  private final class Probe extends Pending {
    private final BlockingPool.Dedicated d;

    Probe(BlockingPool.Dedicated d) {
      this.d = d;
    }

    @Override
    void complete(RedisMessage reply) {
      probing = false;
      pool.release(d);
      String error = reply instanceof ErrorRedisMessage e ? e.content() : null;
      ReferenceCountUtil.release(reply);
      if (!running) {
        return;
      }
      if (error != null && error.startsWith("BUSY")) {
        if (!busy) {
          busy = true;
          worker.busyScripts().started(error);
        }
        if (abandoned) {
          probeLater(ABANDONED_PROBE_MS);
        }
      } else if (error != null) {
        probeAgain();
      } else if (abandoned) {
        ended();
      } else {
        // Answered before the script started or after it ended, its reply still on the way.
        probeLater(PROBE_AFTER_MS);
      }
    }

    @Override
    void fail(String error) {
      probing = false;
      d.broken();
      pool.release(d);
      if (running) {
        probeAgain();
      }
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
        ReferenceCountUtil.release(reply);
        return;
      }
      ended();
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
        ended();
        answer(error);
      }
    }
  }
}
