package io.ringlb.server;

import io.netty.handler.codec.redis.ArrayRedisMessage;
import io.netty.handler.codec.redis.RedisMessage;
import java.util.List;

/**
 * A RESP3 push ({@code >}), data sent outside request and reply (pub/sub messages and their
 * confirmations); a RESP2 connection gets it as an array.
 */
public final class PushRedisMessage extends ArrayRedisMessage {

  /** A push of {@code elements} (the kind first, e.g. {@code message}), which it takes. */
  public PushRedisMessage(List<RedisMessage> elements) {
    super(elements);
  }
}
