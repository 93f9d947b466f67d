package io.ringlb.proxy;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.ringlb.server.Transport;
import java.util.function.Consumer;

/**
 * How the proxy reaches its redis-servers: the one place that connects a channel to a backend (on a
 * given event loop, with the transport, socket options and connect timeout configured) and gives
 * the backend password first, and the timeouts and password its requests carry.
 *
 * <p>Used by the pooled {@link BackendConnection}s and by {@link PubSub}'s subscribing links.
 */
final class Upstream {

  private final Transport transport;
  private final int connectTimeoutMillis;
  private final long requestTimeoutMillis;
  private final long requestTimeoutNanos;
  private final String password;

  /** AUTH with the backend password, encoded once; null when backends take no password. */
  private final byte[] auth;

  Upstream(ProxyConfig config, Transport transport) {
    this.transport = transport;
    this.connectTimeoutMillis =
        (int) Math.min(Integer.MAX_VALUE, config.connectTimeout().toMillis());
    this.requestTimeoutMillis = config.requestTimeout().toMillis();
    this.requestTimeoutNanos = config.requestTimeout().toNanos();
    this.password = config.backendPassword();
    if (password == null) {
      this.auth = null;
    } else {
      var encoded = Resp.command("AUTH", password);
      this.auth = new byte[encoded.readableBytes()];
      encoded.readBytes(auth);
      encoded.release();
    }
  }

  /**
   * Connects to {@code backend} on {@code loop}, {@code init} filling each channel's pipeline. Once
   * connected, AUTH is written (not flushed) before the listeners the caller adds to the returned
   * future run, so whatever they write goes after it; its reply is the channel's first.
   */
  ChannelFuture connect(EventLoop loop, ProxyConfig.BackendSpec backend, Consumer<Channel> init) {
    ChannelFuture future =
        new Bootstrap()
            .group(loop)
            .channel(transport.socketChannel())
            .option(ChannelOption.TCP_NODELAY, true)
            .option(ChannelOption.SO_KEEPALIVE, true)
            .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, connectTimeoutMillis)
            .handler(
                new ChannelInitializer<Channel>() {
                  @Override
                  protected void initChannel(Channel ch) {
                    init.accept(ch);
                  }
                })
            .connect(backend.host(), backend.port());
    if (auth != null) {
      future.addListener(
          (ChannelFutureListener)
              f -> {
                if (f.isSuccess()) {
                  f.channel().write(Unpooled.wrappedBuffer(auth), f.channel().voidPromise());
                }
              });
    }
    return future;
  }

  /** Returns whether {@link #connect} sends AUTH first (a backend password is configured). */
  boolean authenticates() {
    return auth != null;
  }

  /** The password redis-servers take, for MIGRATE's AUTH; null when none. */
  String password() {
    return password;
  }

  /** How long a backend may take to answer, in milliseconds. */
  long requestTimeoutMillis() {
    return requestTimeoutMillis;
  }

  /** How long a backend may take to answer, in nanoseconds. */
  long requestTimeoutNanos() {
    return requestTimeoutNanos;
  }
}
