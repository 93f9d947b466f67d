package io.ringlb.server;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.redis.ArrayHeaderRedisMessage;
import io.netty.handler.codec.redis.BulkStringHeaderRedisMessage;
import io.netty.handler.codec.redis.BulkStringRedisContent;
import io.netty.handler.codec.redis.ErrorRedisMessage;
import io.netty.handler.codec.redis.FullBulkStringRedisMessage;
import io.netty.handler.codec.redis.InlineCommandRedisMessage;
import io.netty.handler.codec.redis.IntegerRedisMessage;
import io.netty.handler.codec.redis.LastBulkStringRedisContent;
import io.netty.handler.codec.redis.RedisCodecException;
import io.netty.handler.codec.redis.SimpleStringRedisMessage;
import io.netty.util.ReferenceCountUtil;

/**
 * Sits between {@code RedisDecoder} and the aggregators and enforces what a request may be before
 * anything is buffered: an array of bulk strings (or an inline command), at most {@value
 * #MAX_MULTIBULK} elements, bulk strings no longer than {@code proto-max-bulk-len}, and Redis's
 * tighter limits before authentication. A violation, or a decoder error, becomes one {@link
 * ProtocolError} passed down in order; everything after it is dropped.
 */
final class RequestLimits extends ChannelInboundHandlerAdapter {

  /** Most elements in one request array (the aggregator allocates for the count up front). */
  static final int MAX_MULTIBULK = 1024 * 1024;
  /** Redis's limits for a client that has not authenticated yet. */
  static final int UNAUTHENTICATED_MULTIBULK = 10;
  static final int UNAUTHENTICATED_BULK = 16384;

  private final ClientHandler client;
  private final long maxBulk;
  private long remaining; // elements still expected in the current array, 0 at top level
  private boolean failed;

  RequestLimits(ClientHandler client, long maxBulk) {
    this.client = client;
    this.maxBulk = maxBulk;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (failed) {
      ReferenceCountUtil.release(msg);
      return;
    }
    String problem = check(msg);
    if (problem != null) {
      ReferenceCountUtil.release(msg);
      fail(ctx, problem);
      return;
    }
    ctx.fireChannelRead(msg);
  }

  private String check(Object msg) {
    if (msg instanceof FullBulkStringRedisMessage) { // "$0" or "$-1", which come without header
      if (remaining == 0) {
        return "expected '*', got '$'";
      }
      if (((FullBulkStringRedisMessage) msg).isNull()) {
        return "invalid bulk length";
      }
      remaining--;
      return null;
    }
    if (msg instanceof BulkStringRedisContent) {
      if (msg instanceof LastBulkStringRedisContent) {
        remaining--;
      }
      return null;
    }
    if (msg instanceof BulkStringHeaderRedisMessage) {
      if (remaining == 0) {
        return "expected '*', got '$'";
      }
      int length = ((BulkStringHeaderRedisMessage) msg).bulkStringLength();
      if (length > maxBulk) {
        return "invalid bulk length";
      }
      if (length > UNAUTHENTICATED_BULK && !client.authenticated()) {
        return "unauthenticated bulk length";
      }
      return null;
    }
    if (msg instanceof ArrayHeaderRedisMessage) {
      if (remaining > 0) {
        return "expected '$', got '*'";
      }
      long length = ((ArrayHeaderRedisMessage) msg).length();
      if (length > MAX_MULTIBULK) {
        return "invalid multibulk length";
      }
      if (length > UNAUTHENTICATED_MULTIBULK && !client.authenticated()) {
        return "unauthenticated multibulk length";
      }
      remaining = Math.max(0, length);
      return null;
    }
    if (remaining > 0) {
      return "expected '$', got '" + typeChar(msg) + "'";
    }
    return null; // inline command, or a top-level simple string, error or integer
  }

  private static char typeChar(Object msg) {
    if (msg instanceof SimpleStringRedisMessage) {
      return '+';
    }
    if (msg instanceof ErrorRedisMessage) {
      return '-';
    }
    if (msg instanceof IntegerRedisMessage) {
      return ':';
    }
    if (msg instanceof InlineCommandRedisMessage) {
      String s = ((InlineCommandRedisMessage) msg).content();
      return s.isEmpty() ? '?' : s.charAt(0);
    }
    return '?';
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (cause instanceof DecoderException
        && (cause.getCause() instanceof RedisCodecException
            || cause instanceof RedisCodecException)) {
      if (!failed) {
        fail(ctx, describe(cause.getCause() != null ? cause.getCause() : cause));
      }
      return;
    }
    ctx.fireExceptionCaught(cause);
  }

  /** Words a decoder error the way Redis words the same mistake, where it can tell. */
  private String describe(Throwable error) {
    String m = String.valueOf(error.getMessage());
    if (m.startsWith("length: ") && m.contains("(expected: <= 65536)")) {
      return "too big inline request";
    }
    if (m.startsWith("length: ") || m.startsWith("bad byte in number") || m.startsWith("no number")
        || m.startsWith("too many characters")) {
      return remaining == 0 ? "invalid multibulk length" : "invalid bulk length";
    }
    if (m.startsWith("delimiter: ")) {
      return "expected CRLF at the end of a line or bulk string";
    }
    return m;
  }

  private void fail(ChannelHandlerContext ctx, String reason) {
    failed = true;
    ctx.channel().config().setAutoRead(false);
    ctx.fireChannelRead(new ProtocolError(reason));
  }
}
