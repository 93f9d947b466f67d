package io.ringlb.server.proxy;

import io.netty.handler.codec.redis.RedisMessage;

/**
 * A request sent to a backend and waiting for its reply, in the FIFO of one backend connection.
 *
 * <p>Exactly one of {@link #complete} or {@link #fail} is called, on the event loop of the
 * connection.
 */
abstract class Pending {

  /** When the reply is overdue, in {@link System#nanoTime()} units. */
  long deadline;

  /** Receives the reply and takes ownership of it (releases it or passes it on). */
  abstract void complete(RedisMessage reply);

  /** Receives a failure: {@code error} is an error text without the leading {@code -}. */
  abstract void fail(String error);
}
