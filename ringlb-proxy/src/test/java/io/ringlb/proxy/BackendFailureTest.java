package io.ringlb.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ringlb.core.HashRing;
import io.ringlb.core.Placement;
import io.ringlb.server.testing.RedisServersExtension;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisDataException;

/** A backend killed or frozen: its keys fail within the timeout, the others are still served. */
class BackendFailureTest {

  /** New servers for each test: the tests kill and freeze them. */
  @RegisterExtension
  static final RedisServersExtension redis = RedisServersExtension.servers(3).freshForEachTest();

  private ProxyServer proxy;
  private final HashRing ring = HashRing.seed();

  @BeforeEach
  void ring() {
    for (int i = 0; i < 3; i++) {
      ring.addServer(i, Placement.MoveListener.NONE);
    }
  }

  @AfterEach
  void stop() {
    if (proxy != null) {
      proxy.close();
    }
  }

  private void startProxy(ProxyConfig.Builder config) throws Exception {
    for (int i = 0; i < 3; i++) {
      config.backend(i + "=" + redis.server(i).address());
    }
    proxy = ProxyServer.start(config.port(0).threads(2).build());
  }

  private Jedis client() {
    return new Jedis("127.0.0.1", proxy.port(), 20_000);
  }

  private int owner(String key) {
    return ring.serverFor(ring.hashKey(key.getBytes(StandardCharsets.UTF_8)));
  }

  /** Returns a key owned by {@code id}, and one not. */
  private String keyOf(int id, boolean owned) {
    for (int i = 0; i < 10_000; i++) {
      String key = MigrationTest.key(i);
      if ((owner(key) == id) == owned) {
        return key;
      }
    }
    throw new AssertionError("no key for backend " + id);
  }

  @Test
  @Timeout(30)
  void kill9_failsItsKeysFastAndServesTheRest() throws Exception {
    startProxy(ProxyConfig.builder().requestTimeout(Duration.ofSeconds(2)));
    String lost = keyOf(1, true);
    String kept = keyOf(1, false);
    try (Jedis jedis = client()) {
      jedis.set(lost, "a");
      jedis.set(kept, "b");
      redis.server(1).kill();
      for (int attempt = 0; attempt < 3; attempt++) {
        long start = System.nanoTime();
        assertThatThrownBy(() -> jedis.get(lost))
            .isInstanceOf(JedisDataException.class)
            .hasMessageContaining("backend 1 (" + redis.server(1).address() + ")");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(4));
        assertThat(jedis.get(kept)).isEqualTo(attempt == 0 ? "b" : "c" + (attempt - 1));
        assertThat(jedis.set(kept, "c" + attempt)).isEqualTo("OK");
      }
      String nodes = new String((byte[]) jedis.sendCommand(() -> "RING".getBytes(), "NODES"));
      assertThat(nodes).containsPattern("id=1 .*state=down");
    }
  }

  @Test
  @Timeout(30)
  void frozenBackend_timesOutWithAClearErrorAndNeverHangs() throws Exception {
    startProxy(ProxyConfig.builder().requestTimeout(Duration.ofMillis(800)));
    String frozen = keyOf(2, true);
    String kept = keyOf(2, false);
    try (Jedis jedis = client()) {
      jedis.set(frozen, "a");
      redis.server(2).pause();
      long start = System.nanoTime();
      assertThatThrownBy(() -> jedis.get(frozen))
          .isInstanceOf(JedisDataException.class)
          .hasMessageContaining("did not answer within 800 ms");
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(4));
      // A pipeline mixing keys of the frozen backend and others: every reply comes, in order.
      var p = jedis.pipelined();
      var a = p.get(kept);
      var b = p.get(frozen);
      var c = p.set(kept, "z");
      p.sync();
      assertThat(a.get()).isNull();
      assertThatThrownBy(b::get).hasMessageContaining("did not answer");
      assertThat(c.get()).isEqualTo("OK");
      long before = System.nanoTime();
      assertThat(jedis.info("stats")).contains("total_commands_processed:");
      assertThat(Duration.ofNanos(System.nanoTime() - before))
          .as("INFO stats does not wait for the frozen backend")
          .isLessThan(Duration.ofMillis(700));
      assertThat(jedis.info("ring"))
          .containsPattern("backend2:[^\r]*,timeouts=[1-9]")
          .containsPattern("backend0:[^\r]*,timeouts=0,");
      redis.server(2).resume();
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      String value = null;
      while (System.nanoTime() < until) {
        try {
          value = jedis.get(frozen);
          break;
        } catch (JedisDataException e) {
          Thread.sleep(50);
        }
      }
      assertThat(value).isEqualTo("a");
    }
  }

  @Test
  @Timeout(30)
  void ejection_remapsTheKeysOfADeadBackend() throws Exception {
    startProxy(
        ProxyConfig.builder()
            .requestTimeout(Duration.ofSeconds(1))
            .ejectAfterFailures(2)
            .ejectRetry(Duration.ofSeconds(60)));
    String key = keyOf(0, true);
    try (Jedis jedis = client()) {
      redis.server(0).kill();
      String reply = null;
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (System.nanoTime() < until) {
        try {
          reply = jedis.set(key, "elsewhere");
          break;
        } catch (JedisDataException e) {
          assertThat(e.getMessage()).contains("backend 0");
          Thread.sleep(50);
        }
      }
      assertThat(reply).isEqualTo("OK");
      assertThat(jedis.get(key)).isEqualTo("elsewhere");
      String nodes = new String((byte[]) jedis.sendCommand(() -> "RING".getBytes(), "NODES"));
      assertThat(nodes).containsPattern("id=0 .*state=down");
      assertThat(redis.server(1).dbsize() + redis.server(2).dbsize()).isEqualTo(1);
    }
  }

  private static String ring(Jedis jedis, String... args) {
    Object reply = jedis.sendCommand(() -> "RING".getBytes(StandardCharsets.US_ASCII), args);
    return new String((byte[]) reply, StandardCharsets.UTF_8);
  }

  @Test
  @Timeout(60)
  void ringRemoveForce_abandonsAStalledRemovalOfADeadBackend() throws Exception {
    startProxy(ProxyConfig.builder().requestTimeout(Duration.ofSeconds(1)));
    String lost = keyOf(1, true);
    String kept = keyOf(1, false);
    try (Jedis jedis = client()) {
      jedis.set(lost, "a");
      jedis.set(kept, "b");
      assertThatThrownBy(() -> ring(jedis, "REMOVE", "1", "FORCE"))
          .isInstanceOf(JedisDataException.class)
          .hasMessageContaining("backend 1 (" + redis.server(1).address() + ") answers");
      redis.server(1).kill();
      assertThatThrownBy(() -> ring(jedis, "REMOVE", "1"))
          .isInstanceOf(JedisDataException.class)
          .hasMessageContaining("stalled");
      assertThatThrownBy(() -> ring(jedis, "REMOVE", "2"))
          .hasMessageContaining("a migration is already running (remove 1)");

      assertThat(ring(jedis, "REMOVE", "1", "FORCE")).isEqualTo("OK");

      assertThat(ring(jedis, "NODES")).doesNotContain("id=1 ").contains("id=0 ", "id=2 ");
      assertThat(jedis.info("migration")).contains("state=abandoned");
      assertThat(jedis.get(lost)).isNull(); // lost with its backend: a miss, not an error
      assertThat(jedis.get(kept)).isEqualTo("b");
      assertThat(jedis.set(lost, "c")).isEqualTo("OK");
      assertThat(jedis.get(lost)).isEqualTo("c");
      assertThat(redis.server(0).dbsize() + redis.server(2).dbsize()).isEqualTo(2);
    }
  }

  @Test
  @Timeout(60)
  void ringRemoveForce_ofADeadBackend_takesItOutAtOnce() throws Exception {
    startProxy(ProxyConfig.builder().requestTimeout(Duration.ofSeconds(1)));
    String lost = keyOf(2, true);
    String kept = keyOf(2, false);
    try (Jedis jedis = client()) {
      jedis.set(lost, "a");
      jedis.set(kept, "b");
      redis.server(2).kill();
      assertThatThrownBy(() -> jedis.get(lost)).hasMessageContaining("backend 2");

      assertThat(ring(jedis, "REMOVE", "2", "FORCE")).isEqualTo("OK");

      assertThat(ring(jedis, "NODES")).doesNotContain("id=2 ");
      assertThat(jedis.get(lost)).isNull();
      assertThat(jedis.get(kept)).isEqualTo("b");
      assertThatThrownBy(() -> ring(jedis, "REMOVE", "2", "FORCE"))
          .hasMessageContaining("backend 2 is not in the ring");
      assertThatThrownBy(() -> ring(jedis, "REMOVE", "0", "NOW"))
          .hasMessageContaining("usage: RING REMOVE <id> [FORCE]");
    }
  }
}
