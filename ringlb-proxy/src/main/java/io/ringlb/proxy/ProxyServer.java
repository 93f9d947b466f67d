package io.ringlb.proxy;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.redis.ErrorRedisMessage;
import io.netty.handler.codec.redis.RedisDecoder;
import io.netty.handler.codec.redis.RedisEncoder;
import io.netty.channel.ChannelFutureListener;
import io.ringlb.server.Transport;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A Redis-protocol sharding proxy over real redis-servers: each ring server is a redis-server,
 * each key goes to its owner, and RING ADD / RING REMOVE move exactly the keys whose owner changes
 * while clients keep reading and writing.
 *
 * <p>Start with {@link #start(ProxyConfig)}; {@link #close()} stops accepting, lets in-flight
 * replies go out and closes the connections. A migration interrupted by closing (or by a crash)
 * is recorded in the configured state file and resumes on the next start.
 */
public final class ProxyServer implements AutoCloseable {

  private final Proxy proxy;
  private final EventLoopGroup group;
  private final Channel server;

  private ProxyServer(Proxy proxy, EventLoopGroup group, Channel server) {
    this.proxy = proxy;
    this.group = group;
    this.server = server;
  }

  /**
   * Starts a proxy with {@code config}: reads its state file when it has one, binds the listen
   * address, and resumes any migration the state file records.
   *
   * @throws IOException if the address cannot be bound or the state file cannot be read
   */
  public static ProxyServer start(ProxyConfig config) throws IOException, InterruptedException {
    if (System.getProperty("io.netty.leakDetection.level") == null
        && System.getProperty("io.netty.leakDetectionLevel") == null) {
      // Leak tracking samples buffers on the hot path; off unless asked for (as RespServer does).
      io.netty.util.ResourceLeakDetector.setLevel(io.netty.util.ResourceLeakDetector.Level.DISABLED);
    }
    Transport transport = Transport.best();
    // Default: half the processors (one on a 2-core machine). A proxy's work is mostly system
    // calls; the other half is left to the kernel's network work and to what runs beside it.
    int threads = config.threads() > 0 ? config.threads()
        : Math.max(1, Runtime.getRuntime().availableProcessors() / 2);
    EventLoopGroup group = transport.group(threads, "ringlb-proxy", true);
    try {
      Proxy proxy = new Proxy(config, transport, group);
      AtomicInteger ids = new AtomicInteger();
      ServerBootstrap bootstrap =
          new ServerBootstrap()
              .group(group)
              .channel(transport.serverChannel())
              .option(ChannelOption.SO_BACKLOG, 1024)
              .option(ChannelOption.SO_REUSEADDR, true)
              .childOption(ChannelOption.TCP_NODELAY, true)
              .childHandler(
                  new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                      proxy.connectionsReceived.incrementAndGet();
                      int clients = proxy.clients.incrementAndGet();
                      ch.closeFuture().addListener(f -> proxy.clients.decrementAndGet());
                      int max = config.maxClients();
                      if (max > 0 && clients > max) {
                        proxy.rejectedConnections.incrementAndGet();
                        ch.pipeline().addLast(new RedisEncoder(), new Refuse());
                        return;
                      }
                      ch.pipeline()
                          .addLast(new RedisDecoder(true))
                          .addLast(new ProxyHandler(proxy, proxy.workerFor(ch.eventLoop()),
                              ids.incrementAndGet()));
                    }
                  });
      Channel server;
      try {
        server = bootstrap.bind(config.bindHost(), config.port()).sync().channel();
      } catch (Exception e) {
        proxy.close();
        throw new IOException("cannot listen on " + config.bindHost() + ":" + config.port()
            + ": " + e.getMessage(), e);
      }
      proxy.start();
      return new ProxyServer(proxy, group, server);
    } catch (IOException | RuntimeException | Error e) {
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
      throw e;
    }
  }

  /** Returns the bound address. */
  public InetSocketAddress address() {
    return (InetSocketAddress) server.localAddress();
  }

  /** Returns the name of the network transport in use ({@code epoll} or {@code nio}). */
  public String transport() {
    return proxy.transport().name().toLowerCase(java.util.Locale.ROOT);
  }

  /** Returns a one-line description of the ring: placement, hash tag and backends. */
  public String describe() {
    StringBuilder sb = new StringBuilder("placement ").append(proxy.placementName())
        .append(", hash tag ").append(proxy.hashTag() == null ? "none" : proxy.hashTag())
        .append(", backends ");
    Topology t = proxy.topology();
    for (int i = 0; i < t.ring.length; i++) {
      Backend b = t.backend(t.ring[i]);
      sb.append(i == 0 ? "" : ",").append(b.id).append('=').append(b.address);
    }
    if (t.migration != null) {
      sb.append(", resuming migration ").append(t.migration.kind.word()).append(' ')
          .append(t.migration.server);
    }
    return sb.toString();
  }

  /** Returns the bound port. */
  public int port() {
    return address().getPort();
  }

  /** Returns a future-like handle completing when the listening channel closes. */
  public void awaitClose() throws InterruptedException {
    server.closeFuture().sync();
  }

  /**
   * Stops accepting, stops any migration (it stays recorded in the state file and resumes on the
   * next start), lets replies in flight go out, and closes every connection.
   */
  @Override
  public void close() {
    server.close().syncUninterruptibly();
    proxy.close();
    group.shutdownGracefully(50, 2000, TimeUnit.MILLISECONDS).syncUninterruptibly();
  }

  /** Refuses a connection beyond maxclients, as Redis words it. */
  private static final class Refuse extends ChannelInboundHandlerAdapter {
    @Override
    public void channelActive(ChannelHandlerContext ctx) {
      ctx.writeAndFlush(new ErrorRedisMessage("ERR max number of clients reached"))
          .addListener(ChannelFutureListener.CLOSE);
    }
  }
}
