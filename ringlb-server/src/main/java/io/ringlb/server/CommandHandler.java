package io.ringlb.server;

import io.netty.handler.codec.redis.RedisMessage;

/**
 * Executes one command on the connection's event loop and returns its reply, or {@link #DEFERRED}
 * when the reply will come later.
 *
 * <p>A synchronous handler (the embedded server memories) returns the reply. An asynchronous one (a
 * proxy waiting for a backend) first takes a reply slot with {@link Session#defer()}, starts its
 * work, returns {@link #DEFERRED}, and completes the slot later from any thread; the connection
 * writes replies in request order whatever order slots complete in. The {@link Request} and its
 * buffers are valid only during the call: a handler that answers later copies or retains what it
 * needs. A handler may throw {@link CommandException} to answer with an error.
 */
@FunctionalInterface
public interface CommandHandler {

  /** The marker a handler returns after taking a slot with {@link Session#defer()}. */
  RedisMessage DEFERRED = Marker.DEFERRED;

  /**
   * The marker a handler (or {@link ConnectionState#before}) returns, before doing anything else,
   * to hold the command: the connection keeps it, and every request after it, unexecuted and in
   * order, and runs them again (through the table, as if just received) after {@link
   * Session#resume()}. A proxy holds requests while its topology changes.
   */
  RedisMessage HELD = Marker.HELD;

  /** Executes the command; {@code request.argc() >= 1} and the arity has been checked. */
  RedisMessage execute(Session session, Request request);

  /** The type of {@link #DEFERRED} and {@link #HELD}, never written to a connection. */
  enum Marker implements RedisMessage {
    /** {@link #DEFERRED}. */
    DEFERRED,
    /** {@link #HELD}. */
    HELD
  }
}
