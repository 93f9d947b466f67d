package io.ringlb.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.ringlb.server.User;
import io.ringlb.server.UserRole;
import io.ringlb.server.testing.RedisServer;
import io.ringlb.server.testing.RedisServersExtension;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisDataException;

/** CONFIG GET and SET through the proxy: the proxy's own parameters, and the backends'. */
@Timeout(60)
class BackendConfigTest {

  /** New servers for each test: the tests change their configuration and stop one. */
  @RegisterExtension
  static final RedisServersExtension redis = RedisServersExtension.servers(3).freshForEachTest();

  private ProxyServer proxy;

  @AfterEach
  void stop() {
    if (proxy != null) {
      proxy.close();
    }
  }

  private Jedis start(ProxyConfig.Builder config) throws Exception {
    proxy = ProxyServer.start(config.build());
    return new Jedis("127.0.0.1", proxy.port(), 10_000);
  }

  private static Object command(Jedis jedis, String... args) {
    Object reply =
        jedis.sendCommand(
            () -> args[0].getBytes(StandardCharsets.US_ASCII),
            Arrays.copyOfRange(args, 1, args.length));
    return reply instanceof byte[] b ? new String(b, StandardCharsets.UTF_8) : reply;
  }

  private static String error(Jedis jedis, String... args) {
    try {
      return "no error: " + command(jedis, args);
    } catch (JedisDataException e) {
      return e.getMessage();
    }
  }

  private static String backendValue(RedisServer server, String parameter) {
    try (Jedis direct = server.client()) {
      return direct.configGet(parameter).get(parameter);
    }
  }

  @Test
  void set_aRedisParameter_isSetOnEveryBackend() throws Exception {
    try (Jedis jedis = start(ProxyFixtures.config(redis.servers(), 3))) {
      assertThat(jedis.configSet("hash-max-listpack-entries", "17")).isEqualTo("OK");
      // Redis 7's several parameters at once
      assertThat(command(jedis, "CONFIG", "SET", "notify-keyspace-events", "KA", "hz", "20"))
          .isEqualTo("OK");
      for (RedisServer server : redis.servers()) {
        assertThat(backendValue(server, "hash-max-listpack-entries")).isEqualTo("17");
        assertThat(backendValue(server, "hz")).isEqualTo("20");
        // redis-server's own spelling of KA
        assertThat(backendValue(server, "notify-keyspace-events")).isEqualTo("AK");
      }
      assertThat(jedis.configGet("hash-max-listpack-entries"))
          .containsExactlyEntriesOf(Map.of("hash-max-listpack-entries", "17"));
    }
  }

  @Test
  void set_refusedByEveryBackendAlike_answersRedisServersOwnError() throws Exception {
    try (Jedis jedis = start(ProxyFixtures.config(redis.servers(), 3));
        Jedis oracle = redis.server(0).client()) {
      for (String[] bad :
          new String[][] {
            {"CONFIG", "SET", "no-such-parameter", "1"},
            {"CONFIG", "SET", "maxmemory", "not-a-size"},
            {"CONFIG", "SET", "hz", "10", "hz", "11"},
            {"CONFIG", "SET", "daemonize", "yes"},
          }) {
        assertThat(error(jedis, bad)).as(String.join(" ", bad)).isEqualTo(error(oracle, bad));
      }
      assertThat(error(jedis, "CONFIG", "SET", "hz"))
          .isEqualTo("ERR wrong number of arguments for 'config|set' command");
      assertThat(error(jedis, "CONFIG", "SET", "hz", "10", "maxmemory"))
          .isEqualTo(error(oracle, "CONFIG", "SET", "hz", "10", "maxmemory"));
    }
  }

  @Test
  void set_notTakenByEveryBackend_namesThoseThatDidNot() throws Exception {
    try (Jedis jedis = start(ProxyFixtures.config(redis.servers(), 3))) {
      redis.server(2).kill();
      String refusal = error(jedis, "CONFIG", "SET", "hz", "25");
      assertThat(refusal)
          .startsWith("ERR ringlb: CONFIG SET was not taken by backend 2 (")
          .contains(redis.server(2).address())
          .endsWith("; taken by backends 0, 1");
      assertThat(backendValue(redis.server(0), "hz")).isEqualTo("25");
      assertThat(backendValue(redis.server(1), "hz")).isEqualTo("25");
    }
  }

  @Test
  void proxysOwnParameters_answerFromTheProxy_andCannotBeSet() throws Exception {
    try (Jedis jedis = start(ProxyFixtures.config(redis.servers(), 3).maxClients(77))) {
      Map<String, String> own = jedis.configGet("maxclients");
      assertThat(own).containsExactlyEntriesOf(Map.of("maxclients", "77"));
      assertThat(jedis.configGet("port").get("port")).isEqualTo(Integer.toString(proxy.port()));
      // A pattern: the proxy's port, then the backend's parameters, never a backend's port.
      Map<String, String> pattern = jedis.configGet("*max*");
      assertThat(pattern).containsEntry("maxclients", "77").containsKey("maxmemory");
      assertThat(jedis.configGet("p*")).containsEntry("port", Integer.toString(proxy.port()));
      assertThat(error(jedis, "CONFIG", "SET", "maxclients", "10"))
          .isEqualTo(
              "ERR CONFIG SET failed (possibly related to argument 'maxclients') - can't set"
                  + " immutable config");
      // A backend's requirepass would cut the proxy off: it is the proxy's own.
      assertThat(error(jedis, "CONFIG", "SET", "hz", "12", "requirepass", "x"))
          .contains("argument 'requirepass'");
      assertThat(backendValue(redis.server(0), "hz")).as("nothing set").isEqualTo("10");
      assertThat(backendValue(redis.server(0), "maxclients")).isNotEqualTo("77");
    }
  }

  @Test
  void get_neverShowsABackendsSecrets() throws Exception {
    for (RedisServer server : redis.servers()) {
      try (Jedis direct = server.client()) {
        direct.configSet("masterauth", "replication-secret");
      }
    }
    try (Jedis jedis = start(ProxyFixtures.config(redis.servers(), 3))) {
      assertThat(jedis.configGet("masterauth")).containsExactlyEntriesOf(Map.of("masterauth", ""));
      assertThat(jedis.configGet("*").values()).doesNotContain("replication-secret");
    }
  }

  @Test
  void set_isForAdmins() throws Exception {
    ProxyConfig.Builder config =
        ProxyFixtures.config(redis.servers(), 3)
            .user(User.withPassword("app", "app-secret", UserRole.DATA));
    try (Jedis jedis = start(config)) {
      jedis.auth("app", "app-secret");
      assertThat(error(jedis, "CONFIG", "SET", "hz", "30"))
          .isEqualTo("NOPERM this user has no permissions to run the 'config|set' command");
      for (RedisServer server : redis.servers()) {
        assertThat(backendValue(server, "hz")).isEqualTo("10");
      }
    }
  }

  @Test
  void get_whenOnlyTheProxysOwnAreNamed_asksNoBackend() throws Exception {
    try (Jedis jedis = start(ProxyFixtures.config(redis.servers(), 1))) {
      redis.server(0).kill();
      assertThat(jedis.configGet("maxclients", "bind"))
          .isEqualTo(Map.of("maxclients", "10000", "bind", "127.0.0.1"));
    }
  }
}
