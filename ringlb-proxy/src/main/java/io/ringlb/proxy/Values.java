package io.ringlb.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.redis.ArrayRedisMessage;
import io.netty.handler.codec.redis.ErrorRedisMessage;
import io.netty.handler.codec.redis.FullBulkStringRedisMessage;
import io.netty.handler.codec.redis.IntegerRedisMessage;
import io.netty.handler.codec.redis.RedisMessage;
import io.netty.handler.codec.redis.SimpleStringRedisMessage;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** Conversions between RESP messages and plain values, for the proxy's administrative paths. */
final class Values {

  private Values() {}

  /** An error reply as a value: its text without the leading {@code -}. */
  record Error(String text) {
    boolean busyKey() {
      return text.contains("BUSYKEY");
    }
  }

  /**
   * Returns {@code reply} as plain values: String (simple string), byte[] (bulk, null for nil),
   * Long, List (array), or {@link Error}. Does not release it.
   */
  static Object toValue(RedisMessage reply) {
    if (reply instanceof SimpleStringRedisMessage s) {
      return s.content();
    }
    if (reply instanceof ErrorRedisMessage e) {
      return new Error(e.content());
    }
    if (reply instanceof IntegerRedisMessage i) {
      return i.value();
    }
    if (reply instanceof FullBulkStringRedisMessage b) {
      return b.isNull() ? null : ByteBufUtil.getBytes(b.content());
    }
    if (reply instanceof ArrayRedisMessage a) {
      if (a.isNull()) {
        return null;
      }
      List<Object> out = new ArrayList<>(a.children().size());
      for (RedisMessage child : a.children()) {
        out.add(toValue(child));
      }
      return out;
    }
    return new Error("ERR unexpected reply " + reply.getClass().getSimpleName());
  }

  /**
   * Completes a future with the reply as plain values; fails it with a {@link BackendException}.
   */
  static final class FuturePending extends Pending {
    private final CompletableFuture<Object> future;

    FuturePending(CompletableFuture<Object> future) {
      this.future = future;
    }

    @Override
    void complete(RedisMessage reply) {
      try {
        future.complete(toValue(reply));
      } finally {
        ReferenceCountUtil.release(reply);
      }
    }

    @Override
    void fail(String error) {
      future.completeExceptionally(new BackendException(error));
    }
  }

  /** A backend could not be reached or did not answer in time. */
  static final class BackendException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    BackendException(String message) {
      super(message, null, false, false);
    }
  }

  /** Returns plain values as {@link #toValue} makes them as a reply again; null is a nil bulk. */
  static RedisMessage toMessage(Object value) {
    if (value == null) {
      return FullBulkStringRedisMessage.NULL_INSTANCE;
    }
    if (value instanceof String s) {
      return new SimpleStringRedisMessage(s);
    }
    if (value instanceof Error e) {
      return new ErrorRedisMessage(e.text());
    }
    if (value instanceof Long n) {
      return new IntegerRedisMessage(n);
    }
    if (value instanceof byte[] bytes) {
      return bulk(bytes);
    }
    List<RedisMessage> children = new ArrayList<>();
    for (Object child : (List<?>) value) {
      children.add(toMessage(child));
    }
    return new ArrayRedisMessage(children);
  }

  static FullBulkStringRedisMessage bulk(String text) {
    return new FullBulkStringRedisMessage(
        Unpooled.wrappedBuffer(text.getBytes(StandardCharsets.UTF_8)));
  }

  static FullBulkStringRedisMessage bulk(byte[] bytes) {
    return new FullBulkStringRedisMessage(Unpooled.wrappedBuffer(bytes));
  }

  static String text(ByteBuf buf) {
    return buf.toString(StandardCharsets.UTF_8);
  }
}
