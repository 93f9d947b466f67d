package io.ringlb.proxy;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.redis.ArrayRedisMessage;
import io.netty.handler.codec.redis.RedisMessage;
import io.netty.util.ReferenceCountUtil;
import java.util.List;

/**
 * EXEC's reply of a transaction that writes nothing and WATCHed keys on other backends than its own
 * ({@link Watches}): once it ran, each of those backends runs an empty MULTI/EXEC on the client's
 * connection there, and EXEC answers nil when one of them says a watched key changed.
 *
 * <p>The transaction's reads ran at the moment its backend ran EXEC, and each other backend's check
 * comes later: when none of them saw a watched key change up to its check, none changed up to that
 * moment, so the reply is what one redis-server holding every key would have answered. A check that
 * fails (its connection lost) answers nil too, as a change cannot be ruled out. Event-loop
 * confined.
 */
final class WatchChecks extends Pending {

  private final Pending reply;
  private final List<BackendConnection> others;
  private RedisMessage result;
  private int left;
  private boolean changed;

  /**
   * Checks the watches on {@code others} once the transaction answered, then answers {@code reply}.
   */
  WatchChecks(Pending reply, List<BackendConnection> others) {
    this.reply = reply;
    this.others = others;
  }

  @Override
  void complete(RedisMessage exec) {
    if (!(exec instanceof ArrayRedisMessage array) || array.isNull()) {
      // Not run (nil: a key watched there changed; or an error): the others only drop theirs.
      for (BackendConnection c : others) {
        c.sendEncoded(Unpooled.wrappedBuffer(Watches.UNWATCH), new Watches.Discarded());
      }
      reply.complete(exec);
      return;
    }
    result = exec;
    left = others.size();
    for (BackendConnection c : others) {
      c.sendEncoded(Unpooled.wrappedBuffer(BackendTransaction.MULTI), new Watches.Discarded());
      c.sendEncoded(Unpooled.wrappedBuffer(BackendTransaction.EXEC), new Check());
    }
  }

  @Override
  void fail(String error) {
    for (BackendConnection c : others) {
      c.sendEncoded(Unpooled.wrappedBuffer(Watches.UNWATCH), new Watches.Discarded());
    }
    reply.fail(error);
  }

  private void checked(boolean unchanged) {
    changed |= !unchanged;
    if (--left > 0) {
      return;
    }
    if (changed) {
      ReferenceCountUtil.release(result);
      reply.complete(ArrayRedisMessage.NULL_INSTANCE);
    } else {
      reply.complete(result);
    }
  }

  /** One backend's empty EXEC: an empty array when its watched keys did not change. */
  private final class Check extends Pending {
    @Override
    void complete(RedisMessage message) {
      boolean unchanged = message instanceof ArrayRedisMessage a && !a.isNull();
      ReferenceCountUtil.release(message);
      checked(unchanged);
    }

    @Override
    void fail(String error) {
      checked(false);
    }
  }
}
