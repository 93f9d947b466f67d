package io.ringlb.proxy;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.embedded.EmbeddedChannel;
import io.ringlb.server.Transport;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * How the proxy reaches its redis-servers: the one place that connects a channel to a backend (on a
 * given event loop, with the transport, socket options and connect timeout configured) and gives
 * the backend password first, and the timeouts and password its requests carry. It connects only to
 * addresses its {@link BackendAllowList} admits, so the password goes nowhere else.
 *
 * <p>Used by the pooled {@link BackendConnection}s and by {@link PubSub}'s subscribing links.
 */
final class Upstream {

  private final Transport transport;
  private final int connectTimeoutMillis;
  private final long requestTimeoutMillis;
  private final long requestTimeoutNanos;
  private final long migrateTimeoutMillis;
  private final String password;

  /**
   * How data connections log in: the ACL user of this proxy's data connections in a cluster (fenced
   * at the backends) or null, its password (else the backend password, or null), and their AUTH
   * encoded once (null when backends take no password). One value, so that a MIGRATE never names
   * one login's user with another's password.
   */
  private record Login(String user, String password, byte[] auth) {}

  private volatile Login login;

  /** Told when a backend refuses this proxy's login (a cluster's proxy may have been fenced). */
  private volatile Runnable onRefused = () -> {};

  /** Where connections may go: as configured, or the hosts of the starting backends. */
  private volatile BackendAllowList allowList;

  /** The backends admitted so far, each resolved once, by spec. */
  private final ConcurrentHashMap<BackendSpec, InetSocketAddress> admitted =
      new ConcurrentHashMap<>();

  private final ProxyConfig config;

  Upstream(ProxyConfig config, Transport transport) {
    this.config = config;
    this.allowList =
        config.allowBackends() != null
            ? BackendAllowList.of(config.allowBackends(), "allow-backends")
            : BackendAllowList.hostsOf(withSentinels(config, config.backends().values()));
    this.transport = transport;
    this.connectTimeoutMillis =
        (int) Math.min(Integer.MAX_VALUE, config.connectTimeout().toMillis());
    this.requestTimeoutMillis = config.requestTimeout().toMillis();
    this.requestTimeoutNanos = config.requestTimeout().toNanos();
    // A MIGRATE must end well within the request timeout of the connection that sent it.
    this.migrateTimeoutMillis =
        Math.max(1, Math.min(config.migrationTimeout().toMillis(), requestTimeoutMillis / 2));
    this.password = config.backendPassword();
    this.login = new Login(null, password, password == null ? null : encode("AUTH", password));
  }

  private static byte[] encode(Object... args) {
    var encoded = Resp.command(args);
    byte[] out = new byte[encoded.readableBytes()];
    encoded.readBytes(out);
    encoded.release();
    return out;
  }

  /**
   * From now on, connections log in as ACL user {@code user} with {@code password} (a cluster's
   * proxy: the backends fence it by that user); connections already made keep their login.
   */
  void logInAs(String user, String password) {
    this.login = new Login(user, password, encode("AUTH", user, password));
  }

  /** The ACL user connections log in as, or null for the backend password (or none). */
  String user() {
    return login.user();
  }

  /** Runs {@code r} whenever a backend refuses this proxy's login. */
  void onLoginRefused(Runnable r) {
    this.onRefused = r;
  }

  /** A backend refused this proxy's login. */
  void loginRefused() {
    onRefused.run();
  }

  /**
   * With no configured allow-list, allows the hosts of {@code starting} too (the backends a state
   * file records) besides those of the configured backends.
   */
  void startingWith(Collection<BackendSpec> starting) {
    if (config.allowBackends() == null) {
      List<BackendSpec> all = new ArrayList<>(config.backends().values());
      all.addAll(starting);
      allowList = BackendAllowList.hostsOf(withSentinels(config, all));
    }
  }

  /**
   * The specs whose hosts make the default allow-list: the plain backends' and the sentinels' (the
   * primaries and replicas Sentinel names are usually on the same hosts).
   */
  private static List<BackendSpec> withSentinels(
      ProxyConfig config, Collection<BackendSpec> backends) {
    List<BackendSpec> all = new ArrayList<>();
    for (BackendSpec b : backends) {
      if (!b.managed()) {
        all.add(b);
      }
    }
    all.addAll(config.sentinels());
    return all;
  }

  /**
   * Returns the address {@code backend} is reached at, resolved once and checked against the
   * allow-list before any connection to it is made.
   *
   * @throws IllegalArgumentException naming the backend and the allow-list when it is not allowed,
   *     or its host when that does not resolve ({@link BackendAllowList.UnresolvedException})
   */
  InetSocketAddress admit(BackendSpec backend) {
    if (backend.managed()) {
      throw new IllegalStateException(backend.address() + " has no address of its own");
    }
    InetSocketAddress known = admitted.get(backend);
    if (known != null) {
      return known;
    }
    InetSocketAddress address = allowList.admit(backend);
    InetSocketAddress raced = admitted.putIfAbsent(backend, address);
    return raced != null ? raced : address;
  }

  /**
   * Connects to {@code backend} on {@code loop}, {@code init} filling each channel's pipeline. Once
   * connected, AUTH is written (not flushed) before the listeners the caller adds to the returned
   * future run, so whatever they write goes after it; its reply is the channel's first.
   */
  ChannelFuture connect(EventLoop loop, BackendSpec backend, Consumer<Channel> init) {
    InetSocketAddress address;
    if (backend == null) {
      return new EmbeddedChannel()
          .newFailedFuture(new ConnectException("no primary known (Sentinel names none yet)"));
    }
    try {
      address = admit(backend); // the last guard: never a connection, nor AUTH, elsewhere
    } catch (IllegalArgumentException e) {
      return new EmbeddedChannel().newFailedFuture(new ConnectException(e.getMessage()));
    }
    ChannelFuture future = bootstrap(loop, init).connect(address);
    byte[] auth = login.auth();
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

  /**
   * Connects to a configured Redis Sentinel on {@code loop}: no backend password and no allow-list
   * (sentinels are given explicitly, never learnt).
   */
  ChannelFuture connectSentinel(EventLoop loop, BackendSpec sentinel, Consumer<Channel> init) {
    return bootstrap(loop, init).connect(sentinel.host(), sentinel.port());
  }

  private Bootstrap bootstrap(EventLoop loop, Consumer<Channel> init) {
    return new Bootstrap()
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
            });
  }

  /** Returns whether {@link #connect} sends AUTH first (a backend password is configured). */
  boolean authenticates() {
    return login.auth() != null;
  }

  /** The password redis-servers take, for MIGRATE's AUTH (of {@link #user()} if set); or null. */
  String password() {
    return login.password();
  }

  /**
   * Appends MIGRATE's {@code AUTH password} or {@code AUTH2 user password} for the login of now,
   * read once; nothing when backends take no password.
   */
  void addMigrateAuth(List<Object> args) {
    Login l = login;
    if (l.password() == null) {
      return;
    }
    if (l.user() != null) {
      args.add("AUTH2");
      args.add(l.user());
    } else {
      args.add("AUTH");
    }
    args.add(l.password());
  }

  /** When writes are acknowledged: as the primary answers, or once replicas have them. */
  Durability durability() {
    return config.durability();
  }

  /** How long a backend may take to answer, in milliseconds. */
  long requestTimeoutMillis() {
    return requestTimeoutMillis;
  }

  /**
   * MIGRATE's timeout in a migration step, in milliseconds: {@code migration.timeout}, at most half
   * the request timeout.
   */
  long migrateTimeoutMillis() {
    return migrateTimeoutMillis;
  }

  /** The most connections to one backend that blocking commands may hold open together. */
  int blockingConnections() {
    return config.blockingConnections();
  }

  /** How long a backend may take to answer, in nanoseconds. */
  long requestTimeoutNanos() {
    return requestTimeoutNanos;
  }
}
