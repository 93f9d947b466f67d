package io.ringlb.server;

import io.netty.buffer.ByteBuf;
import java.util.ArrayDeque;

/**
 * The requests of one connection that its data side held ({@link CommandHandler#HELD}), oldest
 * first, each one's arguments retained until it runs or the connection closes. Once one request is
 * held every later one is too, in order, until {@link #resume}. Event loop only.
 */
final class HeldRequests {

  private ArrayDeque<ByteBuf[]> queue; // made on the first hold
  private boolean holding;

  /** Returns whether requests are being held: a new one must wait behind them. */
  boolean holding() {
    return holding;
  }

  /** Returns how many requests wait. */
  int size() {
    return queue == null ? 0 : queue.size();
  }

  /** Holds a request whose arguments the caller retained for it, behind those held. */
  void add(ByteBuf[] args) {
    if (queue == null) {
      queue = new ArrayDeque<>();
    }
    queue.add(args);
    holding = true;
  }

  /** Puts back at the head a request that was held again while it ran; holding goes on. */
  void putBack(ByteBuf[] args) {
    queue.addFirst(args);
    holding = true;
  }

  /** The data side resumed: the held requests may run, oldest first ({@link #next}). */
  void resume() {
    holding = false;
  }

  /** Returns the oldest held request to run, or null when none waits or holding began again. */
  ByteBuf[] next() {
    return holding || queue == null ? null : queue.poll();
  }

  /** Releases the arguments of every request still held (the connection closed). */
  void releaseAll() {
    if (queue != null) {
      ByteBuf[] args;
      while ((args = queue.poll()) != null) {
        release(args);
      }
    }
  }

  /** Releases the arguments of a held request that has run. */
  static void release(ByteBuf[] args) {
    for (ByteBuf arg : args) {
      arg.release();
    }
  }
}
