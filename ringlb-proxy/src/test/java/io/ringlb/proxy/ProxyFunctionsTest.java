package io.ringlb.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.ringlb.server.testing.RedisServer;
import io.ringlb.server.testing.RedisServersExtension;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.args.FunctionRestorePolicy;

/** FUNCTION through the proxy: libraries on every backend, so FCALL works whatever its key. */
@Timeout(60)
class ProxyFunctionsTest {

  @RegisterExtension
  static final RedisServersExtension redis = RedisServersExtension.servers(3).flushBeforeEachTest();

  private static final Supplier<ProxyServer> proxy =
      redis.front(servers -> ProxyServer.start(ProxyFixtures.config(servers, 3).build()));

  private static final String LIBRARY =
      "#!lua name=counters\n"
          + "redis.register_function('bump', function(keys, args)"
          + " return redis.call('incr', keys[1]) end)";

  private static Jedis client() {
    return new Jedis("127.0.0.1", proxy.get().port(), 10_000);
  }

  private static List<?> librariesOn(RedisServer server) {
    try (Jedis direct = server.client()) {
      return direct.functionList();
    }
  }

  @Test
  void dumpAndRestore_bringTheLibrariesBackOnEveryBackend() {
    try (Jedis jedis = client()) {
      jedis.functionFlush();
      assertThat(jedis.functionLoad(LIBRARY)).isEqualTo("counters");
      assertThat(jedis.functionList()).hasSize(1);
      byte[] dump = jedis.functionDump();
      assertThat(jedis.functionFlush()).isEqualTo("OK");
      for (RedisServer server : redis.servers()) {
        assertThat(librariesOn(server)).isEmpty();
      }
      assertThat(jedis.functionRestore(dump, FunctionRestorePolicy.REPLACE)).isEqualTo("OK");
      for (RedisServer server : redis.servers()) {
        assertThat(librariesOn(server)).as("libraries on %s", server).hasSize(1);
      }
      for (int i = 0; i < 30; i++) {
        assertThat(jedis.fcall("bump", List.of(MigrationTest.key(i)), List.of())).isEqualTo(1L);
      }
      jedis.functionFlush();
    }
  }
}
