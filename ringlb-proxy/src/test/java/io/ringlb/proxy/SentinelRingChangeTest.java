package io.ringlb.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.ringlb.server.testing.RedisSentinelExtension;
import io.ringlb.server.testing.RedisServer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import redis.clients.jedis.Jedis;

/**
 * A failover of a shard a migration moves keys from, during RING ADD and during RING REMOVE, and of
 * the shard it moves keys to during RING ADD: the migration stalls while the shard has no primary
 * and resumes against the new one, and at the end every key is on exactly one primary, with its
 * value.
 */
class SentinelRingChangeTest {

  @RegisterExtension
  static final RedisSentinelExtension sentinel = RedisSentinelExtension.shards(3);

  private static final int KEYS = 600;

  private ProxyServer proxy;

  @AfterEach
  void stop() {
    if (proxy != null) {
      proxy.close();
    }
  }

  private void start(int backends) throws Exception {
    ProxyConfig.Builder b =
        ProxyConfig.builder()
            .port(0)
            .threads(2)
            .requestTimeout(Duration.ofSeconds(3))
            .migrationBatch(10)
            .migrationRate(150); // a few seconds of migration, long enough to fail over inside
    for (String s : sentinel.sentinelAddresses()) {
      b.sentinel(s);
    }
    for (int i = 0; i < backends; i++) {
      b.backend(i + "=sentinel:" + RedisSentinelExtension.master(i));
    }
    proxy = ProxyServer.start(b.build());
  }

  private Jedis client() {
    return new Jedis("127.0.0.1", proxy.port(), 30_000);
  }

  private static Object ring(Jedis jedis, String... args) {
    return jedis.sendCommand(() -> "RING".getBytes(StandardCharsets.US_ASCII), args);
  }

  /** Writes the keys and waits until every shard's replica has them. */
  private void writeKeys(int shards) {
    try (Jedis jedis = client()) {
      for (int i = 0; i < KEYS; i++) {
        assertThat(jedis.set("k" + i, "v" + i)).isEqualTo("OK");
      }
    }
    for (int shard = 0; shard < shards; shard++) {
      try (Jedis j = sentinel.primary(shard).client()) {
        assertThat(j.waitReplicas(1, 10_000)).as("replica of shard %d caught up", shard).isOne();
      }
    }
  }

  /** Runs a ring change on its own connection; its reply comes when the migration is done. */
  private CompletableFuture<Object> change(String... args) {
    return CompletableFuture.supplyAsync(
        () -> {
          try (Jedis jedis = client()) {
            return ring(jedis, args);
          } catch (RuntimeException e) {
            return e;
          }
        });
  }

  /** Waits (bounded) until the running migration has moved some keys. */
  private void awaitMigrationMoving() throws InterruptedException {
    long deadline = System.nanoTime() + 30_000_000_000L;
    try (Jedis jedis = client()) {
      while (System.nanoTime() < deadline) {
        String info = jedis.info("migration");
        if (info.contains("migrations_running:1") && !info.contains(",keys_moved=0,")) {
          return;
        }
        Thread.sleep(20);
      }
    }
    throw new AssertionError("no migration moving keys");
  }

  /** Waits (bounded) until no migration runs. */
  private void awaitMigrationDone() throws InterruptedException {
    long deadline = System.nanoTime() + 60_000_000_000L;
    try (Jedis jedis = client()) {
      while (System.nanoTime() < deadline) {
        if (jedis.info("migration").contains("migrations_running:0")) {
          return;
        }
        Thread.sleep(50);
      }
      throw new AssertionError("the migration did not end: " + jedis.info("migration"));
    }
  }

  /** Kills shard {@code i}'s primary and waits for Sentinel to name another; returns it. */
  private String failOver(int shard) throws Exception {
    RedisServer old = sentinel.primary(shard);
    old.kill();
    return sentinel.awaitFailover(shard, old.address(), Duration.ofSeconds(30));
  }

  /** Every key on exactly one of {@code shards}' primaries, and read through the proxy. */
  private void assertEveryKeyOnce(int... shards) {
    long total = 0;
    List<String> counts = new ArrayList<>();
    for (int shard : shards) {
      long n = sentinel.primary(shard).dbsize();
      counts.add("shard" + shard + "=" + n);
      total += n;
    }
    assertThat(total).as("keys on the primaries (%s)", counts).isEqualTo(KEYS);
    try (Jedis jedis = client()) {
      for (int i = 0; i < KEYS; i++) {
        assertThat(jedis.get("k" + i)).as("k%d", i).isEqualTo("v" + i);
      }
    }
    System.out.printf("sentinel ring change: keys per primary %s%n", counts);
  }

  @Test
  @Timeout(120)
  void failoverOfASourceDuringRingAdd_losesAndDoublesNoKey() throws Exception {
    start(2);
    writeKeys(2);
    CompletableFuture<Object> add = change("ADD", "2", "sentinel:shard2");
    awaitMigrationMoving();
    String next = failOver(0);
    Object reply = add.get(90, TimeUnit.SECONDS);
    assertThat(reply).as("RING ADD's reply").isNotInstanceOf(Throwable.class);
    try (Jedis jedis = client()) {
      assertThat(jedis.info("migration")).contains("migrations_running:0");
      assertThat(new String((byte[]) ring(jedis, "NODES"), StandardCharsets.UTF_8))
          .contains("master=shard0 primary=" + next)
          .contains("master=shard2 primary=");
    }
    assertEveryKeyOnce(0, 1, 2);
  }

  /**
   * The shard joining fails over while keys are in flight to it: its replica is frozen and cut off
   * from the primary (CLIENT KILL of the replication link), so what reaches the primary meanwhile
   * is on the primary only when it is killed. A MIGRATE would have deleted those keys from their
   * source (lost); copied, waited for and only then deleted, they are still on the source and move
   * to the new primary.
   */
  @Test
  @Timeout(120)
  void failoverOfTheTargetDuringRingAdd_losesAndDoublesNoKey() throws Exception {
    start(2);
    writeKeys(2);
    CompletableFuture<Object> add = change("ADD", "2", "sentinel:shard2");
    awaitMigrationMoving();
    RedisServer replica = sentinel.replica(2);
    RedisServer old = sentinel.primary(2);
    replica.pause(); // it cannot reconnect: keys reaching the primary now are not replicated
    try (Jedis j = old.client()) {
      j.sendCommand(
          redis.clients.jedis.Protocol.Command.CLIENT, "KILL", "TYPE", "replica"); // its link
    }
    long before = old.dbsize();
    Thread.sleep(500); // shorter than down-after-milliseconds: the replica stays promotable
    long inFlight = old.dbsize() - before;
    old.kill();
    replica.resume();
    String next = sentinel.awaitFailover(2, old.address(), Duration.ofSeconds(30));
    Object reply = add.get(90, TimeUnit.SECONDS);
    if (reply instanceof Throwable t) {
      // The joining shard had no primary for longer than the request timeout: RING ADD answered
      // that the migration stalled and keeps retrying; it goes on against the new primary.
      assertThat(t).hasMessageContaining("stalled").hasMessageContaining("keeps retrying");
      awaitMigrationDone();
    }
    try (Jedis jedis = client()) {
      assertThat(jedis.info("migration")).contains("migrations_running:0");
      assertThat(new String((byte[]) ring(jedis, "NODES"), StandardCharsets.UTF_8))
          .contains("master=shard2 primary=" + next);
    }
    System.out.printf(
        "sentinel target failover: %d keys reached the joining primary with its replica cut off%n",
        inFlight);
    assertEveryKeyOnce(0, 1, 2);
  }

  /**
   * RING ABORT of a RING ADD of a Sentinel shard: the keys moved are copied back to their owners
   * before it (the undoing migration copies, waits for the replicas, then deletes), each once.
   */
  @Test
  @Timeout(120)
  void abortOfARingAddOfASentinelShard_movesEveryKeyBackOnce() throws Exception {
    start(2);
    writeKeys(2);
    CompletableFuture<Object> add = change("ADD", "2", "sentinel:shard2");
    awaitMigrationMoving();
    try (Jedis jedis = client()) {
      Object reply = ring(jedis, "ABORT");
      String text = reply instanceof byte[] b ? new String(b, StandardCharsets.UTF_8) : "" + reply;
      assertThat(text).as("RING ABORT's reply").startsWith("aborted add 2");
    }
    assertThat(String.valueOf(add.get(60, TimeUnit.SECONDS))).contains("aborted");
    awaitMigrationDone();
    assertThat(sentinel.primary(2).dbsize())
        .as("keys left on the shard whose add was aborted")
        .isZero();
    assertEveryKeyOnce(0, 1);
  }

  @Test
  @Timeout(120)
  void failoverOfTheShardLeavingDuringRingRemove_losesAndDoublesNoKey() throws Exception {
    start(3);
    writeKeys(3);
    int leaving = 0; // the shard holding the most keys leaves
    for (int shard = 1; shard < 3; shard++) {
      if (sentinel.primary(shard).dbsize() > sentinel.primary(leaving).dbsize()) {
        leaving = shard;
      }
    }
    CompletableFuture<Object> remove = change("REMOVE", Integer.toString(leaving));
    awaitMigrationMoving();
    failOver(leaving);
    Object reply = remove.get(90, TimeUnit.SECONDS);
    assertThat(reply).as("RING REMOVE's reply").isNotInstanceOf(Throwable.class);
    assertThat(sentinel.primary(leaving).dbsize()).as("keys left on the shard removed").isZero();
    int kept = leaving;
    assertEveryKeyOnce(java.util.stream.IntStream.range(0, 3).filter(i -> i != kept).toArray());
  }
}
