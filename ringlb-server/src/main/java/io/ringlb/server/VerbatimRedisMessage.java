package io.ringlb.server;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.redis.FullBulkStringRedisMessage;
import java.nio.charset.StandardCharsets;

/**
 * A RESP3 verbatim string ({@code =}) of a three-letter format ({@code txt}) and the text, as Redis
 * answers INFO and CLIENT LIST; a RESP2 connection gets the text alone as a bulk string.
 */
public final class VerbatimRedisMessage extends FullBulkStringRedisMessage {

  private final String format;

  /** A verbatim string of {@code format} (three ASCII letters) over {@code content}, owned. */
  public VerbatimRedisMessage(String format, ByteBuf content) {
    super(content);
    if (format.length() != 3
        || format.getBytes(StandardCharsets.US_ASCII).length != 3
        || format.indexOf(':') >= 0) {
      throw new IllegalArgumentException(
          "a verbatim format is three letters, not '" + format + "'");
    }
    this.format = format;
  }

  /** Returns the format, e.g. {@code txt}. */
  public String format() {
    return format;
  }

  @Override
  public VerbatimRedisMessage replace(ByteBuf content) {
    return new VerbatimRedisMessage(format, content);
  }
}
