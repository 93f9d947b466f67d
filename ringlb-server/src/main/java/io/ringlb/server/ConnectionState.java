package io.ringlb.server;

import io.netty.handler.codec.redis.RedisMessage;

/**
 * What a {@link DataSide} keeps for one client connection (a transaction being queued, watched
 * keys, subscriptions), told of every command before it runs and of the connection's end.
 *
 * <p>Every method runs on the connection's event loop.
 */
public interface ConnectionState {

  /** The state of a data side that keeps none. */
  ConnectionState NONE = new ConnectionState() {};

  /**
   * Sees a command after the front end found it, checked its arity and the client's authentication,
   * and before its handler runs: returns null to let the handler run, or the reply instead (QUEUED
   * inside MULTI, a refusal in subscribed mode, {@link CommandHandler#HELD} to hold it and every
   * later request until {@link Session#resume()}, or {@link CommandHandler#DEFERRED} after taking a
   * slot). The front end's own commands (PING, CLIENT, INFO...) come here too.
   */
  default RedisMessage before(
      CommandSpec spec, CommandHandler handler, Session session, Request request) {
    return null;
  }

  /**
   * A command of this connection was refused before it could run (unknown, wrong arity, not
   * authenticated), as Redis refuses it; a transaction being queued must then fail at EXEC.
   */
  default void refused() {}

  /** The client sent RESET: leave MULTI, forget watched keys and subscriptions. */
  default void reset() {}

  /** Returns the channels this client is subscribed to, as CLIENT LIST's {@code sub}. */
  default int subscriptions() {
    return 0;
  }

  /** Returns the patterns this client is subscribed to, as CLIENT LIST's {@code psub}. */
  default int patternSubscriptions() {
    return 0;
  }

  /** Returns the commands queued since MULTI, or -1 outside a transaction (CLIENT LIST's multi). */
  default int queued() {
    return -1;
  }

  /**
   * {@code CLIENT UNBLOCK}: ends the blocking command this client waits in, as if timed out, or
   * with Redis's UNBLOCKED error when {@code error}; returns whether it was waiting in one.
   */
  default boolean unblock(boolean error) {
    return false;
  }

  /** The connection closed: release what this state holds. */
  default void closed() {}
}
