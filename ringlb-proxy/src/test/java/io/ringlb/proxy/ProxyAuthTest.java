package io.ringlb.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ringlb.server.testing.RedisServersExtension;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisDataException;

/** A proxy with requirepass in front of redis-servers that require a password of their own. */
class ProxyAuthTest {

  @RegisterExtension static final RedisServersExtension redis = RedisServersExtension.servers(2);

  /** The proxy, started once the backends require their password. */
  private static final Supplier<ProxyServer> proxy =
      redis.front(
          servers -> {
            ProxyConfig.Builder config =
                ProxyConfig.builder()
                    .port(0)
                    .threads(1)
                    .requirePass("s3cret")
                    .backendPassword("backend-pw");
            for (int i = 0; i < servers.size(); i++) {
              try (Jedis direct = servers.get(i).client()) {
                direct.configSet("requirepass", "backend-pw");
              }
              config.backend(i + "=" + servers.get(i).address());
            }
            return ProxyServer.start(config.build());
          });

  private static String exchange(String request) throws Exception {
    return ProxyFixtures.exchange(proxy.get().port(), request);
  }

  @Test
  void commands_refusedUntilAuthenticated_thenReachTheBackendsWithTheirPassword() throws Exception {
    assertThat(exchange("GET k\r\nAUTH wrong\r\nAUTH s3cret\r\nSET k v\r\nGET k\r\nQUIT\r\n"))
        .isEqualTo(
            "-NOAUTH Authentication required.\r\n"
                + "-WRONGPASS invalid username-password pair or user is disabled.\r\n"
                + "+OK\r\n+OK\r\n$1\r\nv\r\n+OK\r\n");
    try (Jedis jedis = new Jedis("127.0.0.1", proxy.get().port(), 5000)) {
      assertThatThrownBy(() -> jedis.get("k"))
          .isInstanceOf(JedisDataException.class)
          .hasMessageContaining("NOAUTH");
      jedis.auth("s3cret");
      assertThat(jedis.get("k")).isEqualTo("v");
      String[] pairs = new String[24];
      for (int i = 0; i < pairs.length; i += 2) {
        pairs[i] = "m" + i;
        pairs[i + 1] = "x".repeat(20_000); // past the limits of an unauthenticated request
      }
      assertThat(jedis.mset(pairs)).isEqualTo("OK");
      assertThat(jedis.get("m22")).hasSize(20_000);
    }
  }

  @Test
  void helloAuth3_logsIn_andTheBackendsRESP3ConnectionsAuthenticateBeforeHello() throws Exception {
    String reply =
        exchange(
            "HELLO 3 AUTH default s3cret\r\nDEL h3\r\nGET h3\r\nHSET h3 f v\r\nHGETALL h3\r\n"
                + "QUIT\r\n");
    assertThat(reply).startsWith("%7\r\n").contains("$5\r\nproto\r\n:3\r\n");
    assertThat(reply.substring(reply.indexOf("*0\r\n") + 4))
        .as("after HELLO's map (whose last element is modules' empty array)")
        .isEqualTo(":0\r\n_\r\n:1\r\n%1\r\n$1\r\nf\r\n$1\r\nv\r\n+OK\r\n");
  }

  @Test
  void unauthenticatedClient_cannotSendLargeRequests() throws Exception {
    // Redis's limits before AUTH: at most 10 elements, bulk strings of at most 16 KB; the
    // connection is closed before anything of the request is buffered.
    assertThat(exchange("*11\r\n$3\r\nDEL\r\n"))
        .isEqualTo("-ERR Protocol error: unauthenticated multibulk length\r\n");
    assertThat(exchange("*2\r\n$3\r\nGET\r\n$16385\r\n"))
        .isEqualTo("-ERR Protocol error: unauthenticated bulk length\r\n");
    assertThat(exchange("*1048576\r\n"))
        .isEqualTo("-ERR Protocol error: unauthenticated multibulk length\r\n");
  }

  @Test
  void inlineCommands_followRedisQuoting() throws Exception {
    assertThat(
            exchange(
                "AUTH s3cret\r\nSET \"a b\" 'c d'\r\nGET \"a b\"\r\n"
                    + "ECHO \"\\x41\\n\"\r\nQUIT\r\n"))
        .isEqualTo("+OK\r\n+OK\r\n$3\r\nc d\r\n$2\r\nA\n\r\n+OK\r\n");
    assertThat(exchange("AUTH s3cret\r\nSET \"unbalanced k\r\n"))
        .isEqualTo("+OK\r\n-ERR Protocol error: unbalanced quotes in request\r\n");
  }
}
