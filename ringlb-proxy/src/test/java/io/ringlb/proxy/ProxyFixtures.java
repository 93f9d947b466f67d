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

  /**
   * Sends {@code args} on {@code jedis} and returns the reply as text: a bulk string as UTF-8, an
   * array as {@code [a, b]} of its elements' texts, nil as {@code null}, an error as its message.
   */
  static String reply(redis.clients.jedis.Jedis jedis, String... args) {
    try {
      Object reply =
          jedis.sendCommand(
              () -> args[0].getBytes(StandardCharsets.US_ASCII),
              java.util.Arrays.copyOfRange(args, 1, args.length));
      if (reply instanceof List<?> l) {
        List<Object> out = new java.util.ArrayList<>();
        for (Object o : l) {
          out.add(o instanceof byte[] bytes ? new String(bytes, StandardCharsets.UTF_8) : o);
        }
        return out.toString();
      }
      return reply instanceof byte[] bytes
          ? new String(bytes, StandardCharsets.UTF_8)
          : String.valueOf(reply);
    } catch (redis.clients.jedis.exceptions.JedisDataException e) {
      return e.getMessage();
    }
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
