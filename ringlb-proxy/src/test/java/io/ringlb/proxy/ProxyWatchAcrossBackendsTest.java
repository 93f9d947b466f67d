package io.ringlb.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.ringlb.server.testing.RedisServersExtension;
import java.util.function.Supplier;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import redis.clients.jedis.Jedis;

/**
 * WATCH of keys on several backends through the proxy: a transaction that writes nothing runs, and
 * answers nil when any watched key changed, wherever it lives; one that writes is refused unless
 * its watched keys live on its own backend.
 */
@Timeout(60)
class ProxyWatchAcrossBackendsTest {

  @RegisterExtension
  static final RedisServersExtension redis = RedisServersExtension.servers(3).flushBeforeEachTest();

  private static final Supplier<ProxyServer> proxy =
      redis.front(servers -> ProxyServer.start(ProxyFixtures.config(servers, 3).build()));

  /** Keys living on three different backends. */
  private String a;

  private String b;
  private String c;

  private static Jedis client() {
    return new Jedis("127.0.0.1", proxy.get().port(), 10_000);
  }

  private static String reply(Jedis jedis, String... args) {
    return ProxyFixtures.reply(jedis, args);
  }

  private static int holder(String key) {
    for (int id = 0; id < 3; id++) {
      try (Jedis direct = redis.server(id).client()) {
        if (direct.exists(key)) {
          return id;
        }
      }
    }
    return -1;
  }

  @BeforeEach
  void keysOnThreeBackends() {
    String[] on = new String[3];
    try (Jedis jedis = client()) {
      for (int i = 0; i < 500 && (on[0] == null || on[1] == null || on[2] == null); i++) {
        String key = MigrationTest.key(i);
        jedis.set(key, "v" + i);
        int id = holder(key);
        if (on[id] == null) {
          on[id] = key;
        }
      }
    }
    assertThat(on).doesNotContainNull();
    a = on[0];
    b = on[1];
    c = on[2];
  }

  @Test
  void aTransactionOfReads_runs_whenNoWatchedKeyChanged() {
    try (Jedis jedis = client()) {
      assertThat(reply(jedis, "WATCH", a, b)).isEqualTo("OK");
      assertThat(reply(jedis, "MULTI")).isEqualTo("OK");
      assertThat(reply(jedis, "GET", a)).isEqualTo("QUEUED");
      assertThat(reply(jedis, "PING")).isEqualTo("QUEUED");
      assertThat(reply(jedis, "EXEC")).isEqualTo("[" + jedis.get(a) + ", PONG]");
      // its keys on a backend where nothing is watched
      assertThat(reply(jedis, "WATCH", a)).isEqualTo("OK");
      assertThat(reply(jedis, "WATCH", b)).isEqualTo("OK");
      assertThat(reply(jedis, "MULTI")).isEqualTo("OK");
      assertThat(reply(jedis, "GET", c)).isEqualTo("QUEUED");
      assertThat(reply(jedis, "EXEC")).isEqualTo("[" + jedis.get(c) + "]");
    }
  }

  @Test
  void aWatchedKeyChanged_onTheTransactionsBackendOrAnother_execAnswersNil() {
    try (Jedis jedis = client();
        Jedis other = client()) {
      for (String changed : new String[] {a, b}) {
        assertThat(reply(jedis, "WATCH", a, b)).isEqualTo("OK");
        other.set(changed, "changed");
        assertThat(reply(jedis, "MULTI")).isEqualTo("OK");
        assertThat(reply(jedis, "GET", a)).isEqualTo("QUEUED");
        assertThat(reply(jedis, "EXEC")).as("after %s changed", changed).isEqualTo("null");
      }
      // EXEC forgot every watch, here and elsewhere
      other.set(b, "again");
      assertThat(reply(jedis, "MULTI")).isEqualTo("OK");
      assertThat(reply(jedis, "PING")).isEqualTo("QUEUED");
      assertThat(reply(jedis, "EXEC")).isEqualTo("[PONG]");
    }
  }

  @Test
  void unwatchForgetsTheWatchesOfEveryBackend() {
    try (Jedis jedis = client();
        Jedis other = client()) {
      assertThat(reply(jedis, "WATCH", a, b, c)).isEqualTo("OK");
      other.set(c, "changed");
      assertThat(reply(jedis, "UNWATCH")).isEqualTo("OK");
      assertThat(reply(jedis, "MULTI")).isEqualTo("OK");
      assertThat(reply(jedis, "GET", a)).isEqualTo("QUEUED");
      assertThat(reply(jedis, "EXEC")).isEqualTo("[" + jedis.get(a) + "]");
    }
  }

  @Test
  void aTransactionThatWrites_isRefused_unlessItsWatchedKeysLiveOnItsBackend() {
    try (Jedis jedis = client()) {
      String before = jedis.get(a);
      assertThat(reply(jedis, "WATCH", a, b)).isEqualTo("OK");
      assertThat(reply(jedis, "MULTI")).isEqualTo("OK");
      assertThat(reply(jedis, "SET", a, "new")).isEqualTo("QUEUED");
      assertThat(reply(jedis, "EXEC"))
          .isEqualTo(
              "CROSSSLOT ringlb: a transaction that writes must be routed as its WATCHed keys"
                  + " are; give them one hash tag");
      assertThat(jedis.get(a)).isEqualTo(before);
      // watched on its own backend only, it runs
      assertThat(reply(jedis, "WATCH", a)).isEqualTo("OK");
      assertThat(reply(jedis, "MULTI")).isEqualTo("OK");
      assertThat(reply(jedis, "SET", a, "new")).isEqualTo("QUEUED");
      assertThat(reply(jedis, "EXEC")).isEqualTo("[OK]");
      assertThat(jedis.get(a)).isEqualTo("new");
    }
  }
}
