package io.ringlb.server;

import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;

/**
 * A connection's pipeline over an {@code EmbeddedChannel}: every read runs to its end on the
 * calling thread, so the replies are all written when {@link #read} returns. For data sides that
 * answer within the request's read (the embedded one).
 */
final class EmbeddedChannelFeed implements ClientFeed {

  private final EmbeddedChannel channel = new EmbeddedChannel();

  EmbeddedChannelFeed(ServerContext context) {
    RespServer.initPipeline(channel.pipeline(), context);
    channel.pipeline().fireChannelActive();
  }

  @Override
  public boolean isOpen() {
    channel.runPendingTasks();
    return channel.isOpen();
  }

  @Override
  public void read(ByteBuf bytes) {
    channel.writeInbound(bytes);
  }

  @Override
  public String replies(int bytes, boolean closes) {
    String out = Fixtures.output(channel);
    channel.runPendingTasks();
    return out + (channel.isOpen() ? "" : "<closed>");
  }

  @Override
  public void close() {
    channel.finishAndReleaseAll();
  }
}
