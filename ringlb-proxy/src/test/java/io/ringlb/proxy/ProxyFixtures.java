package io.ringlb.proxy;

import io.ringlb.server.testing.RedisServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

/** Helpers shared by the proxy tests over real redis-servers. */
final class ProxyFixtures {

  private ProxyFixtures() {}

  /**
   * Returns a proxy configuration on an ephemeral port with two I/O threads, a 5 s request timeout,
   * and the first {@code backends} of {@code servers} as backends 0, 1, ...
   */
  static ProxyConfig.Builder config(List<RedisServer> servers, int backends) {
    ProxyConfig.Builder b =
        ProxyConfig.builder().port(0).threads(2).requestTimeout(Duration.ofSeconds(5));
    for (int i = 0; i < backends; i++) {
      b.backend(i + "=" + servers.get(i).address());
    }
    return b;
  }

  /** Writes {@code request} to a new connection to {@code port} and returns all it answers. */
  static String exchange(int port, String request) throws IOException {
    try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
      socket.setSoTimeout(5000);
      socket.getOutputStream().write(request.getBytes(StandardCharsets.UTF_8));
      return new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    }
  }
}
