package io.ringlb.server;

import io.netty.handler.codec.redis.RedisMessage;

/**
 * One connection's side of the command metrics: which commands are timed (one in {@link
 * #SAMPLE_EVERY}, so that timing costs two clock reads every so many commands rather than every
 * one), and the metrics of the command being dispatched until its reply is known, either at once or
 * in the {@link ReplySlot} it defers to. Event loop only.
 */
final class CommandRecorder {

  /** One command in this many of a connection is timed; the first one always. */
  static final int SAMPLE_EVERY = 16;

  private int untilTimed;
  private CommandStats stats; // the command being dispatched, until answered or deferred
  private long startNanos;

  /** The command {@code entryStats} describes starts; it is timed when its turn has come. */
  void begin(CommandStats entryStats) {
    stats = entryStats;
    if (--untilTimed < 0) {
      untilTimed = SAMPLE_EVERY - 1;
      startNanos = System.nanoTime();
    } else {
      startNanos = 0;
    }
  }

  /**
   * The command's handler returned {@code reply}: counts it unless it was deferred or held (its
   * slot counts it when it is answered; a held command runs again later).
   */
  void end(RedisMessage reply) {
    CommandStats s = stats;
    if (s == null) {
      return;
    }
    stats = null;
    if (reply != CommandHandler.DEFERRED && reply != CommandHandler.HELD) {
      s.answered(reply, startNanos);
    }
  }

  /** The command took a reply slot: the slot counts it once answered. */
  void deferTo(ReplySlot slot) {
    CommandStats s = stats;
    if (s != null) {
      stats = null;
      slot.record(s, startNanos);
    }
  }
}
