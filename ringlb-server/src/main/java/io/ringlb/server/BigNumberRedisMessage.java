package io.ringlb.server;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.redis.FullBulkStringRedisMessage;

/** A RESP3 big number ({@code (}) holding its digits; a RESP2 connection gets a bulk string. */
public final class BigNumberRedisMessage extends FullBulkStringRedisMessage {

  /** A big number whose digits are {@code content} (ASCII), which it takes ownership of. */
  public BigNumberRedisMessage(ByteBuf content) {
    super(content);
  }

  @Override
  public BigNumberRedisMessage replace(ByteBuf content) {
    return new BigNumberRedisMessage(content);
  }
}
