package io.ringlb.server;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.redis.FullBulkStringRedisMessage;
import java.nio.charset.StandardCharsets;

/**
 * A RESP3 double ({@code ,}) holding the number's text as Redis writes it ({@code 1.5}, {@code
 * inf}); a RESP2 connection gets that text as a bulk string.
 */
public final class DoubleRedisMessage extends FullBulkStringRedisMessage {

  /** A double whose text is {@code content} (ASCII), which it takes ownership of. */
  public DoubleRedisMessage(ByteBuf content) {
    super(content);
  }

  /** A double whose text is {@code text}. */
  public static DoubleRedisMessage of(String text) {
    return new DoubleRedisMessage(Unpooled.copiedBuffer(text, StandardCharsets.US_ASCII));
  }

  @Override
  public DoubleRedisMessage replace(ByteBuf content) {
    return new DoubleRedisMessage(content);
  }
}
