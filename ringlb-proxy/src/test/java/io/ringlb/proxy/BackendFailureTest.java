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

  /**
   * Sends RING REMOVE id FORCE until it is accepted (up to 30 s), each refusal saying that the
   * backend has not been unreachable for force-after yet; returns the refusals.
   */
  private static java.util.List<String> forceWhenAllowed(Jedis jedis, String id, String needs)
      throws InterruptedException {
    java.util.List<String> refusals = new java.util.ArrayList<>();
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < until) {
      try {
        assertThat(ring(jedis, "REMOVE", id, "FORCE")).isEqualTo("OK");
        return refusals;
      } catch (JedisDataException e) {
        assertThat(e.getMessage())
            .contains("has been unreachable for ")
            .contains("; FORCE needs " + needs + " (force-after): try again in ");
        refusals.add(e.getMessage());
        Thread.sleep(100);
      }
    }
    throw new AssertionError("RING REMOVE " + id + " FORCE still refused: " + refusals);
  }

  @Test
  @Timeout(60)
  void ringRemoveForce_abandonsAStalledRemovalOfADeadBackend() throws Exception {
    startProxy(
        ProxyConfig.builder()
            .requestTimeout(Duration.ofSeconds(1))
            .forceAfter(Duration.ofSeconds(1)));
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

      assertThat(forceWhenAllowed(jedis, "1", "1 s")).isNotEmpty();

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
  void ringRemoveForce_ofADeadBackend_takesItOutOnceUnreachableForForceAfter() throws Exception {
    startProxy(
        ProxyConfig.builder()
            .requestTimeout(Duration.ofSeconds(1))
            .forceAfter(Duration.ofMillis(1500)));
    String lost = keyOf(2, true);
    String kept = keyOf(2, false);
    try (Jedis jedis = client()) {
      jedis.set(lost, "a");
      jedis.set(kept, "b");
      long killed = System.nanoTime(); // the clock starts at a failure after this
      redis.server(2).kill();
      assertThatThrownBy(() -> jedis.get(lost)).hasMessageContaining("backend 2");

      assertThat(forceWhenAllowed(jedis, "2", "1.5 s")).isNotEmpty();
      assertThat(Duration.ofNanos(System.nanoTime() - killed))
          .as("never before force-after")
          .isGreaterThanOrEqualTo(Duration.ofMillis(1500));

      assertThat(ring(jedis, "NODES")).doesNotContain("id=2 ");
      assertThat(jedis.get(lost)).isNull();
      assertThat(jedis.get(kept)).isEqualTo("b");
      assertThatThrownBy(() -> ring(jedis, "REMOVE", "2", "FORCE"))
          .hasMessageContaining("backend 2 is not in the ring");
      assertThatThrownBy(() -> ring(jedis, "REMOVE", "0", "NOW"))
          .hasMessageContaining("usage: RING REMOVE <id> [FORCE]");
    }
  }

  @Test
  @Timeout(60)
  void ringRemoveForce_ofAFrozenBackend_isRefusedAndItsKeysStay() throws Exception {
    startProxy(ProxyConfig.builder().requestTimeout(Duration.ofMillis(800)));
    String frozen = keyOf(2, true);
    try (Jedis jedis = client()) {
      jedis.set(frozen, "a");
      redis.server(2).pause();
      assertThatThrownBy(() -> jedis.get(frozen)).hasMessageContaining("did not answer within");

      // One missed timeout (and the probe FORCE makes) is not "gone": the default needs 30 s.
      assertThatThrownBy(() -> ring(jedis, "REMOVE", "2", "FORCE"))
          .isInstanceOf(JedisDataException.class)
          .hasMessageContaining("backend 2 (" + redis.server(2).address() + ")")
          .hasMessageContaining("has been unreachable for ")
          .hasMessageContaining("; FORCE needs 30 s (force-after): try again in ");
      assertThat(ring(jedis, "NODES")).contains("id=2 ");

      redis.server(2).resume();
      String value = null;
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (value == null && System.nanoTime() < until) {
        try {
          value = jedis.get(frozen);
        } catch (JedisDataException e) {
          Thread.sleep(50);
        }
      }
      assertThat(value).isEqualTo("a");
      assertThatThrownBy(() -> ring(jedis, "REMOVE", "2", "FORCE"))
          .hasMessageContaining("backend 2 (" + redis.server(2).address() + ") answers");
    }
  }

  @Test
  @Timeout(60)
  void ringRemoveForce_countsOnlyTheTimeSinceTheBackendLastAnswered() throws Exception {
    startProxy(
        ProxyConfig.builder()
            .requestTimeout(Duration.ofMillis(800))
            .forceAfter(Duration.ofSeconds(2)));
    String key = keyOf(1, true);
    try (Jedis jedis = client()) {
      jedis.set(key, "a");
      redis.server(1).pause();
      assertThatThrownBy(() -> jedis.get(key)).hasMessageContaining("did not answer within");
      long firstFailure = System.nanoTime();
      redis.server(1).resume();
      String value = null;
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (value == null && System.nanoTime() < until) {
        try {
          value = jedis.get(key); // it answers again: the clock stops
        } catch (JedisDataException e) {
          Thread.sleep(50);
        }
      }
      assertThat(value).isEqualTo("a");
      // More than force-after since the first failure, then the backend dies: it has been
      // unreachable only since now.
      while (System.nanoTime() - firstFailure < TimeUnit.MILLISECONDS.toNanos(2500)) {
        Thread.sleep(50);
      }
      redis.server(1).kill();
      assertThatThrownBy(() -> ring(jedis, "REMOVE", "1", "FORCE"))
          .hasMessageContaining("backend 1 (" + redis.server(1).address() + ")")
          .hasMessageMatching(".*has been unreachable for [01]\\.\\d s; FORCE needs 2 s .*");
      assertThat(ring(jedis, "NODES")).contains("id=1 ");
    }
  }
}
