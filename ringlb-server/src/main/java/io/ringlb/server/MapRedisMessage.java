package io.ringlb.server;

import io.netty.handler.codec.redis.ArrayRedisMessage;
import io.netty.handler.codec.redis.RedisMessage;
import java.util.List;

/**
 * A RESP3 map ({@code %}): its children are keys and values, alternately; a RESP2 connection gets
 * them as the flat array Redis sends in RESP2.
 */
public final class MapRedisMessage extends ArrayRedisMessage {

  /** A map over {@code keysAndValues} (key, value, key, value...), which it takes ownership of. */
  public MapRedisMessage(List<RedisMessage> keysAndValues) {
    super(keysAndValues);
    if (keysAndValues.size() % 2 != 0) {
      throw new IllegalArgumentException(
          "a map needs an even number of children, got " + keysAndValues.size());
    }
  }
}
