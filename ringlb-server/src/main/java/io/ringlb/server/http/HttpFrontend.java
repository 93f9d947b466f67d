package io.ringlb.server.http;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerKeepAliveHandler;
import io.netty.handler.timeout.ReadTimeoutHandler;
import io.ringlb.server.Transport;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The HTTP port of a server ({@code --http}): Prometheus metrics, health checks, the live dashboard
 * and its JSON API, served by Netty's HTTP codec on an event loop of its own, apart from the loops
 * that serve the RESP clients.
 *
 * <p>Each connection's pipeline is {@code HttpServerCodec} (request line 4 KB, headers 8 KB) →
 * {@code HttpServerKeepAliveHandler} → {@code HttpObjectAggregator} (bodies up to 8 KB: only GET
 * and HEAD are served) → {@link HttpRequestHandler}; a connection idle for two minutes is closed,
 * and at most {@value #MAX_CONNECTIONS} are open at once.
 */
public final class HttpFrontend implements AutoCloseable {

  /** The most HTTP connections open at once; later ones are closed at once. */
  static final int MAX_CONNECTIONS = 64;

  private static final int IDLE_SECONDS = 120;

  private final EventLoopGroup group;
  private final Channel serverChannel;

  private HttpFrontend(EventLoopGroup group, Channel serverChannel) {
    this.group = group;
    this.serverChannel = serverChannel;
  }

  /**
   * Listens on {@code settings}' address and serves {@code server}.
   *
   * @throws IOException when the address cannot be bound; the message names it
   * @throws InterruptedException if interrupted while binding
   */
  public static HttpFrontend start(HttpSettings settings, Monitored server)
      throws IOException, InterruptedException {
    HttpRequestHandler handler = new HttpRequestHandler(server, settings, new StaticAssets());
    Transport transport = Transport.best();
    EventLoopGroup group = transport.group(1, "ringlb-http", true);
    AtomicInteger open = new AtomicInteger();
    try {
      ServerBootstrap bootstrap =
          new ServerBootstrap()
              .group(group)
              .channel(transport.serverChannel())
              .option(ChannelOption.SO_BACKLOG, 128)
              .option(ChannelOption.SO_REUSEADDR, true)
              .childOption(ChannelOption.TCP_NODELAY, true)
              .childHandler(
                  new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                      if (open.incrementAndGet() > MAX_CONNECTIONS) {
                        open.decrementAndGet();
                        ch.close();
                        return;
                      }
                      ch.closeFuture().addListener(f -> open.decrementAndGet());
                      ch.pipeline()
                          .addLast(new ReadTimeoutHandler(IDLE_SECONDS))
                          .addLast(new HttpServerCodec(4096, 8192, 8192))
                          .addLast(new HttpServerKeepAliveHandler())
                          .addLast(new HttpObjectAggregator(8192))
                          .addLast(handler);
                    }
                  });
      Channel channel;
      try {
        channel = bootstrap.bind(settings.host(), settings.port()).sync().channel();
      } catch (InterruptedException e) {
        throw e;
      } catch (Exception e) { // Netty rethrows bind failures (IOException) without declaring them
        throw new IOException(
            "cannot listen on " + settings.address() + " (--http): " + e.getMessage(), e);
      }
      return new HttpFrontend(group, channel);
    } catch (IOException | InterruptedException | RuntimeException | Error e) {
      group.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
      throw e;
    }
  }

  /** Returns the address the HTTP port listens on (with the real port when 0 was asked). */
  public InetSocketAddress address() {
    return (InetSocketAddress) serverChannel.localAddress();
  }

  /** Stops listening and closes every HTTP connection. Idempotent. */
  @Override
  public void close() {
    serverChannel.close().syncUninterruptibly();
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
  }
}
