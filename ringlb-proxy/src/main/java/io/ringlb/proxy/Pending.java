package io.ringlb.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.redis.RedisMessage;

/**
 * A request sent to a backend and waiting for its reply, in the FIFO of one backend connection.
 *
 * <p>Exactly one of {@link #complete}, {@link #completeRaw} or {@link #fail} is called, on the
 * event loop of the connection. A pending that wants the reply's bytes as they came (to pass them
 * on to a client unchanged) says so with {@link #raw()}; the others get a decoded message.
 */
abstract class Pending {

  /** When the reply is overdue, in {@link System#nanoTime()} units. */
  private long deadline;

  /** Where the request's bytes end in its connection's unsent buffer, while not yet connected. */
  private int end;

  /** Returns when the reply is overdue, in {@link System#nanoTime()} units. */
  final long deadline() {
    return deadline;
  }

  /** Sets when the reply is overdue; the connection does as it queues the request. */
  final void deadline(long nanos) {
    deadline = nanos;
  }

  /** Returns where the request's bytes end in the connection's unsent buffer. */
  final int end() {
    return end;
  }

  /** Records where the request's bytes end in the connection's unsent buffer. */
  final void end(int index) {
    end = index;
  }

  /** Returns whether the reply is wanted as RESP bytes rather than as a decoded message. */
  boolean raw() {
    return false;
  }

  /** Receives the reply's RESP bytes; they are valid only during the call and not owned. */
  void completeRaw(ByteBuf reply) {
    throw new UnsupportedOperationException();
  }

  /** Receives the reply and takes ownership of it (releases it or passes it on). */
  abstract void complete(RedisMessage reply);

  /** Receives a failure: {@code error} is an error text without the leading {@code -}. */
  abstract void fail(String error);
}
