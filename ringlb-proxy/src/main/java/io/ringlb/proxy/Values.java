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
import io.ringlb.server.BooleanRedisMessage;
import io.ringlb.server.MapRedisMessage;
import io.ringlb.server.PushRedisMessage;
import io.ringlb.server.SetRedisMessage;
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
   * A RESP3 map (children key, value, key, value...), set or push as a value: a list that remembers
   * which it was, so that {@link #toMessage} gives a RESP3 client the same type back.
   */
  static final class Aggregate extends ArrayList<Object> {
    private static final long serialVersionUID = 1L;

    /** {@code %}, {@code ~} or {@code >}. */
    private final char type;

    Aggregate(char type, int size) {
      super(size);
      this.type = type;
    }

    /** Returns an empty aggregate of the type of {@code like} if it is one, else a plain list. */
    static List<Object> like(Object like, int size) {
      return like instanceof Aggregate a ? new Aggregate(a.type, size) : new ArrayList<>(size);
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Aggregate a && a.type == type && super.equals(o);
    }

    @Override
    public int hashCode() {
      return 31 * super.hashCode() + type;
    }
  }

  /**
   * Returns {@code reply} as plain values: String (simple string), byte[] (bulk, null for nil; a
   * RESP3 double, big number or verbatim string as its text), Long (a RESP3 boolean as 1 or 0),
   * List (array; an {@link Aggregate} for a RESP3 map, set or push), or {@link Error}. Does not
   * release it.
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
      int n = a.children().size();
      List<Object> out =
          a instanceof MapRedisMessage
              ? new Aggregate('%', n)
              : a instanceof SetRedisMessage
                  ? new Aggregate('~', n)
                  : a instanceof PushRedisMessage ? new Aggregate('>', n) : new ArrayList<>(n);
      for (RedisMessage child : a.children()) {
        out.add(toValue(child));
      }
      return out;
    }
    if (reply instanceof BooleanRedisMessage b) {
      return b.value() ? 1L : 0L;
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
    if (value instanceof Aggregate a) {
      return switch (a.type) {
        case '%' -> new MapRedisMessage(children);
        case '~' -> new SetRedisMessage(children);
        default -> new PushRedisMessage(children);
      };
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
