package io.ringlb.proxy;

import static org.assertj.core.api.Assertions.assertThat;

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

/**
 * Sentinel-managed shards behind the proxy: their primaries learnt from Sentinel, a kill -9 and a
 * SIGSTOP of a primary followed, and what acknowledged writes survive it.
 */
class SentinelFailoverTest {

  @RegisterExtension
  static final RedisSentinelExtension sentinel = RedisSentinelExtension.shards(3);

  private static final int KEYS = 40;

  private ProxyServer proxy;
  private final HashRing ring = HashRing.seed();

  @AfterEach
  void stop() {
    if (proxy != null) {
      proxy.close();
    }
  }

  private ProxyConfig.Builder config() {
    ProxyConfig.Builder b =
        ProxyConfig.builder().port(0).threads(2).requestTimeout(Duration.ofSeconds(2));
    for (String s : sentinel.sentinelAddresses()) {
      b.sentinel(s);
    }
    for (int i = 0; i < 2; i++) {
      b.backend(i + "=sentinel:" + RedisSentinelExtension.master(i));
      ring.addServer(i, Placement.MoveListener.NONE);
    }
    return b;
  }

  private Jedis client() {
    return new Jedis("127.0.0.1", proxy.port(), 20_000);
  }

  private int owner(String key) {
    return ring.serverFor(ring.hashKey(key.getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  @Timeout(60)
  void servesKeysOnThePrimariesSentinelNames() throws Exception {
    proxy = ProxyServer.start(config().build());
    try (Jedis jedis = client()) {
      for (int i = 0; i < KEYS; i++) {
        assertThat(jedis.set("k" + i, "v" + i)).isEqualTo("OK");
      }
      for (int i = 0; i < KEYS; i++) {
        assertThat(jedis.get("k" + i)).isEqualTo("v" + i);
      }
    }
    long stored = 0;
    for (int shard = 0; shard < 2; shard++) {
      RedisServer primary = sentinel.primary(shard);
      stored += primary.dbsize();
      try (Jedis j = primary.client()) {
        for (int i = 0; i < KEYS; i++) {
          if (owner("k" + i) == shard) {
            assertThat(j.get("k" + i)).as("k%d on %s", i, primary.address()).isEqualTo("v" + i);
          }
        }
      }
    }
    assertThat(stored).isEqualTo(KEYS);
    try (Jedis jedis = client()) {
      String nodes = nodes(jedis);
      assertThat(nodes)
          .contains("master=shard0 primary=" + sentinel.primary(0).address())
          .contains("master=shard1 primary=" + sentinel.primary(1).address());
      // Shard 2 joins live; its keys move to the primary Sentinel names for it.
      assertThat(
              jedis.sendCommand(
                  () -> "RING".getBytes(StandardCharsets.US_ASCII), "ADD", "2", "sentinel:shard2"))
          .isNotNull();
      ring.addServer(2, Placement.MoveListener.NONE);
      try (Jedis j = sentinel.primary(2).client()) {
        for (int i = 0; i < KEYS; i++) {
          if (owner("k" + i) == 2) {
            assertThat(j.get("k" + i)).as("k%d moved to shard2", i).isEqualTo("v" + i);
          }
        }
      }
      for (int i = 0; i < KEYS; i++) {
        assertThat(jedis.get("k" + i)).isEqualTo("v" + i);
      }
      assertThat(nodes(jedis)).contains("master=shard2 primary=" + sentinel.primary(2).address());
    }
  }

  private static String nodes(Jedis jedis) {
    Object reply = jedis.sendCommand(() -> "RING".getBytes(StandardCharsets.US_ASCII), "NODES");
    return new String((byte[]) reply, StandardCharsets.UTF_8);
  }

  @Test
  @Timeout(90)
  void kill9OfAPrimary_isFollowedAndAsyncLossIsCounted() throws Exception {
    proxy = ProxyServer.start(config().build());
    Traffic traffic = new Traffic();
    traffic.start();
    traffic.awaitAcks(200);
    RedisServer old = sentinel.primary(0);
    old.kill(); // returns once the process is gone
    long killedAt = System.nanoTime();
    String next = sentinel.awaitFailover(0, old.address(), Duration.ofSeconds(30));
    long firstWrite = traffic.awaitWriteOnShard(0, killedAt, Duration.ofSeconds(30));
    traffic.awaitAcks(traffic.acks() + 200);
    traffic.stop();
    Traffic.Result r = traffic.check();
    System.out.printf(
        "sentinel kill -9 (async): shard0 %s -> %s; first write through the proxy %d ms after the"
            + " kill (down-after-milliseconds %d); acknowledged writes %d, lost %d, stale reads"
            + " %d, failed requests %d%n",
        old.address(),
        next,
        (firstWrite - killedAt) / 1_000_000,
        sentinel.downAfterMillis(),
        traffic.acks(),
        r.lost(),
        r.stale(),
        traffic.failures());
    assertThat(r.writesAfter(killedAt)).isPositive();
    try (Jedis jedis = client()) {
      assertThat(nodes(jedis))
          .contains("master=shard0 primary=" + next)
          .contains("failovers=1 last_failover=" + old.address() + "->" + next + "@");
      assertThat(jedis.info("stats")).contains("sentinel_failovers:1");
      assertThat(jedis.info("ring")).contains(",master=shard0,primary=" + next);
    }
  }

  @Test
  @Timeout(90)
  void frozenPrimaryBackAsReplica_getsNoWriteAcknowledgedAfterTheSwitch() throws Exception {
    proxy = ProxyServer.start(config().build());
    String tagged = null;
    for (int i = 0; i < 1000 && tagged == null; i++) {
      if (owner("{t" + i + "}") == 0) {
        tagged = "{t" + i + "}";
      }
    }
    assertThat(tagged).isNotNull();
    RedisServer old = sentinel.primary(0);
    old.pause();
    String next;
    try {
      next = sentinel.awaitFailover(0, old.address(), Duration.ofSeconds(30));
    } catch (RuntimeException e) {
      old.resume();
      throw e;
    }
    List<String> acked = new ArrayList<>();
    try (Jedis jedis = client()) {
      // Writes after the switch: each acknowledged one must be on the new primary at the end.
      long deadline = System.nanoTime() + 30_000_000_000L;
      int n = 0;
      while (acked.size() < 20 && System.nanoTime() < deadline) {
        String key = tagged + "after" + n++;
        if (set(jedis, key)) {
          acked.add(key);
        }
      }
      assertThat(acked).as("writes acknowledged after the switch").hasSize(20);
      old.resume();
      // Keep writing while the old primary runs again and Sentinel turns it into a replica.
      deadline = System.nanoTime() + 30_000_000_000L;
      while (System.nanoTime() < deadline && !isReplicaOf(old, next)) {
        String key = tagged + "after" + n++;
        if (set(jedis, key)) {
          acked.add(key);
        }
      }
      assertThat(isReplicaOf(old, next)).as("%s came back as a replica", old.address()).isTrue();
    }
    RedisServer primary = sentinel.primary(0);
    assertThat(primary.address()).isEqualTo(next);
    try (Jedis j = primary.client()) {
      List<String> missing = acked.stream().filter(k -> !j.exists(k)).toList();
      System.out.printf(
          "sentinel SIGSTOP: shard0 %s -> %s; %d writes acknowledged after the switch, %d missing"
              + " from the new primary%n",
          old.address(), next, acked.size(), missing.size());
      assertThat(missing).isEmpty();
    }
  }

  private static boolean set(Jedis jedis, String key) {
    try {
      return "OK".equals(jedis.set(key, "1"));
    } catch (RuntimeException e) {
      return false;
    }
  }

  private static boolean isReplicaOf(RedisServer s, String primary) {
    try (Jedis j = s.client()) {
      String info = j.info("replication");
      int colon = primary.lastIndexOf(':');
      return info.contains("role:slave")
          && info.contains("master_port:" + primary.substring(colon + 1))
          && info.contains("master_link_status:up");
    } catch (RuntimeException e) {
      return false;
    }
  }

  /** One writer (each key with increasing values) and one reader through the proxy. */
  private final class Traffic {
    record Result(long lost, long stale, long writesAfterKill) {
      long writesAfter(long ignored) {
        return writesAfterKill;
      }
    }

    private final AtomicLongArray acked = new AtomicLongArray(KEYS);
    private final AtomicLongArray ackedAt = new AtomicLongArray(KEYS * 2);
    private final AtomicLong acks = new AtomicLong();
    private final AtomicLong failures = new AtomicLong();
    private final AtomicLong stale = new AtomicLong();
    private final AtomicLong lastShard0Ack = new AtomicLong();
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final List<Thread> threads = new ArrayList<>();
    private volatile long killedAt = Long.MAX_VALUE;
    private final AtomicLong afterKill = new AtomicLong();

    void start() {
      threads.add(new Thread(this::write, "writer"));
      threads.add(new Thread(this::read, "reader"));
      threads.forEach(Thread::start);
    }

    private void write() {
      long round = 1;
      Jedis jedis = client();
      while (running.get()) {
        for (int k = 0; k < KEYS && running.get(); k++) {
          try {
            if ("OK".equals(jedis.set("k" + k, Long.toString(round)))) {
              acked.set(k, round);
              acks.incrementAndGet();
              long now = System.nanoTime();
              if (owner("k" + k) == 0) {
                lastShard0Ack.set(now);
              }
              if (now - killedAt > 0) {
                afterKill.incrementAndGet();
              }
            }
          } catch (RuntimeException e) {
            failures.incrementAndGet();
            jedis.close();
            jedis = client();
          }
        }
        round++;
      }
      jedis.close();
    }

    private void read() {
      Jedis jedis = client();
      int k = 0;
      while (running.get()) {
        k = (k + 7) % KEYS;
        long floor = acked.get(k);
        try {
          String v = jedis.get("k" + k);
          if (v == null ? floor > 0 : Long.parseLong(v) < floor) {
            stale.incrementAndGet();
          }
        } catch (RuntimeException e) {
          jedis.close();
          jedis = client();
        }
      }
      jedis.close();
    }

    long acks() {
      return acks.get();
    }

    long failures() {
      return failures.get();
    }

    void awaitAcks(long n) throws InterruptedException {
      long deadline = System.nanoTime() + 30_000_000_000L;
      while (acks.get() < n && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      assertThat(acks.get()).as("acknowledged writes").isGreaterThanOrEqualTo(n);
    }

    /** Waits for a write acknowledged on {@code shard} after {@code since}; returns when. */
    long awaitWriteOnShard(int shard, long since, Duration timeout) throws InterruptedException {
      killedAt = since;
      long deadline = System.nanoTime() + timeout.toNanos();
      while (System.nanoTime() < deadline) {
        long at = lastShard0Ack.get();
        if (at - since > 0) {
          return at;
        }
        Thread.sleep(5);
      }
      throw new AssertionError("no write on shard " + shard + " succeeded after the failover");
    }

    void stop() throws InterruptedException {
      running.set(false);
      for (Thread t : threads) {
        t.join(30_000);
      }
    }

    /** Compares each key's last acknowledged value with what the proxy serves now. */
    Result check() {
      long lost = 0;
      try (Jedis jedis = client()) {
        for (int k = 0; k < KEYS; k++) {
          String v = jedis.get("k" + k);
          if (v == null ? acked.get(k) > 0 : Long.parseLong(v) < acked.get(k)) {
            lost++;
          }
        }
      }
      return new Result(lost, stale.get(), afterKill.get());
    }
  }
}
