package io.ringlb.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ringlb.core.HashRing;
import io.ringlb.core.Placement;
import io.ringlb.server.testing.RedisSentinelExtension;
import io.ringlb.server.testing.RedisServer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisDataException;

/**
 * {@code read-from}: reads of one key served by the replicas Sentinel names (counted by the
 * replicas' own INFO commandstats and per replica in RING NODES), writes by the primaries, the
 * primary again for a connection that wrote, and what happens when the replica is down.
 */
class ReadFromTest {

  @RegisterExtension
  static final RedisSentinelExtension sentinel = RedisSentinelExtension.shards(2);

  /** Keys written per shard. */
  private static final int PER_SHARD = 15;

  private ProxyServer proxy;
  private final HashRing ring = HashRing.seed();

  @AfterEach
  void stop() {
    if (proxy != null) {
      proxy.close();
    }
  }

  private void start(ReadFrom readFrom) throws Exception {
    ProxyConfig.Builder b =
        ProxyConfig.builder()
            .port(0)
            .threads(2)
            .requestTimeout(Duration.ofSeconds(3))
            .http(new io.ringlb.server.http.HttpSettings("127.0.0.1", 0, false))
            .readFrom(readFrom);
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

  private int owner(String key) {
    return ring.serverFor(ring.hashKey(key.getBytes(StandardCharsets.UTF_8)));
  }

  /** The first {@link #PER_SHARD} keys {@code kN} of each shard. */
  private java.util.List<String> keys() {
    java.util.List<String> keys = new java.util.ArrayList<>();
    int[] count = new int[2];
    for (int i = 0; i < 100_000 && keys.size() < 2 * PER_SHARD; i++) {
      int shard = owner("k" + i);
      if (count[shard] < PER_SHARD) {
        count[shard]++;
        keys.add("k" + i);
      }
    }
    assertThat(keys).hasSize(2 * PER_SHARD);
    return keys;
  }

  private String keyOn(int shard) {
    return keys().stream().filter(k -> owner(k) == shard).findFirst().orElseThrow();
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

  private String nodes() {
    try (Jedis jedis = client()) {
      Object reply = jedis.sendCommand(() -> "RING".getBytes(StandardCharsets.US_ASCII), "NODES");
      return new String((byte[]) reply, StandardCharsets.UTF_8);
    }
  }

  /** Waits (bounded) until RING NODES satisfies {@code condition}; returns it. */
  private String awaitNodes(Predicate<String> condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + 30_000_000_000L;
    String n = nodes();
    while (!condition.test(n) && System.nanoTime() < deadline) {
      Thread.sleep(20);
      n = nodes();
    }
    assertThat(condition.test(n)).as("%s in %s", what, n).isTrue();
    return n;
  }

  /** Writes the keys on one connection and waits until every replica has them (WAIT). */
  private void writeKeys() {
    try (Jedis writer = client()) {
      for (String k : keys()) {
        assertThat(writer.set(k, "v" + k)).isEqualTo("OK");
      }
    }
    for (int shard = 0; shard < 2; shard++) {
      try (Jedis j = sentinel.primary(shard).client()) {
        assertThat(j.waitReplicas(1, 10_000)).as("replica of shard %d caught up", shard).isOne();
      }
    }
  }

  private String upReplica(int shard) {
    return "replicas=" + sentinel.replica(shard).address() + "/up";
  }

  @Test
  @Timeout(60)
  void readsOfOneKey_areServedByTheReplicas_andCountedPerReplica() throws Exception {
    start(ReadFrom.PRIMARY.withAll(ReadFrom.Mode.REPLICA_PREFERRED));
    awaitNodes(n -> n.contains(upReplica(0)) && n.contains(upReplica(1)), "replicas up");
    writeKeys();
    long[] primaryGets = {calls(sentinel.primary(0), "get"), calls(sentinel.primary(1), "get")};
    long[] replicaGets = {calls(sentinel.replica(0), "get"), calls(sentinel.replica(1), "get")};
    long[] primarySets = {calls(sentinel.primary(0), "set"), calls(sentinel.primary(1), "set")};
    long[] expected = new long[2];
    try (Jedis reader = client()) {
      for (String k : keys()) {
        assertThat(reader.get(k)).isEqualTo("v" + k);
        assertThat(reader.strlen(k)).isEqualTo(("v" + k).length());
        expected[owner(k)]++;
      }
      assertThat(expected).containsExactly(PER_SHARD, PER_SHARD);
      for (int shard = 0; shard < 2; shard++) {
        assertThat(calls(sentinel.replica(shard), "get") - replicaGets[shard])
            .as("GETs served by the replica of shard %d", shard)
            .isEqualTo(expected[shard]);
        assertThat(calls(sentinel.primary(shard), "get"))
            .as("GETs served by the primary of shard %d", shard)
            .isEqualTo(primaryGets[shard]);
      }
      // A write goes to the primary; from then on this connection reads that shard there too.
      String key = keyOn(0);
      assertThat(reader.set(key, "new")).isEqualTo("OK");
      assertThat(reader.get(key)).isEqualTo("new");
      assertThat(calls(sentinel.primary(0), "set")).isEqualTo(primarySets[0] + 1);
      assertThat(calls(sentinel.primary(0), "get")).isEqualTo(primaryGets[0] + 1);
      assertThat(calls(sentinel.replica(0), "get") - replicaGets[0]).isEqualTo(expected[0]);
      // Inside MULTI the read goes to the primary with the transaction.
      redis.clients.jedis.Transaction tx = reader.multi();
      tx.get(keyOn(1));
      assertThat(tx.exec()).hasSize(1);
      assertThat(calls(sentinel.primary(1), "get")).isEqualTo(primaryGets[1] + 1);
    }
    String n = nodes();
    java.util.List<io.ringlb.server.testing.PrometheusText.Sample> metrics =
        io.ringlb.server.testing.PrometheusText.parse(
            io.ringlb.server.http.Http.get(proxy.httpAddress(), "/metrics").body());
    for (int shard = 0; shard < 2; shard++) {
      assertThat(n)
          .contains(upReplica(shard))
          .contains("/reads=" + 2 * expected[shard] + " read_from=replica-preferred");
      // The same count in /metrics, per backend and replica; none for the primary's address.
      assertThat(
              io.ringlb.server.testing.PrometheusText.value(
                  metrics,
                  "ringlb_backend_replica_reads_total",
                  java.util.Map.of(
                      "server",
                      Integer.toString(shard),
                      "replica",
                      sentinel.replica(shard).address())))
          .as("ringlb_backend_replica_reads_total of shard %d's replica", shard)
          .isEqualTo(2 * expected[shard]);
    }
    assertThat(
            metrics.stream()
                .filter(x -> x.name().equals("ringlb_backend_replica_reads_total"))
                .count())
        .as("series of ringlb_backend_replica_reads_total, one per replica")
        .isEqualTo(2);
  }

  @Test
  @Timeout(60)
  void replicaPreferred_readsThePrimaryWhenTheReplicaIsDown() throws Exception {
    start(ReadFrom.PRIMARY.withBackend(0, ReadFrom.Mode.REPLICA_PREFERRED));
    awaitNodes(n -> n.contains(upReplica(0)), "replica of shard 0 up");
    writeKeys();
    String key = keyOn(0);
    RedisServer replica = sentinel.replica(0);
    long primaryGets = calls(sentinel.primary(0), "get");
    replica.kill();
    try (Jedis reader = client()) {
      // At once (the connection to the replica fails) and after Sentinel marks it down.
      assertThat(reader.get(key)).isEqualTo(sentinel.primary(0).client().get(key));
      awaitNodes(n -> n.contains("replicas=" + replica.address() + "/down"), "replica down");
      for (int i = 0; i < 5; i++) {
        assertThat(reader.get(key)).isNotNull();
      }
    }
    assertThat(calls(sentinel.primary(0), "get")).isGreaterThanOrEqualTo(primaryGets + 6);
    assertThat(nodes()).contains("read_from=replica-preferred").contains("read_from=primary");
  }

  @Test
  @Timeout(60)
  void replicaOnly_answersAnErrorNamingTheShardWhenNoReplicaIsUp() throws Exception {
    start(ReadFrom.PRIMARY.withAll(ReadFrom.Mode.REPLICA));
    awaitNodes(n -> n.contains(upReplica(0)) && n.contains(upReplica(1)), "replicas up");
    writeKeys();
    RedisServer replica = sentinel.replica(0);
    replica.kill();
    awaitNodes(n -> n.contains("replicas=" + replica.address() + "/down"), "replica down");
    try (Jedis reader = client()) {
      assertThatThrownBy(() -> reader.get(keyOn(0)))
          .isInstanceOf(JedisDataException.class)
          .hasMessageContaining("backend 0 (sentinel:shard0) has no replica up")
          .hasMessageContaining("read-from: replica");
      assertThat(reader.get(keyOn(1))).isNotNull(); // the other shard is untouched
      // Writes still go to the primary.
      assertThat(reader.set(keyOn(0), "written")).isEqualTo("OK");
      assertThat(sentinel.primary(0).client().get(keyOn(0))).isEqualTo("written");
    }
  }
}
