package io.ringlb.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ringlb.core.HashRing;
import io.ringlb.core.Placement;
import io.ringlb.server.testing.RedisSentinelExtension;
import io.ringlb.server.testing.RedisServer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.Response;
import redis.clients.jedis.exceptions.JedisDataException;

/**
 * {@code durability: replicated} over Sentinel shards of a primary and one replica: writes
 * acknowledged only once the replica has them, so a kill -9 failover loses none of them (and the
 * promoted replica, alone now, gets its writes refused rather than acknowledged); a shard whose
 * replica is gone answers an error naming it; a pipeline of writes costs one WAIT.
 */
class DurabilityTest {

  @RegisterExtension
  static final RedisSentinelExtension sentinel = RedisSentinelExtension.shards(2);

  private static final int KEYS = 40;

  private ProxyServer proxy;
  private final HashRing ring = HashRing.seed();

  @AfterEach
  void stop() {
    if (proxy != null) {
      proxy.close();
    }
  }

  private ProxyServer start() throws Exception {
    ProxyConfig.Builder b =
        ProxyConfig.builder()
            .port(0)
            .threads(2)
            .requestTimeout(Duration.ofSeconds(3))
            .durability(
                Durability.ASYNC
                    .withMode(Durability.Mode.REPLICATED)
                    .withMinReplicas(1)
                    .withTimeout(Duration.ofMillis(1000)));
    for (String s : sentinel.sentinelAddresses()) {
      b.sentinel(s);
    }
    for (int i = 0; i < 2; i++) {
      b.backend(i + "=sentinel:" + RedisSentinelExtension.master(i));
      ring.addServer(i, Placement.MoveListener.NONE);
    }
    proxy = ProxyServer.start(b.build());
    return proxy;
  }

  private Jedis client() {
    return new Jedis("127.0.0.1", proxy.port(), 20_000);
  }

  private int owner(String key) {
    return ring.serverFor(ring.hashKey(key.getBytes(StandardCharsets.UTF_8)));
  }

  private String keyOn(int shard, String prefix) {
    for (int i = 0; i < 10_000; i++) {
      if (owner(prefix + i) == shard) {
        return prefix + i;
      }
    }
    throw new AssertionError("no key on shard " + shard);
  }

  private static long calls(RedisServer s, String command) {
    try (Jedis j = s.client()) {
      for (String line : j.info("commandstats").split("\r\n")) {
        if (line.startsWith("cmdstat_" + command + ":calls=")) {
          int from = line.indexOf('=') + 1;
          return Long.parseLong(line.substring(from, line.indexOf(',', from)));
        }
      }
      return 0;
    }
  }

  @Test
  @Timeout(90)
  void kill9OfAPrimary_losesNoAcknowledgedWrite() throws Exception {
    start();
    String[] keys = new String[KEYS];
    for (int n = 0; n < KEYS; n++) {
      keys[n] = keyOn(n % 2, "k" + n + ":"); // half the keys on each shard
    }
    AtomicLongArray acked = new AtomicLongArray(KEYS);
    AtomicLong acks = new AtomicLong();
    AtomicLong failures = new AtomicLong();
    AtomicLong afterKill = new AtomicLong();
    AtomicLong killedAt = new AtomicLong(Long.MAX_VALUE);
    java.util.concurrent.atomic.AtomicReference<String> lastError =
        new java.util.concurrent.atomic.AtomicReference<>("");
    java.util.concurrent.atomic.AtomicReference<String> otherError =
        new java.util.concurrent.atomic.AtomicReference<>("");
    AtomicBoolean running = new AtomicBoolean(true);
    Thread writer =
        new Thread(
            () -> {
              Jedis jedis = client();
              for (long round = 1; running.get() && round < 1_000_000; round++) {
                for (int k = 0; k < KEYS && running.get(); k++) {
                  try {
                    if ("OK".equals(jedis.set(keys[k], Long.toString(round)))) {
                      acked.set(k, round);
                      acks.incrementAndGet();
                      if (owner(keys[k]) != 0 && System.nanoTime() - killedAt.get() > 0) {
                        afterKill.incrementAndGet();
                      }
                    }
                  } catch (RuntimeException e) {
                    failures.incrementAndGet();
                    (owner(keys[k]) == 0 ? lastError : otherError)
                        .set(String.valueOf(e.getMessage()));
                    jedis.close();
                    jedis = client();
                  }
                }
              }
              jedis.close();
            },
            "writer");
    writer.start();
    try {
      awaitAtLeast(acks, 200);
      RedisServer old = sentinel.primary(0);
      old.kill();
      killedAt.set(System.nanoTime());
      String next = sentinel.awaitFailover(0, old.address(), Duration.ofSeconds(30));
      // Shard 0 is now its new primary alone: its writes are refused, never falsely
      // acknowledged, while shard 1 goes on.
      long deadline = System.nanoTime() + 30_000_000_000L;
      String refused = "NOREPLICAS ringlb: backend 0 (sentinel:shard0) at " + next;
      while (!lastError.get().startsWith(refused) && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      assertThat(lastError.get()).startsWith(refused);
      awaitAtLeast(afterKill, 5, otherError); // shard 0 keys take the WAIT timeout each
      running.set(false);
      writer.join(30_000);
      assertThat(writer.isAlive()).isFalse();
      long lost = 0;
      long staleOnNewPrimary = 0;
      try (Jedis jedis = client();
          Jedis direct = sentinel.primary(0).client()) {
        for (int k = 0; k < KEYS; k++) {
          String v = jedis.get(keys[k]);
          if (v == null ? acked.get(k) > 0 : Long.parseLong(v) < acked.get(k)) {
            lost++;
          }
          if (owner(keys[k]) == 0) {
            String d = direct.get(keys[k]);
            if (d == null || Long.parseLong(d) < acked.get(k)) {
              staleOnNewPrimary++;
            }
          }
        }
      }
      System.out.printf(
          "durability replicated, kill -9: shard0 %s -> %s; acknowledged writes %d (%d on shard1"
              + " after the kill), failed requests %d, lost %d%n",
          old.address(), next, acks.get(), afterKill.get(), failures.get(), lost);
      assertThat(lost).as("acknowledged writes lost").isZero();
      assertThat(staleOnNewPrimary).as("keys of shard0 behind on the new primary").isZero();
    } finally {
      running.set(false);
      writer.join(30_000);
    }
  }

  @Test
  @Timeout(60)
  void shardWithoutItsReplica_answersAnErrorNamingIt() throws Exception {
    start();
    String on0 = keyOn(0, "a");
    String on1 = keyOn(1, "b");
    RedisServer replica = sentinel.replica(0);
    String primary = sentinel.primary(0).address();
    try (Jedis jedis = client()) {
      assertThat(jedis.set(on0, "1")).isEqualTo("OK");
      replica.kill();
      assertThatThrownBy(() -> jedis.set(on0, "2"))
          .isInstanceOf(JedisDataException.class)
          .hasMessageStartingWith("NOREPLICAS ringlb: backend 0 ")
          .hasMessageContaining(primary)
          .hasMessageContaining("not acknowledged by 1 replica within 1000 ms")
          .hasMessageContaining("may or may not have been applied");
      // Reads are not held, other shards are untouched, and the errors are counted.
      assertThat(jedis.get(on0)).isEqualTo("2");
      assertThat(jedis.set(on1, "1")).isEqualTo("OK");
      assertThat(jedis.info("stats")).contains("writes_unreplicated:1");
      assertThat(jedis.info("ring")).contains(",unreplicated=1");
    }
  }

  @Test
  @Timeout(60)
  void aPipelineOfWrites_isFollowedByOneWaitNotOnePerWrite() throws Exception {
    start();
    int writes = 200;
    List<String> keys = new ArrayList<>();
    for (int i = 0; keys.size() < writes; i++) {
      if (owner("p" + i) == 0) {
        keys.add("p" + i);
      }
    }
    RedisServer primary = sentinel.primary(0);
    long waitsBefore = calls(primary, "wait");
    long getsBefore = calls(primary, "get");
    try (Jedis jedis = client()) {
      Pipeline p = jedis.pipelined();
      List<Response<String>> replies = new ArrayList<>();
      for (String k : keys) {
        replies.add(p.set(k, "v"));
        p.get(k);
      }
      p.sync();
      for (Response<String> r : replies) {
        assertThat(r.get()).isEqualTo("OK");
      }
    }
    long waits = calls(primary, "wait") - waitsBefore;
    assertThat(calls(primary, "get") - getsBefore).isEqualTo(writes);
    System.out.printf("durability replicated: %d pipelined writes, %d WAITs%n", writes, waits);
    assertThat(waits).isPositive().isLessThan(writes);
    try (Jedis j = sentinel.replica(0).client()) {
      for (String k : keys) {
        assertThat(j.get(k)).as("%s on the replica", k).isEqualTo("v");
      }
    }
  }

  private static void awaitAtLeast(
      AtomicLong counter, long n, java.util.concurrent.atomic.AtomicReference<String> error)
      throws InterruptedException {
    long deadline = System.nanoTime() + 60_000_000_000L;
    while (counter.get() < n && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertThat(counter.get()).as("last error: %s", error.get()).isGreaterThanOrEqualTo(n);
  }

  private static void awaitAtLeast(AtomicLong counter, long n) throws InterruptedException {
    long deadline = System.nanoTime() + 30_000_000_000L;
    while (counter.get() < n && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertThat(counter.get()).isGreaterThanOrEqualTo(n);
  }
}
