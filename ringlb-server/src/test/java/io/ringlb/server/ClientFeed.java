package io.ringlb.server;

import io.netty.buffer.ByteBuf;

/**
 * One client connection of the front end that {@link SplitFramesContract} feeds read by read: each
 * {@link #read} is one read of the connection's pipeline, as a socket read would be.
 */
interface ClientFeed {

  /** Returns whether the server has not closed the connection (as far as it is known yet). */
  boolean isOpen();

  /** Has the connection read {@code bytes} as one read; takes them. */
  void read(ByteBuf bytes);

  /**
   * Returns what the server wrote, as ISO-8859-1 text with {@code <closed>} appended if it closed
   * the connection, once {@code bytes} bytes are written (and, when {@code closes}, the connection
   * closed) or a bounded wait is over.
   */
  String replies(int bytes, boolean closes);

  /** Ends the connection; returns once the server side has released what it held. */
  void close();
}
