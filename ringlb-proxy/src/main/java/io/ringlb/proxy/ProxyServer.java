package io.ringlb.proxy;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.redis.ErrorRedisMessage;
import io.netty.handler.codec.redis.RedisDecoder;
import io.netty.handler.codec.redis.RedisEncoder;
import io.netty.channel.ChannelFutureListener;
import java.io.IOException;
import io.netty.util.concurrent.EventExecutor;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
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

  private final ControlPlane control;
  private final Transport transport;
  private final EventLoopGroup group;
  private final Channel server;

  private ProxyServer(ControlPlane control, Transport transport, EventLoopGroup group,
      Channel server) {
    this.control = control;
    this.transport = transport;
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
    EventLoopGroup group = transport.group(threads, "ringlb-proxy");
    try {
      Upstream upstream = new Upstream(config, transport);
      List<Worker> list = new ArrayList<>();
      Map<EventExecutor, Worker> workerByLoop = new IdentityHashMap<>();
      for (EventExecutor executor : group) {
        Worker worker = new Worker(list.size(), (EventLoop) executor, upstream);
        list.add(worker);
        workerByLoop.put(executor, worker);
      }
      Worker[] workers = list.toArray(new Worker[0]);
      ProxyStats stats = new ProxyStats();
      ClientRegistry clients = new ClientRegistry();
      ControlPlane control = new ControlPlane(config, upstream, workers, stats);
      ProxyContext context = new ProxyContext(config, control, stats, clients);
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
                      stats.countConnection();
                      int open = clients.opened();
                      ch.closeFuture().addListener(f -> clients.closed());
                      int max = config.maxClients();
                      if (max > 0 && open > max) {
                        stats.countRejectedConnection();
                        ch.pipeline().addLast(new RedisEncoder(), new Refuse());
                        return;
                      }
                      ch.pipeline()
                          .addLast(new RedisDecoder(true))
                          .addLast(new ProxyHandler(context, workerByLoop.get(ch.eventLoop()),
                              ids.incrementAndGet()));
                    }
                  });
      Channel server;
      try {
        server = bootstrap.bind(config.bindHost(), config.port()).sync().channel();
      } catch (Exception e) {
        control.close();
        throw new IOException("cannot listen on " + config.bindHost() + ":" + config.port()
            + ": " + e.getMessage(), e);
      }
      for (Worker worker : workers) {
        worker.start();
      }
      control.start();
      stats.start(workers[0].loop());
      return new ProxyServer(control, transport, group, server);
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
    return transport.name().toLowerCase(java.util.Locale.ROOT);
  }

  /** Returns a one-line description of the ring: placement, hash tag and backends. */
  public String describe() {
    StringBuilder sb = new StringBuilder("placement ").append(control.placementName())
        .append(", hash tag ").append(control.hashTag() == null ? "none" : control.hashTag())
        .append(", backends ");
    Topology t = control.topology();
    int[] ring = t.ring();
    for (int i = 0; i < ring.length; i++) {
      Backend b = t.backend(ring[i]);
      sb.append(i == 0 ? "" : ",").append(b.id()).append('=').append(b.address());
    }
    Migration m = t.migration();
    if (m != null) {
      sb.append(", resuming migration ").append(m.kind().word()).append(' ').append(m.server());
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
    control.close();
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
