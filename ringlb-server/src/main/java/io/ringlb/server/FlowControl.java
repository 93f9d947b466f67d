package io.ringlb.server;

import io.netty.channel.Channel;

/**
 * When one connection's requests must wait and when the connection stops being read.
 *
 * <p>A new request waits (it is held, in order, behind any already waiting) while {@value
 * #MAX_PENDING} of the connection's replies are outstanding, or while the client leaves more than
 * {@link ServerConfig#UNREAD_BEFORE_WAITING} bytes of replies unread: a client that does not read
 * does not make the server run, or the proxy fetch from its backends, what it would only hold.
 * Reading pauses while {@value #MAX_PENDING} replies are outstanding (they complete whatever the
 * client does) or {@value #MAX_PENDING} requests wait on the data side, but never because the
 * client does not read: a client that writes a whole pipeline before reading any reply (Jedis)
 * would wait for the server to read, and the server for it to read. Its waiting requests count in
 * its memory instead ({@link ClientMemory}). Event loop only.
 */
final class FlowControl {

  /** Outstanding replies, and requests waiting, past which reading pauses. */
  static final int MAX_PENDING = 1024;

  private final Channel channel;
  private final ClientMemory.Account memory;
  private boolean paused;
  private boolean notReading; // as of the last check(): plain, read for every request

  FlowControl(Channel channel, ClientMemory.Account memory) {
    this.channel = channel;
    this.memory = memory;
  }

  /** Returns whether a new request must wait, with {@code outstanding} replies outstanding. */
  boolean mustWait(int outstanding) {
    return outstanding >= MAX_PENDING || notReading;
  }

  /**
   * Checks whether the client leaves more than the threshold of its replies unread; called when its
   * socket is not writable after a write, and when writability changes or a flush ends.
   */
  void check() {
    notReading = !channel.isWritable() && memory.output() > ServerConfig.UNREAD_BEFORE_WAITING;
  }

  /** Pauses reading when too many replies are outstanding or too many requests wait. */
  void pauseIfFull(int outstanding, int waiting) {
    if (!paused && (outstanding >= MAX_PENDING || (waiting >= MAX_PENDING && !notReading))) {
      paused = true;
      channel.config().setAutoRead(false);
    }
  }

  /** Resumes reading once few enough are outstanding and waiting, or the client does not read. */
  void resumeIfRoom(int outstanding, int waiting) {
    if (paused && outstanding < MAX_PENDING / 2 && (waiting < MAX_PENDING / 2 || notReading)) {
      paused = false;
      channel.config().setAutoRead(true);
    }
  }
}
