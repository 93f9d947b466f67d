package io.ringlb.server;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.redis.ArrayRedisMessage;
import io.netty.handler.codec.redis.ErrorRedisMessage;
import io.netty.handler.codec.redis.FixedRedisMessagePool;
import io.netty.handler.codec.redis.FullBulkStringRedisMessage;
import io.netty.handler.codec.redis.IntegerRedisMessage;
import io.netty.handler.codec.redis.RedisMessage;
import io.netty.handler.codec.redis.SimpleStringRedisMessage;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Reply messages and the error texts Redis uses, shared by the server and its backends. */
public final class Replies {

  /** {@code ERR syntax error}. */
  public static final String SYNTAX_ERROR = "ERR syntax error";

  /** {@code ERR value is not an integer or out of range}. */
  public static final String NOT_INTEGER = "ERR value is not an integer or out of range";

  /** {@code +OK}. */
  public static final RedisMessage OK = new SimpleStringRedisMessage("OK");

  /** {@code +PONG}. */
  public static final RedisMessage PONG = new SimpleStringRedisMessage("PONG");

  /** The null bulk string {@code $-1}. */
  public static final RedisMessage NULL = FullBulkStringRedisMessage.NULL_INSTANCE;

  /** The empty array {@code *0}. */
  public static final RedisMessage EMPTY_ARRAY = ArrayRedisMessage.EMPTY_INSTANCE;

  /** {@code :0}. */
  public static final RedisMessage ZERO = integer(0);

  /** {@code :1}. */
  public static final RedisMessage ONE = integer(1);

  private Replies() {}

  /** Returns an integer reply, pooled for small values. */
  public static RedisMessage integer(long value) {
    IntegerRedisMessage pooled = FixedRedisMessagePool.INSTANCE.getInteger(value);
    return pooled != null ? pooled : new IntegerRedisMessage(value);
  }

  /** Returns a simple string reply; {@code text} must not contain CR or LF. */
  public static RedisMessage simple(String text) {
    return new SimpleStringRedisMessage(text);
  }

  /**
   * Returns an error reply; {@code text} is the error without the leading {@code -}, e.g. {@code
   * ERR syntax error}. CR and LF become spaces, as Redis does, so the reply stays one line.
   */
  public static RedisMessage error(String text) {
    if (text.indexOf('\r') >= 0 || text.indexOf('\n') >= 0) {
      text = text.replace('\r', ' ').replace('\n', ' ');
    }
    return new ErrorRedisMessage(text);
  }

  /** Returns {@code ERR wrong number of arguments for 'name' command}. */
  public static String wrongArity(String name) {
    return "ERR wrong number of arguments for '" + name + "' command";
  }

  /** Returns a bulk string reply holding a copy of {@code bytes}. */
  public static RedisMessage bulk(ByteBufAllocator alloc, byte[] bytes) {
    return bulk(alloc, bytes, 0, bytes.length);
  }

  /** Returns a bulk string reply holding a copy of a slice of {@code bytes}. */
  public static RedisMessage bulk(ByteBufAllocator alloc, byte[] bytes, int offset, int length) {
    if (length == 0) {
      return FullBulkStringRedisMessage.EMPTY_INSTANCE;
    }
    return new FullBulkStringRedisMessage(alloc.buffer(length).writeBytes(bytes, offset, length));
  }

  /** Returns a bulk string reply holding {@code text} in UTF-8. */
  public static RedisMessage bulk(ByteBufAllocator alloc, String text) {
    if (text.isEmpty()) {
      return FullBulkStringRedisMessage.EMPTY_INSTANCE;
    }
    return new FullBulkStringRedisMessage(ByteBufUtil.writeUtf8(alloc, text));
  }

  /** Returns a bulk string reply over {@code bytes}, which it takes (no copy). */
  public static RedisMessage bulkOf(byte[] bytes) {
    if (bytes.length == 0) {
      return FullBulkStringRedisMessage.EMPTY_INSTANCE;
    }
    return new FullBulkStringRedisMessage(Unpooled.wrappedBuffer(bytes));
  }

  /** Returns a bulk string reply that takes ownership of {@code content}. */
  public static RedisMessage bulk(ByteBuf content) {
    return new FullBulkStringRedisMessage(content);
  }

  /** Returns an array reply that takes ownership of {@code elements}. */
  public static RedisMessage array(List<RedisMessage> elements) {
    return elements.isEmpty() ? EMPTY_ARRAY : new ArrayRedisMessage(elements);
  }

  /** Returns a map reply over keys and values, alternately, taking ownership of them. */
  public static RedisMessage map(List<RedisMessage> keysAndValues) {
    return new MapRedisMessage(keysAndValues);
  }

  /** Returns a map reply of bulk strings holding {@code entries}' names and values in UTF-8. */
  public static RedisMessage map(ByteBufAllocator alloc, Map<String, String> entries) {
    List<RedisMessage> elements = new ArrayList<>(entries.size() * 2);
    entries.forEach(
        (name, value) -> {
          elements.add(bulk(alloc, name));
          elements.add(bulk(alloc, value));
        });
    return new MapRedisMessage(elements);
  }

  /** Returns a push message (pub/sub) over {@code elements}, taking ownership of them. */
  public static RedisMessage push(List<RedisMessage> elements) {
    return new PushRedisMessage(elements);
  }

  /**
   * Returns a verbatim text reply holding {@code text} in UTF-8 (INFO, CLIENT LIST): a bulk string
   * in RESP2, {@code =...txt:} in RESP3.
   */
  public static RedisMessage verbatim(ByteBufAllocator alloc, String text) {
    return new VerbatimRedisMessage("txt", ByteBufUtil.writeUtf8(alloc, text));
  }

  /** Returns an array reply of bulk strings holding {@code texts} in UTF-8. */
  public static RedisMessage array(ByteBufAllocator alloc, List<String> texts) {
    RedisMessage[] elements = new RedisMessage[texts.size()];
    for (int i = 0; i < elements.length; i++) {
      elements[i] = bulk(alloc, texts.get(i));
    }
    return array(List.of(elements));
  }
}
