package io.ringlb.conformance;

import io.ringlb.core.HashRing;
import io.ringlb.proxy.ProxyConfig;
import io.ringlb.proxy.ProxyServer;
import io.ringlb.server.RespServer;
import io.ringlb.server.ServerConfig;
import io.ringlb.server.embedded.EmbeddedBackend;
import io.ringlb.server.testing.RedisServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * The three targets, started once over four running redis-servers: the first is the oracle, the
 * other three are the backends of ringlb's proxy; and ringlb's embedded server over servers 0, 1
 * and 2. Each target has a connection of its own that empties it before every exchange.
 */
final class Targets implements AutoCloseable {

  /** One side of the comparison. */
  enum Target {
    REDIS("redis"),
    EMBEDDED("embedded"),
    PROXY("proxy");

    final String label;

    Target(String label) {
      this.label = label;
    }
  }

  private final List<AutoCloseable> started = new ArrayList<>();
  private final Map<Target, InetSocketAddress> addresses = new EnumMap<>(Target.class);
  private final Map<Target, Client> control = new EnumMap<>(Target.class);
  private String redisVersion = "?";

  private Targets() {}

  private void boot(List<RedisServer> servers) throws Exception {
    addresses.put(Target.REDIS, address(servers.get(0)));

    RespServer embedded =
        RespServer.start(
            ServerConfig.defaults().withPort(0), EmbeddedBackend.create(HashRing.seed(), 0, 1, 2));
    started.add(embedded);
    addresses.put(Target.EMBEDDED, embedded.address());

    ProxyConfig.Builder config =
        ProxyConfig.builder().port(0).threads(2).requestTimeout(Duration.ofSeconds(5));
    for (int i = 0; i < 3; i++) {
      config.backend(i, "127.0.0.1", servers.get(i + 1).port());
    }
    ProxyServer proxy = ProxyServer.start(config.build());
    started.add(proxy);
    addresses.put(Target.PROXY, proxy.address());

    for (Target t : Target.values()) {
      Client c = new Client(addresses.get(t), 5000);
      started.add(c);
      control.put(t, c);
    }
    String info = Client.text(control.get(Target.REDIS).command("INFO", "server"));
    this.redisVersion =
        info.lines()
            .filter(l -> l.startsWith("redis_version:"))
            .map(l -> l.substring("redis_version:".length()).strip())
            .findFirst()
            .orElse("?");
  }

  private static InetSocketAddress address(RedisServer server) {
    return new InetSocketAddress(InetAddress.getLoopbackAddress(), server.port());
  }

  /**
   * Starts the ringlb targets over {@code servers} (at least four, running); on a failure, stops
   * those already started.
   */
  static Targets start(List<RedisServer> servers) throws Exception {
    if (servers.size() < 4) {
      throw new IllegalArgumentException(
          "servers must be four (the oracle, three backends): " + servers);
    }
    Targets targets = new Targets();
    try {
      targets.boot(servers);
      return targets;
    } catch (Exception | Error e) {
      targets.close();
      throw e;
    }
  }

  /** The oracle's {@code redis_version}. */
  String redisVersion() {
    return redisVersion;
  }

  /** Where {@code target} listens. */
  InetSocketAddress address(Target target) {
    return addresses.get(target);
  }

  /** Empties every target (FLUSHALL), failing unless each answers OK. */
  void flushAll() throws IOException {
    for (Target t : Target.values()) {
      Reply reply = control.get(t).command("FLUSHALL");
      if (!"OK".equals(reply.text())) {
        throw new IOException(t.label + " answered FLUSHALL with " + reply.rendered());
      }
    }
  }

  /** Stops the ringlb targets and the control connections; the redis-servers stay up. */
  @Override
  public void close() {
    for (int i = started.size() - 1; i >= 0; i--) {
      try {
        started.get(i).close();
      } catch (Exception e) {
        // go on stopping the rest
      }
    }
  }
}
