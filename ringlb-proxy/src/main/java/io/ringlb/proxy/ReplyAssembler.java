package io.ringlb.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.redis.ArrayHeaderRedisMessage;
import io.netty.handler.codec.redis.ArrayRedisMessage;
import io.netty.handler.codec.redis.BulkStringHeaderRedisMessage;
import io.netty.handler.codec.redis.BulkStringRedisContent;
import io.netty.handler.codec.redis.ErrorRedisMessage;
import io.netty.handler.codec.redis.FullBulkStringRedisMessage;
import io.netty.handler.codec.redis.IntegerRedisMessage;
import io.netty.handler.codec.redis.LastBulkStringRedisContent;
import io.netty.handler.codec.redis.RedisCodecException;
import io.netty.handler.codec.redis.RedisMessage;
import io.netty.handler.codec.redis.SimpleStringRedisMessage;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Assembles the pieces {@code RedisDecoder} emits for a backend's reply (headers, bulk string
 * chunks, nested arrays) into either the reply's RESP bytes, for passing on to a client, or a
 * decoded message, for the proxy's own use — without the composite buffers of the generic
 * aggregators.
 */
final class ReplyAssembler {

  private final ByteBuf bytes;
  private boolean raw;
  private boolean started;
  private int depth;
  private long[] remaining = new long[4];

  @SuppressWarnings("unchecked") // no array of List<RedisMessage> can be created directly
  private List<RedisMessage>[] lists = (List<RedisMessage>[]) new List<?>[4];

  private ByteBuf bulk;
  private RedisMessage message;

  ReplyAssembler(ByteBuf scratch) {
    this.bytes = scratch;
  }

  /**
   * Feeds one decoded piece (not released here); returns true when it completes a reply, which is
   * then in {@link #bytes()} (raw) or {@link #message()}.
   */
  boolean feed(Object piece, boolean wantRaw) {
    if (!started) {
      started = true;
      raw = wantRaw;
      bytes.clear();
      message = null;
    }
    return raw ? feedRaw(piece) : feedMessage(piece);
  }

  ByteBuf bytes() {
    return bytes;
  }

  /** Returns the decoded reply and forgets it (the caller owns it). */
  RedisMessage message() {
    RedisMessage m = message;
    message = null;
    return m;
  }

  /** Forgets a partial reply, after the connection failed. */
  void reset() {
    started = false;
    depth = 0;
    Arrays.fill(lists, null);
    if (bulk != null) {
      bulk.release();
      bulk = null;
    }
    bytes.clear();
    message = null;
  }

  private boolean feedRaw(Object piece) {
    if (piece instanceof FullBulkStringRedisMessage full) {
      Resp.write(bytes, full);
      return elementDone();
    }
    if (piece instanceof BulkStringRedisContent content) {
      bytes.writeBytes(
          content.content(), content.content().readerIndex(), content.content().readableBytes());
      if (piece instanceof LastBulkStringRedisContent) {
        bytes.writeByte('\r').writeByte('\n');
        return elementDone();
      }
      return false;
    }
    if (piece instanceof BulkStringHeaderRedisMessage header) {
      Resp.writeHeader(bytes, '$', header.bulkStringLength());
      return false;
    }
    if (piece instanceof ArrayHeaderRedisMessage header) {
      long n = header.length();
      Resp.writeHeader(bytes, '*', n);
      if (n <= 0) {
        return elementDone();
      }
      push(n);
      return false;
    }
    Resp.write(bytes, (RedisMessage) piece);
    return elementDone();
  }

  private boolean feedMessage(Object piece) {
    if (piece instanceof FullBulkStringRedisMessage full) {
      return element(
          full.isNull()
              ? FullBulkStringRedisMessage.NULL_INSTANCE
              : new FullBulkStringRedisMessage(Unpooled.copiedBuffer(full.content())));
    }
    if (piece instanceof BulkStringRedisContent content) {
      bulk.writeBytes(
          content.content(), content.content().readerIndex(), content.content().readableBytes());
      if (piece instanceof LastBulkStringRedisContent) {
        ByteBuf b = bulk;
        bulk = null;
        return element(new FullBulkStringRedisMessage(b));
      }
      return false;
    }
    if (piece instanceof BulkStringHeaderRedisMessage header) {
      bulk = Unpooled.buffer(header.bulkStringLength());
      return false;
    }
    if (piece instanceof ArrayHeaderRedisMessage header) {
      long n = header.length();
      if (n < 0) {
        return element(ArrayRedisMessage.NULL_INSTANCE);
      }
      if (n == 0) {
        return element(ArrayRedisMessage.EMPTY_INSTANCE);
      }
      push(n);
      lists[depth - 1] = new ArrayList<>((int) Math.min(n, 1024));
      return false;
    }
    if (piece instanceof SimpleStringRedisMessage
        || piece instanceof ErrorRedisMessage
        || piece instanceof IntegerRedisMessage) {
      return element((RedisMessage) piece);
    }
    throw new RedisCodecException("unexpected reply piece " + piece.getClass().getSimpleName());
  }

  private void push(long n) {
    if (depth == remaining.length) {
      remaining = Arrays.copyOf(remaining, depth * 2);
      lists = Arrays.copyOf(lists, depth * 2);
    }
    remaining[depth++] = n;
  }

  private boolean elementDone() {
    while (depth > 0) {
      if (--remaining[depth - 1] > 0) {
        return false;
      }
      depth--;
    }
    started = false;
    return true;
  }

  private boolean element(RedisMessage m) {
    while (depth > 0) {
      List<RedisMessage> list = lists[depth - 1];
      list.add(m);
      if (--remaining[depth - 1] > 0) {
        return false;
      }
      lists[depth - 1] = null;
      depth--;
      m = new ArrayRedisMessage(list);
    }
    message = m;
    started = false;
    return true;
  }
}
