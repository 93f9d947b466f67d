package io.ringlb.proxy;

import io.netty.handler.codec.redis.ArrayRedisMessage;
import io.netty.handler.codec.redis.ErrorRedisMessage;
import io.netty.handler.codec.redis.RedisMessage;
import io.ringlb.server.Replies;
import io.ringlb.server.Request;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * KEYS and RANDOMKEY through the proxy, over every backend holding keys.
 *
 * <p>KEYS asks the backends one after the other in SCAN's order (a backend keys leave before one
 * they go to, see {@link ProxyScan}), so a key that a migration moves while KEYS runs is found on
 * one side or the other, and listed once. RANDOMKEY asks every backend and picks one of the keys
 * they name: a key of a random backend holding keys, not one drawn evenly from all keys.
 */
final class ProxyKeys {

  private ProxyKeys() {}

  /** KEYS pattern: the keys of every backend that match, each once. */
  static RedisMessage keys(FanOut fanOut, Request r) {
    Topology t = fanOut.topology();
    Backend[] order = ProxyScan.order(t);
    return fanOut.sendInTurn(
        order,
        FanOut.commandOf(r),
        (backends, replies) -> {
          Set<ByteBuffer> seen = new LinkedHashSet<>();
          for (Object v : replies) {
            if (v instanceof Values.Error e) {
              return new ErrorRedisMessage(e.text());
            }
            for (Object key : (List<?>) v) {
              seen.add(ByteBuffer.wrap((byte[]) key));
            }
          }
          List<RedisMessage> out = new ArrayList<>(seen.size());
          for (ByteBuffer key : seen) {
            out.add(Values.bulk(key.array()));
          }
          return out.isEmpty() ? ArrayRedisMessage.EMPTY_INSTANCE : new ArrayRedisMessage(out);
        });
  }

  /** RANDOMKEY: a key one of the backends holding keys names; nil when none holds a key. */
  static RedisMessage randomKey(FanOut fanOut, Request r) {
    Backend[] all = FanOut.dataBackends(fanOut.topology());
    if (all.length == 0) {
      return Replies.error(Router.NO_BACKEND);
    }
    return fanOut.send(
        all,
        FanOut.commandOf(r),
        (backends, replies) -> {
          List<byte[]> keys = new ArrayList<>();
          Values.Error failure = null;
          for (Object v : replies) {
            if (v instanceof Values.Error e) {
              failure = e;
            } else if (v instanceof byte[] key) {
              keys.add(key);
            }
          }
          if (!keys.isEmpty()) {
            return Values.bulk(keys.get(ThreadLocalRandom.current().nextInt(keys.size())));
          }
          // No key found: nil only when every backend answered that it holds none.
          return failure != null ? new ErrorRedisMessage(failure.text()) : Replies.NULL;
        });
  }
}
