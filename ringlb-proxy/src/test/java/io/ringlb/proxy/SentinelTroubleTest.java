package io.ringlb.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ringlb.core.HashRing;
import io.ringlb.core.Placement;
import io.ringlb.server.testing.RedisSentinelExtension;
import io.ringlb.server.testing.RedisServer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisDataException;

/**
 * Sentinel shards in trouble: one sentinel of three down changes nothing (a failover is still
 * followed), and a shard left with no primary fails its own requests within the request timeout,
 * naming itself, while the other shards go on serving.
 */
class SentinelTroubleTest {

  @RegisterExtension
  static final RedisSentinelExtension sentinel = RedisSentinelExtension.shards(2);

  private ProxyServer proxy;
  private final HashRing ring = HashRing.seed();

  @AfterEach
  void stop() {
    if (proxy != null) {
      proxy.close();
    }
  }

  private void start() throws Exception {
    ProxyConfig.Builder b =
        ProxyConfig.builder().port(0).threads(2).requestTimeout(Duration.ofSeconds(2));
    for (String s : sentinel.sentinelAddresses()) {
      b.sentinel(s);
    }
    for (int i = 0; i < 2; i++) {
      b.backend(i + "=sentinel:" + RedisSentinelExtension.master(i));
      ring.addServer(i, Placement.MoveListener.NONE);
    }
    proxy = ProxyServer.start(b.build());
  }

  private Jedis client() {
    return new Jedis("127.0.0.1", proxy.port(), 20_000);
  }

  /** The first key {@code k0, k1, ...} the ring gives to shard {@code shard}. */
  private String keyOf(int shard) {
    for (int i = 0; i < 10_000; i++) {
      String k = "k" + i;
      if (ring.serverFor(ring.hashKey(k.getBytes(StandardCharsets.UTF_8))) == shard) {
        return k;
      }
    }
    throw new AssertionError("no key of shard " + shard);
  }

  @Test
  @Timeout(90)
  void oneSentinelDown_aFailoverIsStillFollowed() throws Exception {
    start();
    String key = keyOf(0);
    try (Jedis jedis = client()) {
      assertThat(jedis.set(key, "before")).isEqualTo("OK");
      try (Jedis p = sentinel.primary(0).client()) {
        assertThat(p.waitReplicas(1, 10_000)).isOne();
      }
      sentinel.sentinel(0).kill();
      RedisServer old = sentinel.primary(0);
      old.kill();
      String next = sentinel.awaitFailover(0, old.address(), Duration.ofSeconds(30));

      String written = null;
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      for (int i = 0; i < 3_000 && written == null && System.nanoTime() < deadline; i++) {
        try {
          written = jedis.set(key, "after");
        } catch (JedisDataException e) {
          Thread.sleep(10); // no primary yet, or the old one: the proxy is re-pointing
        }
      }
      assertThat(written).as("a write through the proxy after the failover").isEqualTo("OK");
      assertThat(jedis.get(key)).isEqualTo("after");
      try (Jedis p = sentinel.primary(0).client()) {
        assertThat(sentinel.primary(0).address()).isEqualTo(next);
        assertThat(p.get(key)).as("the write is on the new primary").isEqualTo("after");
      }
    }
  }

  @Test
  @Timeout(90)
  void shardWithNoPrimary_failsItsRequestsWithinTheTimeout_othersServed() throws Exception {
    start();
    String lost = keyOf(0);
    String kept = keyOf(1);
    try (Jedis jedis = client()) {
      assertThat(jedis.set(lost, "v")).isEqualTo("OK");
      assertThat(jedis.set(kept, "w")).isEqualTo("OK");
      // Neither the primary nor its only replica: Sentinel has nothing to promote.
      sentinel.replica(0).kill();
      sentinel.primary(0).kill();

      long t0 = System.nanoTime();
      assertThatThrownBy(() -> jedis.get(lost))
          .isInstanceOf(JedisDataException.class)
          .hasMessageContaining("shard0");
      long waitedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
      assertThat(waitedMillis)
          .as("failed within the request timeout and a margin")
          .isLessThan(15_000);
      assertThat(jedis.get(kept)).as("the other shard serves").isEqualTo("w");
      assertThat(jedis.set(kept, "w2")).isEqualTo("OK");
    }
  }
}
