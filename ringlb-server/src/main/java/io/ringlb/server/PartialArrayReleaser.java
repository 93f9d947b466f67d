package io.ringlb.server;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.redis.ArrayHeaderRedisMessage;
import io.netty.handler.codec.redis.FullBulkStringRedisMessage;
import io.netty.util.ReferenceCountUtil;
import java.util.Arrays;

/**
 * Sits right before {@code RedisArrayAggregator} and remembers the elements of the array it is
 * assembling, so that a connection that closes (or breaks the protocol) mid-request releases them:
 * the aggregator keeps a half-built array's buffers forever otherwise.
 */
final class PartialArrayReleaser extends ChannelInboundHandlerAdapter {

  private FullBulkStringRedisMessage[] held = new FullBulkStringRedisMessage[8];
  private long expected;
  private int count;

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof ArrayHeaderRedisMessage) {
      expected = Math.max(0, ((ArrayHeaderRedisMessage) msg).length());
      count = 0;
      ctx.fireChannelRead(msg);
      return;
    }
    if (expected > 0 && msg instanceof FullBulkStringRedisMessage) {
      if (count + 1 == expected) { // completes the array: the aggregator fires it now
        forget();
      } else {
        if (count == held.length) {
          held = Arrays.copyOf(held, count * 2);
        }
        held[count++] = (FullBulkStringRedisMessage) msg;
      }
    }
    ctx.fireChannelRead(msg);
  }

  private void forget() {
    Arrays.fill(held, 0, count, null);
    count = 0;
    expected = 0;
  }

  private void releaseHeld() {
    for (int i = 0; i < count; i++) {
      if (held[i].refCnt() > 0) {
        ReferenceCountUtil.release(held[i]);
      }
    }
    forget();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    releaseHeld();
    super.channelInactive(ctx);
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    releaseHeld();
  }
}
