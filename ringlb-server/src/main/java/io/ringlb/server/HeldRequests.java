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
  private long bytes;

  /** Returns whether requests are being held: a new one must wait behind them. */
  boolean holding() {
    return holding;
  }

  /** Returns how many requests wait. */
  int size() {
    return queue == null ? 0 : queue.size();
  }

  /** Returns the bytes of the arguments of the requests that wait. */
  long bytes() {
    return bytes;
  }

  /** Holds a request whose arguments the caller retained for it, behind those held. */
  void add(ByteBuf[] args) {
    if (queue == null) {
      queue = new ArrayDeque<>();
    }
    queue.add(args);
    bytes += size(args);
    holding = true;
  }

  /** Puts back at the head a request that was held again while it ran; holding goes on. */
  void putBack(ByteBuf[] args) {
    queue.addFirst(args);
    bytes += size(args);
    holding = true;
  }

  /** The data side resumed: the held requests may run, oldest first ({@link #next}). */
  void resume() {
    holding = false;
  }

  /** Returns the oldest held request to run, or null when none waits or holding began again. */
  ByteBuf[] next() {
    ByteBuf[] args = holding || queue == null ? null : queue.poll();
    if (args != null) {
      bytes -= size(args);
    }
    return args;
  }

  /** Releases the arguments of every request still held (the connection closed). */
  void releaseAll() {
    if (queue != null) {
      ByteBuf[] args;
      while ((args = queue.poll()) != null) {
        release(args);
      }
    }
    bytes = 0;
  }

  private static long size(ByteBuf[] args) {
    long n = 0;
    for (ByteBuf arg : args) {
      n += arg.readableBytes();
    }
    return n;
  }

  /** Releases the arguments of a held request that has run. */
  static void release(ByteBuf[] args) {
    for (ByteBuf arg : args) {
      arg.release();
    }
  }
}
