package io.ringlb.server;

import io.netty.handler.codec.redis.RedisMessage;

/**
 * A RESP3 boolean ({@code #t}, {@code #f}); a RESP2 connection gets {@code :1} or {@code :0}. It
 * may be a reply or an element of one of the RESP3 aggregates, not of a plain array.
 */
public enum BooleanRedisMessage implements RedisMessage {
  /** {@code #f}. */
  FALSE,
  /** {@code #t}. */
  TRUE;

  /** Returns {@link #TRUE} or {@link #FALSE}. */
  public static BooleanRedisMessage of(boolean value) {
    return value ? TRUE : FALSE;
  }

  /** Returns the value. */
  public boolean value() {
    return this == TRUE;
  }
}
