package io.ringlb.proxy;

import io.ringlb.server.RespServer;
import io.ringlb.server.ServerConfig;
import java.io.IOException;
import java.net.InetSocketAddress;

/**
 * A Redis-protocol sharding proxy over real redis-servers: each ring server is a redis-server, each
 * key goes to its owner, and RING ADD / RING REMOVE move exactly the keys whose owner changes while
 * clients keep reading and writing.
 *
 * <p>The proxy is a data side ({@link ProxyDataSide}) of the same RESP front end as the embedded
 * server ({@link RespServer}). Start with {@link #start(ProxyConfig)}; {@link #close()} stops
 * accepting, lets in-flight replies go out and closes the connections. A migration interrupted by
 * closing (or by a crash) is recorded in the configured state file and resumes on the next start.
 */
public final class ProxyServer implements AutoCloseable {

  private final RespServer server;
  private final ControlPlane proxy;

  private ProxyServer(RespServer server, ControlPlane proxy) {
    this.server = server;
    this.proxy = proxy;
  }

  /**
   * Starts a proxy with {@code config}: reads its state file when it has one, binds the listen
   * address, and resumes any migration the state file records.
   *
   * @throws IOException if the address cannot be bound or the state file cannot be read
   */
  public static ProxyServer start(ProxyConfig config) throws IOException, InterruptedException {
    // Default: half the processors (one on a 2-core machine). A proxy's work is mostly system
    // calls; the other half is left to the kernel's network work and to what runs beside it.
    int threads =
        config.threads() > 0
            ? config.threads()
            : Math.max(1, Runtime.getRuntime().availableProcessors() / 2);
    ServerConfig front =
        new ServerConfig(
            config.bindHost(),
            config.port(),
            config.requirePass(),
            config.maxClients() > 0 ? config.maxClients() : Integer.MAX_VALUE,
            config.protoMaxBulkLen(),
            threads,
            config.users(),
            config.maxMemoryClients());
    ProxyDataSide dataSide = new ProxyDataSide(config);
    RespServer server = RespServer.start(front, dataSide, config.http());
    dataSide.control().bound(server.address());
    return new ProxyServer(server, dataSide.control());
  }

  /** Returns the bound address. */
  public InetSocketAddress address() {
    return server.address();
  }

  /** Returns the bound port. */
  public int port() {
    return address().getPort();
  }

  /** Returns the address of the HTTP port ({@code http}), or null when it has none. */
  public InetSocketAddress httpAddress() {
    return server.httpAddress();
  }

  /** The epoch of the topology published last, even while requests are held at its barrier. */
  long publishedEpoch() {
    return proxy.topology().epoch();
  }

  /** Returns the name of the network transport in use ({@code epoll} or {@code nio}). */
  public String transport() {
    return server.transport();
  }

  /** Returns a one-line description of the ring: placement, hash tag and backends. */
  public String describe() {
    StringBuilder sb =
        new StringBuilder("placement ")
            .append(proxy.placementName())
            .append(", hash tag ")
            .append(proxy.hashTag() == null ? "none" : proxy.hashTag())
            .append(", backends ");
    Topology t = proxy.topology();
    for (int i = 0; i < t.ring().length; i++) {
      Backend b = t.backend(t.ring()[i]);
      sb.append(i == 0 ? "" : ",").append(b.id()).append('=').append(b.address());
    }
    if (t.migration() != null) {
      sb.append(", resuming migration ").append(t.migration().label());
    }
    return sb.toString();
  }

  /**
   * Stops accepting, stops any migration (it stays recorded in the state file and resumes on the
   * next start), lets replies in flight go out, and closes every connection.
   */
  @Override
  public void close() {
    server.close();
  }
}
