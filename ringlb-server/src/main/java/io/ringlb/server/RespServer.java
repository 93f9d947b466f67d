package io.ringlb.server;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.redis.FixedRedisMessagePool;
import io.netty.handler.codec.redis.RedisArrayAggregator;
import io.netty.handler.codec.redis.RedisBulkStringAggregator;
import io.netty.handler.codec.redis.RedisDecoder;
import io.netty.handler.codec.redis.RedisEncoder;
import io.netty.util.ResourceLeakDetector;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.ringlb.server.http.HttpFrontend;
import io.ringlb.server.http.HttpSettings;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * A RESP2 server: Netty's Redis codec in front, a {@link DataSide} behind. The embedded server
 * memories and the sharding proxy are two data sides of this one front end.
 *
 * <p>Each connection's pipeline is {@code RedisDecoder} (inline commands on) → {@code
 * RequestLimits} (request shape and size limits, before anything is buffered) → {@code
 * RedisBulkStringAggregator} → {@code PartialArrayReleaser} → {@code RedisArrayAggregator} → {@code
 * ClientHandler} (command table, authentication, replies in request order), with {@code
 * RedisEncoder} on the way out. A request whose bulk strings each arrived whole, nearly every one,
 * goes from {@code RequestLimits} straight to the {@code ClientHandler}; the aggregators finish
 * only those split across reads. Start with {@link #start}; {@link #close} stops accepting,
 * finishes the replies of requests already read, closes every connection and the data side.
 */
public final class RespServer implements AutoCloseable {

  /** This server's version, as HELLO and INFO report it. */
  public static final String VERSION = Version.current();

  /** Largest inline command line, as Redis's {@code PROTO_INLINE_MAX_SIZE}. */
  static final int MAX_INLINE = 64 * 1024;

  private final ServerContext context;
  private final EventLoopGroup group;
  private final Channel serverChannel;
  private final ServerMonitor monitor; // null without an HTTP port
  private final HttpFrontend http; // null without an HTTP port
  private volatile boolean closed;

  private RespServer(
      ServerContext context,
      EventLoopGroup group,
      Channel serverChannel,
      ServerMonitor monitor,
      HttpFrontend http) {
    this.context = context;
    this.group = group;
    this.serverChannel = serverChannel;
    this.monitor = monitor;
    this.http = http;
  }

  /**
   * Starts the data side on the server's event loops, registers the commands, binds and starts
   * serving.
   *
   * @throws IOException when the address cannot be bound, or the data side cannot start; the
   *     message names the address or the data side's reason
   * @throws InterruptedException if interrupted while binding
   */
  public static RespServer start(ServerConfig config, DataSide dataSide)
      throws IOException, InterruptedException {
    return start(config, dataSide, null);
  }

  /**
   * As {@link #start(ServerConfig, DataSide)}, with an HTTP port for metrics, health checks and the
   * dashboard when {@code http} is not null ({@code /metrics} shows the counts and times of the
   * commands, which INFO commandstats shows with or without one).
   *
   * @throws IOException when the RESP or HTTP address cannot be bound, or the data side cannot
   *     start; the message names the address or the data side's reason
   * @throws InterruptedException if interrupted while binding
   */
  public static RespServer start(ServerConfig config, DataSide dataSide, HttpSettings http)
      throws IOException, InterruptedException {
    Objects.requireNonNull(config, "config");
    Objects.requireNonNull(dataSide, "dataSide");
    if (System.getProperty("io.netty.leakDetection.level") == null
        && System.getProperty("io.netty.leakDetectionLevel") == null) {
      // Leak tracking touches every message on every handler hop; a server turns it off unless
      // asked (the tests run with -Dio.netty.leakDetection.level=paranoid).
      ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.DISABLED);
    }
    ServerContext context = new ServerContext(config, dataSide);
    Transport transport = Transport.best();
    context.transport(transport.label());
    EventLoopGroup group = transport.group(config.ioThreads(), "ringlb-io", false);
    boolean started = false;
    try {
      try {
        dataSide.start(new ServerRuntime(group, transport, config));
      } catch (IOException | RuntimeException e) {
        throw e;
      } catch (Exception e) {
        throw new IOException(e.getMessage(), e);
      }
      started = true;
      ConnectionCommands.register(context);
      dataSide.register(context.commands());
      ServerMonitor monitor = null;
      // Commands are counted with an HTTP port or without: INFO commandstats and errorstats read
      // the counts /metrics shows, so that counting costs the same once per command either way.
      PrometheusRegistry registry = new PrometheusRegistry();
      context.commands().enableMetrics(new CommandMetrics(registry));
      if (http != null) {
        FrontEndMetrics.register(registry, context);
        monitor = new ServerMonitor(context, registry);
      }
      ServerBootstrap bootstrap =
          new ServerBootstrap()
              .group(group)
              .channel(transport.serverChannel())
              .option(ChannelOption.SO_BACKLOG, 511)
              .option(ChannelOption.SO_REUSEADDR, true)
              .childOption(ChannelOption.TCP_NODELAY, true)
              .childOption(ChannelOption.SO_KEEPALIVE, true)
              .childHandler(
                  new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                      initPipeline(ch.pipeline(), context);
                    }
                  });
      Channel channel;
      try {
        channel = bootstrap.bind(config.bind(), config.port()).sync().channel();
      } catch (InterruptedException e) {
        throw e;
      } catch (Exception e) { // Netty rethrows bind failures (IOException) without declaring them
        throw new IOException(
            "cannot listen on " + config.bind() + ":" + config.port() + ": " + e.getMessage(), e);
      }
      context.port(((InetSocketAddress) channel.localAddress()).getPort());
      HttpFrontend front = null;
      if (http != null) {
        try {
          front = HttpFrontend.start(http, monitor);
        } catch (IOException | InterruptedException | RuntimeException e) {
          channel.close().syncUninterruptibly();
          throw e;
        }
      }
      group.next().scheduleAtFixedRate(context::sampleOps, 100, 100, TimeUnit.MILLISECONDS);
      group
          .next()
          .scheduleAtFixedRate(context.clientMemory()::refresh, 100, 100, TimeUnit.MILLISECONDS);
      return new RespServer(context, group, channel, monitor, front);
    } catch (InterruptedException | IOException | RuntimeException | Error e) {
      if (started) {
        dataSide.close();
      }
      group.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
      throw e;
    }
  }

  /** Builds one connection's pipeline; also used by tests over an EmbeddedChannel. */
  static ClientHandler initPipeline(ChannelPipeline p, ServerContext context) {
    ClientHandler client = new ClientHandler(context);
    p.addLast("decoder", new RedisDecoder(MAX_INLINE, FixedRedisMessagePool.INSTANCE, true));
    p.addLast("limits", new RequestLimits(client, context.config().protoMaxBulkLen()));
    p.addLast("bulk", new RedisBulkStringAggregator());
    p.addLast("partial", new PartialArrayReleaser());
    p.addLast("array", new RedisArrayAggregator());
    p.addLast("encoder", new RedisEncoder());
    p.addLast("client", client);
    return client;
  }

  /** Returns the address the server listens on (with the real port when 0 was asked). */
  public InetSocketAddress address() {
    return (InetSocketAddress) serverChannel.localAddress();
  }

  /** Returns the address the HTTP port listens on, or null when the server has none. */
  public InetSocketAddress httpAddress() {
    return http == null ? null : http.address();
  }

  /** Returns the name of the network transport in use ({@code epoll} or {@code nio}). */
  public String transport() {
    return context.transport();
  }

  /**
   * Shuts down gracefully: stops accepting, lets each connection write the replies of the requests
   * it has read (up to a few seconds for replies still outstanding), closes the connections, the
   * backend and the event loops. Idempotent.
   */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (monitor != null) {
      monitor.markStopping();
    }
    serverChannel.close().syncUninterruptibly();
    context.dataSide().stopping();
    for (Channel ch : context.channels()) {
      ch.eventLoop()
          .execute(
              () -> {
                ClientHandler client = ch.pipeline().get(ClientHandler.class);
                if (client != null) {
                  client.shutdown();
                } else {
                  ch.close();
                }
              });
    }
    context.channels().newCloseFuture().awaitUninterruptibly(5, TimeUnit.SECONDS);
    context.channels().close().awaitUninterruptibly(1, TimeUnit.SECONDS);
    if (http != null) {
      http.close();
    }
    try {
      context.dataSide().close();
    } finally {
      group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }
  }
}
