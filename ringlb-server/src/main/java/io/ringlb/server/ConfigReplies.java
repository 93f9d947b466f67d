package io.ringlb.server;

import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.redis.RedisMessage;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** CONFIG GET's reply and CONFIG SET's refusals in redis-server's words, for every data side. */
public final class ConfigReplies {

  private ConfigReplies() {}

  /**
   * Returns CONFIG GET's reply: each parameter's name, then its value, in {@code params}' order.
   */
  public static RedisMessage pairs(ByteBufAllocator alloc, Map<String, String> params) {
    List<RedisMessage> out = new ArrayList<>(params.size() * 2);
    params.forEach(
        (name, value) -> {
          out.add(Replies.bulk(alloc, name));
          out.add(Replies.bulk(alloc, value));
        });
    return Replies.map(out);
  }

  /** Returns redis-server's refusal of a parameter it does not know, named as the client did. */
  public static String unknown(String name) {
    return "ERR Unknown option or number of arguments for CONFIG SET - '" + name + "'";
  }

  /** Returns redis-server's refusal of a parameter set only at start. */
  public static String immutable(String name) {
    return failed(name, "can't set immutable config");
  }

  /** Returns redis-server's refusal of a parameter named twice in one CONFIG SET. */
  public static String duplicate(String name) {
    return failed(name, "duplicate parameter");
  }

  /** Returns redis-server's refusal of parameter {@code name}, saying {@code why}. */
  public static String failed(String name, String why) {
    return "ERR CONFIG SET failed (possibly related to argument '" + name + "') - " + why;
  }
}
