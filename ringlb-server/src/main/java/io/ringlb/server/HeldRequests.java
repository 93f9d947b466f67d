package io.ringlb.server;

import io.netty.buffer.ByteBuf;
import java.util.ArrayDeque;

/**
 * The requests of one connection that wait, oldest first, each one's arguments kept until it runs
 * or the connection closes: those its data side held ({@link CommandHandler#HELD}; once one is held
 * every later one is too, in order, until {@link #resume}), and those that wait for the
 * connection's replies to drain ({@link FlowControl}). Event loop only.
 */
final class HeldRequests {

  private ArrayDeque<ByteBuf[]> queue; // made on the first hold
  private boolean holding;
  private long bytes;

  /** Returns whether the data side holds requests: they wait until it resumes. */
  boolean holding() {
    return holding;
  }

  /** Returns whether requests wait, for the data side or otherwise: a new one goes behind them. */
  boolean waiting() {
    return holding || (queue != null && !queue.isEmpty());
  }

  /** Returns how many requests wait. */
  int size() {
    return queue == null ? 0 : queue.size();
  }

  /** Returns the bytes of the arguments of the requests that wait. */
  long bytes() {
    return bytes;
  }

  /**
   * Keeps a request whose arguments the caller retained for it, behind those that wait; it waits
   * for the data side only if the data side holds requests ({@link #putBack} for one it held).
   */
  void add(ByteBuf[] args) {
    if (queue == null) {
      queue = new ArrayDeque<>();
    }
    queue.add(args);
    bytes += size(args);
  }

  /** Keeps a request the data side held ({@link CommandHandler#HELD}): holding begins. */
  void hold(ByteBuf[] args) {
    add(args);
    holding = true;
  }

  /** Puts back at the head a request the data side held when it ran; holding goes on. */
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

  /** Returns the bytes {@code args} hold, each argument's object counted too. */
  private static long size(ByteBuf[] args) {
    long n = 0;
    for (ByteBuf arg : args) {
      n += arg.readableBytes() + 64;
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
