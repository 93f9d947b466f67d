package io.ringlb.server;

import io.netty.handler.codec.redis.ArrayRedisMessage;
import io.netty.handler.codec.redis.RedisMessage;
import java.util.List;

/** A RESP3 set ({@code ~}); a RESP2 connection gets it as an array. */
public final class SetRedisMessage extends ArrayRedisMessage {

  /** A set of {@code members}, which it takes ownership of. */
  public SetRedisMessage(List<RedisMessage> members) {
    super(members);
  }
}
