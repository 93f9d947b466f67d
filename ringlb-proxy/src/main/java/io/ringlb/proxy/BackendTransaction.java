package io.ringlb.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.redis.ErrorRedisMessage;
import io.netty.handler.codec.redis.RedisMessage;
import io.netty.util.ReferenceCountUtil;
import io.ringlb.server.Replies;
import java.nio.charset.StandardCharsets;

/**
 * A client's transaction on its backend: MULTI, the queued commands and EXEC (or DISCARD) on one
 * connection that no other command can cut into.
 *
 * <p>Opened as soon as the transaction's backend is known ({@link #open}), on a connection no other
 * client uses meanwhile (the client's WATCH connection to that backend, or one of the worker's
 * {@link BlockingPool} until EXEC or DISCARD answered), it sends each command as the client queues
 * it, so that redis-server checks it when it would check it without the proxy: a command refused
 * for memory ({@code maxmemory}), for a busy script or for its arguments is refused at once, and a
 * transaction of reads queued before the backend ran out of memory still runs. Opened on a pooled
 * connection at EXEC ({@link #block}), it sends the whole transaction in one write. Either way a
 * command the client was told QUEUED but the backend refused makes EXEC's EXECABORT name the
 * backend's error, as Redis names the error that aborts a transaction at EXEC. Event-loop confined.
 */
final class BackendTransaction {

  /** MULTI and EXEC in RESP form. */
  static final byte[] MULTI = "*1\r\n$5\r\nMULTI\r\n".getBytes(StandardCharsets.US_ASCII);

  static final byte[] EXEC = "*1\r\n$4\r\nEXEC\r\n".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] DISCARD =
      "*1\r\n$7\r\nDISCARD\r\n".getBytes(StandardCharsets.US_ASCII);

  private final BackendConnection connection;

  /** The pool's connection this transaction holds until EXEC or DISCARD answered; or null. */
  private final BlockingPool.Dedicated dedicated;

  private final BlockingPool pool;

  /** The connection's {@link BackendConnection#drops} when MULTI was sent. */
  private final int drops;

  private final Topology topology;
  private final Backend backend;

  /** The client's commands sent, MULTI aside. */
  private int sent;

  /** The first error of a command the client was told QUEUED for; null while none. */
  private String hiddenError;

  /** A command was answered with an error the client saw: EXEC answers EXECABORT. */
  private boolean refused;

  private boolean ended;

  private BackendTransaction(
      BackendConnection connection,
      BlockingPool.Dedicated dedicated,
      BlockingPool pool,
      Topology topology,
      Backend backend) {
    this.connection = connection;
    this.dedicated = dedicated;
    this.pool = pool;
    this.drops = connection.drops();
    this.topology = topology;
    this.backend = backend;
    connection.sendEncoded(Unpooled.wrappedBuffer(MULTI), new Queued(null));
  }

  /**
   * Opens a transaction on {@code backend} under {@code t}: on {@code watch}, the client's WATCH
   * connection to it, when not null, else on a connection of the worker's pool. Returns null when
   * the pool has no connection left under {@code limits.blocking-connections}: the transaction is
   * then sent whole at EXEC.
   */
  static BackendTransaction open(
      Worker worker, Topology t, Backend backend, BackendConnection watch, boolean resp3) {
    BlockingPool pool = worker.blocking();
    if (watch != null) {
      return new BackendTransaction(watch, null, pool, t, backend);
    }
    BlockingPool.Dedicated d = pool.tryAcquire(backend, resp3);
    return d == null ? null : new BackendTransaction(d.connection(), d, pool, t, backend);
  }

  /** Starts a transaction on {@code to}, {@code backend}'s connection, that EXEC ends at once. */
  static BackendTransaction block(BackendConnection to, Topology t, Backend backend) {
    return new BackendTransaction(to, null, null, t, backend);
  }

  /** Returns the topology the transaction was opened under. */
  Topology topology() {
    return topology;
  }

  /** Returns the backend the transaction runs on. */
  Backend backend() {
    return backend;
  }

  /**
   * Returns whether the connection was lost since MULTI: the backend dropped the transaction with
   * it, and nothing more may be sent, as it would run outside MULTI on the next connection.
   */
  boolean lost() {
    return connection.drops() != drops;
  }

  /** Returns how many of the client's commands were sent. */
  int sent() {
    return sent;
  }

  /** Sends {@code command} (RESP, not released); its reply goes to {@code reply}. */
  void send(ByteBuf command, Pending reply) {
    sent++;
    connection.sendEncoded(command, new Seen(reply));
  }

  /** Sends {@code command} (RESP, not released), the client having been told QUEUED for it. */
  void sendQueued(ByteBuf command) {
    sent++;
    connection.sendEncoded(command, new Queued(null));
  }

  /** Returns whether the client saw a command of the transaction refused. */
  boolean refused() {
    return refused;
  }

  /** Sends EXEC; its reply goes to {@code reply}, and the pool's connection back after it. */
  void exec(Pending reply) {
    ended = true;
    connection.sendEncoded(Unpooled.wrappedBuffer(EXEC), new Exec(reply).write(reply.write()));
  }

  /**
   * Sends DISCARD, unless the connection was lost (and the transaction with it); the pool's
   * connection goes back once it is answered.
   */
  void discard() {
    if (ended) {
      return;
    }
    ended = true;
    if (lost()) {
      giveBack();
    } else {
      connection.sendEncoded(Unpooled.wrappedBuffer(DISCARD), new Queued(this::giveBack));
    }
  }

  /** The client left: the pool's connection closes, with the transaction. */
  void abandon() {
    ended = true;
    if (dedicated != null) {
      pool.close(dedicated, "ERR ringlb: the client left");
    }
  }

  /** Gives the pool's connection back, closed when it was lost meanwhile. */
  private void giveBack() {
    if (dedicated != null) {
      if (lost()) {
        dedicated.broken();
      }
      pool.release(dedicated);
    }
  }

  private static boolean isError(ByteBuf reply) {
    byte type = reply.getByte(reply.readerIndex());
    return type == '-' || type == '!';
  }

  /** The reply of a command the client was told QUEUED for (or of MULTI, or of DISCARD). */
  private final class Queued extends Pending {
    private final Runnable then;

    Queued(Runnable then) {
      this.then = then;
    }

    @Override
    void complete(RedisMessage reply) {
      if (reply instanceof ErrorRedisMessage e && hiddenError == null) {
        hiddenError = e.content();
      }
      ReferenceCountUtil.release(reply);
      if (then != null) {
        then.run();
      }
    }

    @Override
    void fail(String error) {
      if (hiddenError == null) {
        hiddenError = error;
      }
      if (then != null) {
        then.run();
      }
    }
  }

  /** The reply of a command that goes to the client as it is. */
  private final class Seen extends Pending {
    private final Pending reply;

    Seen(Pending reply) {
      this.reply = reply;
      write(reply.write());
    }

    @Override
    boolean raw() {
      return reply.raw();
    }

    @Override
    void completeRaw(ByteBuf bytes) {
      refused |= isError(bytes);
      reply.completeRaw(bytes);
    }

    @Override
    void complete(RedisMessage message) {
      refused |= message instanceof ErrorRedisMessage;
      reply.complete(message);
    }

    @Override
    void fail(String error) {
      refused = true;
      reply.fail(error);
    }
  }

  /**
   * EXEC's reply, passed on; an EXECABORT after a command the client was told QUEUED for was
   * refused names that command's error, as Redis does when it aborts a transaction at EXEC.
   */
  private final class Exec extends Pending {
    private final Pending reply;

    Exec(Pending reply) {
      this.reply = reply;
    }

    @Override
    boolean raw() {
      return hiddenError == null && reply.raw();
    }

    // The connection goes back after the reply was passed on: closing it (the pool keeps few
    // idle) would free the bytes of a raw reply.

    @Override
    void completeRaw(ByteBuf bytes) {
      reply.completeRaw(bytes);
      giveBack();
    }

    @Override
    void complete(RedisMessage message) {
      if (hiddenError != null
          && message instanceof ErrorRedisMessage e
          && e.content().startsWith("EXECABORT")) {
        ReferenceCountUtil.release(message);
        String cause = hiddenError.startsWith("-") ? hiddenError.substring(1) : hiddenError;
        reply.complete(Replies.error("EXECABORT Transaction discarded because of: " + cause));
      } else {
        reply.complete(message);
      }
      giveBack();
    }

    @Override
    void fail(String error) {
      reply.fail(error);
      giveBack();
    }
  }
}
