package io.ringlb.server;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.DefaultByteBufHolder;
import io.netty.handler.codec.redis.RedisMessage;

/** A reply a handler has already encoded in RESP; the connection copies it out as it is. */
final class EncodedReply extends DefaultByteBufHolder implements RedisMessage {

  EncodedReply(ByteBuf frame) {
    super(frame);
  }
}
