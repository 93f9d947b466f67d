package io.ringlb.server;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.redis.ArrayHeaderRedisMessage;
import io.netty.handler.codec.redis.BulkStringHeaderRedisMessage;
import io.netty.handler.codec.redis.DefaultBulkStringRedisContent;
import io.netty.handler.codec.redis.DefaultLastBulkStringRedisContent;
import io.netty.handler.codec.redis.ErrorRedisMessage;
import io.netty.handler.codec.redis.FullBulkStringRedisMessage;
import io.netty.handler.codec.redis.InlineCommandRedisMessage;
import io.netty.handler.codec.redis.IntegerRedisMessage;
import io.netty.handler.codec.redis.RedisCodecException;
import io.netty.handler.codec.redis.SimpleStringRedisMessage;
import io.netty.util.ReferenceCountUtil;

/**
 * Sits between {@code RedisDecoder} and the aggregators and enforces what a request may be before
 * anything is buffered: an array of bulk strings (or an inline command), at most {@value
 * ServerConfig#MAX_MULTIBULK} elements, bulk strings no longer than {@code proto-max-bulk-len}, and
 * Redis's tighter limits before authentication. A violation, or a decoder error, becomes one {@link
 * ProtocolError} passed down in order; everything after it is dropped. It also assembles the common
 * case of a request on a fast path and runs it through {@link ClientHandler#runAssembled} (see
 * {@link #channelRead}).
 */
final class RequestLimits extends ChannelInboundHandlerAdapter {

  private final ClientHandler client;
  private final long maxBulk;
  private final Request request; // the client's, filled on the fast path
  private BulkStringHeaderRedisMessage header; // held until its content shows whether it is whole
  private ArrayHeaderRedisMessage arrayHeader;
  private boolean assembling;
  private long expected;
  private long remaining; // elements still expected in the current array, 0 at top level
  private long receiving; // bytes of the request the aggregators are assembling
  private boolean failed;

  RequestLimits(ClientHandler client, long maxBulk) {
    this.client = client;
    this.request = client.request();
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
    // Fast path. A request whose bulk strings each arrived in one piece (nearly all requests:
    // the decoder hands over whatever a socket read holds) is assembled here, straight into the
    // client's Request, and run by a direct call: no message per argument, no array message, no
    // CompositeByteBuf and none of the aggregators' handler hops. The first piece that is not
    // whole (a bulk string split across reads) hands the request over to the aggregators: the
    // array header, the elements assembled so far and the rest go down unchanged, in order.
    if (assembling) {
      if (msg.getClass() == BulkStringHeaderRedisMessage.class) {
        header = (BulkStringHeaderRedisMessage) msg;
        return;
      }
      ByteBuf whole = whole(msg);
      if (whole != null) {
        request.add(whole);
        if (request.argc() == expected) {
          assembling = false;
          arrayHeader = null;
          client.runAssembled();
        }
        return;
      }
      handOver(ctx);
    } else if (msg instanceof ArrayHeaderRedisMessage h && h.length() > 0) {
      assembling = true;
      arrayHeader = h;
      expected = h.length();
      return;
    }
    if (header != null) {
      ctx.fireChannelRead(header);
      header = null;
    }
    long bytes = contentBytes(msg);
    ctx.fireChannelRead(msg);
    if (remaining == 0) { // the aggregators finished the request, if they had one
      received(-receiving);
    } else if (bytes > 0) {
      received(bytes);
    }
  }

  /** Returns the bytes of a piece of a bulk string the aggregators will hold until it is whole. */
  private static long contentBytes(Object msg) {
    if (msg instanceof DefaultBulkStringRedisContent content) {
      return content.content().readableBytes();
    }
    if (msg instanceof FullBulkStringRedisMessage full) {
      return full.content().readableBytes();
    }
    return 0;
  }

  /** Counts bytes the aggregators hold for a request not yet whole, for the client's memory. */
  private void received(long bytes) {
    if (bytes != 0) {
      receiving += bytes;
      client.memory().receiving(receiving);
    }
  }

  /** Returns the content of {@code msg} when it completes a bulk string that came in one piece. */
  private ByteBuf whole(Object msg) {
    if (msg instanceof FullBulkStringRedisMessage full) { // "$0", which comes without header
      return header == null ? full.content() : null;
    }
    BulkStringHeaderRedisMessage h = header;
    if (h != null && msg.getClass() == DefaultLastBulkStringRedisContent.class) {
      ByteBuf content = ((DefaultLastBulkStringRedisContent) msg).content();
      if (content.readableBytes() == h.bulkStringLength()) {
        header = null;
        return content;
      }
    }
    return null;
  }

  /** Passes the request assembled so far down to the aggregators, which finish it. */
  private void handOver(ChannelHandlerContext ctx) {
    assembling = false;
    ByteBuf[] done = new ByteBuf[request.argc()];
    for (int i = 0; i < done.length; i++) {
      done[i] = request.arg(i);
    }
    request.clear();
    ArrayHeaderRedisMessage h = arrayHeader;
    arrayHeader = null;
    ctx.fireChannelRead(h);
    long bytes = 0;
    for (ByteBuf element : done) {
      bytes += element.readableBytes();
      ctx.fireChannelRead(new FullBulkStringRedisMessage(element));
    }
    received(bytes);
  }

  private void releaseAssembled() {
    if (assembling) {
      request.release();
      assembling = false;
    }
    arrayHeader = null;
    header = null;
    received(-receiving);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    releaseAssembled();
    super.channelInactive(ctx);
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    releaseAssembled();
  }

  // The checks test classes, not the codec's interfaces: a class test is a constant-time compare,
  // while interface tests on JDK 17 scan each class's interface list when its one-entry cache
  // misses, which it keeps doing as handlers test the same messages against other interfaces.
  private String check(Object msg) {
    Class<?> type = msg.getClass();
    if (type == DefaultLastBulkStringRedisContent.class) {
      remaining--;
      return null;
    }
    if (type == BulkStringHeaderRedisMessage.class) {
      if (remaining == 0) {
        return "expected '*', got '$'";
      }
      int length = ((BulkStringHeaderRedisMessage) msg).bulkStringLength();
      if (length > maxBulk) {
        return "invalid bulk length";
      }
      if (length > ServerConfig.UNAUTHENTICATED_BULK && !client.info().authenticated()) {
        return "unauthenticated bulk length";
      }
      return null;
    }
    if (type == ArrayHeaderRedisMessage.class) {
      if (remaining > 0) {
        return "expected '$', got '*'";
      }
      long length = ((ArrayHeaderRedisMessage) msg).length();
      if (length > ServerConfig.MAX_MULTIBULK) {
        return "invalid multibulk length";
      }
      if (length > ServerConfig.UNAUTHENTICATED_MULTIBULK && !client.info().authenticated()) {
        return "unauthenticated multibulk length";
      }
      remaining = Math.max(0, length);
      return null;
    }
    if (msg instanceof FullBulkStringRedisMessage full) { // "$0" or "$-1", which come headerless
      if (remaining == 0) {
        return "expected '*', got '$'";
      }
      if (full.isNull()) {
        return "invalid bulk length";
      }
      remaining--;
      return null;
    }
    if (msg instanceof DefaultBulkStringRedisContent) { // a chunk of a bulk string
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
    if (m.startsWith("length: ")
        || m.startsWith("bad byte in number")
        || m.startsWith("no number")
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
    releaseAssembled();
    ctx.channel().config().setAutoRead(false);
    ctx.fireChannelRead(new ProtocolError(reason));
  }
}
