package io.ringlb.server;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.local.LocalAddress;
import io.netty.channel.local.LocalChannel;
import io.netty.channel.local.LocalServerChannel;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The front end's connections on a real event loop, for data sides that answer from connections of
 * their own (the proxy, from its backends): one event loop, lent to the data side as a {@link
 * RespServer} lends its loops, and an in-VM listener whose connections get the front end's
 * pipeline. A feed hands each read to its connection's pipeline on the loop, as one read, and takes
 * what the pipeline writes before it reaches the channel, as an {@code EmbeddedChannel} would; but
 * the replies come when the data side has them, so {@link ClientFeed#replies} waits.
 */
final class EventLoopFeeds implements AutoCloseable {

  /** The longest wait for a connection, its replies or its end. */
  private static final long WAIT_MILLIS = 10_000;

  private static final AtomicInteger NAMES = new AtomicInteger();

  private final EventLoopGroup group;
  private final Channel listener;
  private final BlockingQueue<Channel> accepted = new LinkedBlockingQueue<>();

  /** Starts the data side of {@code context} on a new event loop and listens for feeds. */
  EventLoopFeeds(ServerContext context) throws Exception {
    Transport transport = Transport.best();
    group = transport.group(1, "split-frames", true);
    try {
      context.dataSide().start(new ServerRuntime(group, transport, context.config()));
      listener =
          new ServerBootstrap()
              .group(group)
              .channel(LocalServerChannel.class)
              .childHandler(
                  new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                      RespServer.initPipeline(ch.pipeline(), context);
                      ch.pipeline().addFirst(new Taker());
                      accepted.add(ch);
                    }
                  })
              .bind(new LocalAddress("split-frames-" + NAMES.incrementAndGet()))
              .sync()
              .channel();
    } catch (Exception | Error e) {
      group.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
      throw e;
    }
  }

  /** Opens a connection to feed. */
  ClientFeed open() throws InterruptedException {
    Channel client =
        new Bootstrap()
            .group(group)
            .channel(LocalChannel.class)
            .handler(new ChannelInboundHandlerAdapter())
            .connect(listener.localAddress())
            .sync()
            .channel();
    Channel server = accepted.poll(WAIT_MILLIS, TimeUnit.MILLISECONDS);
    if (server == null) {
      client.close();
      throw new IllegalStateException(
          "the listener accepted no connection within " + WAIT_MILLIS + " ms");
    }
    return new Feed(client, server);
  }

  /** Stops listening and the event loop; the caller closes the data side first. */
  @Override
  public void close() {
    listener.close().awaitUninterruptibly(WAIT_MILLIS);
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(WAIT_MILLIS);
  }

  /** One connection: reads go into its pipeline on the loop, writes are taken at its head. */
  private static final class Feed implements ClientFeed {
    private final Channel client;
    private final Channel server;
    private final StringBuilder written; // guarded by itself

    Feed(Channel client, Channel server) {
      this.client = client;
      this.server = server;
      this.written = server.pipeline().get(Taker.class).written;
    }

    @Override
    public boolean isOpen() {
      return server.isOpen();
    }

    @Override
    public void read(ByteBuf bytes) {
      server
          .eventLoop()
          .execute(
              () -> {
                if (server.isOpen()) {
                  server.pipeline().fireChannelRead(bytes);
                  server.pipeline().fireChannelReadComplete();
                } else {
                  bytes.release(); // closed after a protocol error: never read
                }
              });
    }

    @Override
    public String replies(int bytes, boolean closes) {
      long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WAIT_MILLIS);
      synchronized (written) {
        while ((written.length() < bytes || (closes && server.isOpen()))
            && System.nanoTime() < deadline) {
          try {
            written.wait(10);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            break;
          }
        }
      }
      drainLoop(); // what the loop was doing when the replies were there, such as closing
      synchronized (written) {
        return written + (server.isOpen() ? "" : "<closed>");
      }
    }

    @Override
    public void close() {
      client.close().awaitUninterruptibly(WAIT_MILLIS);
      server.close().awaitUninterruptibly(WAIT_MILLIS);
      // The pipeline is torn down (its buffers released) when the channel leaves the loop.
      for (int i = 0; i < 1000 && server.isRegistered(); i++) {
        drainLoop();
      }
      drainLoop();
    }

    /** Returns once the loop has run every task given to it before this call. */
    private void drainLoop() {
      server.eventLoop().submit(() -> {}).awaitUninterruptibly(WAIT_MILLIS);
    }
  }

  /** Takes every write of a pipeline as its replies, before it reaches the channel. */
  private static final class Taker extends ChannelOutboundHandlerAdapter {
    final StringBuilder written = new StringBuilder(); // guarded by itself

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
      try {
        String text = ((ByteBuf) msg).toString(StandardCharsets.ISO_8859_1);
        synchronized (written) {
          written.append(text);
          written.notifyAll();
        }
        promise.trySuccess();
      } finally {
        ReferenceCountUtil.release(msg);
      }
    }
  }
}
