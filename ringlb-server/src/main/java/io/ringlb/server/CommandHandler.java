package io.ringlb.server;

import io.netty.handler.codec.redis.RedisMessage;

/**
 * Executes one command on the connection's event loop and returns its reply, or {@link #DEFERRED}
 * when the reply will come later.
 *
 * <p>A synchronous handler (the embedded server memories) returns the reply. An asynchronous one
 * (a proxy waiting for a backend) first takes a reply slot with {@link Session#defer()}, starts its
 * work, returns {@link #DEFERRED}, and completes the slot later from any thread; the connection
 * writes replies in request order whatever order slots complete in. The {@link Request} and its
 * buffers are valid only during the call: a handler that answers later copies or retains what it
 * needs. A handler may throw {@link CommandException} to answer with an error.
 */
@FunctionalInterface
public interface CommandHandler {

  /** The marker a handler returns after taking a slot with {@link Session#defer()}. */
  RedisMessage DEFERRED = Deferred.INSTANCE;

  /** Executes the command; {@code request.argc() >= 1} and the arity has been checked. */
  RedisMessage execute(Session session, Request request);

  /** The type of {@link #DEFERRED}, never written to a connection. */
  enum Deferred implements RedisMessage {
    INSTANCE
  }
}
