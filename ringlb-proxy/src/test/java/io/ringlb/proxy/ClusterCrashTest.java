package io.ringlb.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.ringlb.server.testing.RedisServersExtension;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import redis.clients.jedis.Jedis;

/**
 * The proxy running a ring change is killed (SIGKILL, a process of its own) in the middle of it: at
 * {@code prepare} the other proxies stop holding and the change is rolled back; after {@code
 * migrate} of a RING REMOVE or a RING ADD another proxy takes the change over and finishes it, and
 * the writes acknowledged through it meanwhile are kept.
 */
class ClusterCrashTest {

  @RegisterExtension static final EtcdClusterExtension etcd = new EtcdClusterExtension();

  @RegisterExtension
  static final RedisServersExtension redis = RedisServersExtension.servers(3).flushBeforeEachTest();

  private static final AtomicInteger CLUSTERS = new AtomicInteger();

  private final List<AutoCloseable> running = new ArrayList<>();
  private ClusterFixtures.EtcdKeys keys;

  @AfterEach
  void stop() throws Exception {
    for (int i = running.size() - 1; i >= 0; i--) {
      running.get(i).close();
    }
    if (keys != null) {
      keys.close();
    }
  }

  private ClusterSpec newCluster() {
    keys = new ClusterFixtures.EtcdKeys(etcd);
    return new ClusterSpec("crash" + CLUSTERS.incrementAndGet(), etcd.endpointList());
  }

  private ProxyServer proxy(ClusterSpec cluster, int backends) throws Exception {
    ProxyServer p =
        ProxyServer.start(ProxyFixtures.config(redis.servers(), backends).cluster(cluster).build());
    running.add(p);
    return p;
  }

  private ClusterProxyProcess process(ClusterSpec cluster, int rate) throws Exception {
    ClusterProxyProcess p = ClusterProxyProcess.start(cluster, rate);
    running.add(p);
    return p;
  }

  private String get(ClusterSpec cluster, String key) throws Exception {
    return keys.get(cluster, key);
  }

  /** Waits (bounded) until the ring in etcd is at {@code step}. */
  private void awaitStep(ClusterSpec cluster, String step) throws Exception {
    for (int i = 0;
        i < 600 && !String.valueOf(get(cluster, "ring")).startsWith("step: " + step);
        i++) {
      Thread.sleep(100);
    }
    assertThat(get(cluster, "ring")).startsWith("step: " + step);
  }

  private static String info(ProxyServer p, String section) {
    try (Jedis j = new Jedis("127.0.0.1", p.port(), 30_000)) {
      return j.info(section);
    }
  }

  private static Thread ringAsync(int port, String... args) {
    Thread t =
        new Thread(
            () -> {
              try (Jedis j = new Jedis("127.0.0.1", port, 120_000)) {
                j.sendCommand(() -> "RING".getBytes(StandardCharsets.UTF_8), args);
              } catch (RuntimeException killed) {
                // the proxy is killed before it answers
              }
            });
    t.start();
    return t;
  }

  @Test
  void runnerKilledAtPrepare_othersStopHolding_andTheChangeIsRolledBack() throws Exception {
    ClusterSpec cluster = newCluster();
    ProxyServer b = proxy(cluster, 2);
    try (Jedis jb = new Jedis("127.0.0.1", b.port(), 60_000)) {
      for (int i = 0; i < 200; i++) {
        jb.set("k" + i, "v" + i);
      }
    }
    // a member that never acknowledges keeps the change at prepare while its proxy is killed
    keys.put(cluster, "members/ghost", "0 127.0.0.1:1");
    ClusterProxyProcess a = process(cluster, 0);
    Thread add = ringAsync(a.port(), "ADD", "2", redis.server(2).address());
    awaitStep(cluster, "prepare");
    a.kill();
    keys.delete(cluster, "members/ghost");
    add.join(60_000);

    try (Jedis jb = new Jedis("127.0.0.1", b.port(), 60_000)) {
      // held at most until the killed proxy's lease expires, then routed by the ring before
      for (int i = 0; i < 200; i++) {
        assertThat(jb.get("k" + i)).isEqualTo("v" + i);
      }
      awaitStep(cluster, "stable");
      assertThat(get(cluster, "failed")).contains("rolled back").contains("lease expired");
      assertThat(info(b, "ring")).contains("ring_servers:2");
      assertThat(get(cluster, "change")).isNull();
      // the cluster is not stuck: the next change goes through the other proxy
      Object reply =
          jb.sendCommand(
              () -> "RING".getBytes(StandardCharsets.UTF_8), "ADD", "2", redis.server(2).address());
      assertThat(new String((byte[]) reply, StandardCharsets.UTF_8)).isEqualTo("OK");
      for (int i = 0; i < 200; i++) {
        assertThat(jb.get("k" + i)).isEqualTo("v" + i);
      }
    }
  }

  @Test
  void runnerKilledAfterMigrate_anotherProxyTakesOver_andTheLeavingBackendEndsEmpty()
      throws Exception {
    ClusterSpec cluster = newCluster();
    ProxyServer b = proxy(cluster, 3);
    int keys = 3000;
    try (Jedis jb = new Jedis("127.0.0.1", b.port(), 60_000)) {
      for (int i = 0; i < keys; i++) {
        jb.set("k" + i, "v" + i);
      }
    }
    long before = 0;
    for (int i = 0; i < 3; i++) {
      try (Jedis direct = new Jedis("127.0.0.1", redis.server(i).port())) {
        before += direct.dbSize();
      }
    }
    assertThat(before).as("keys on the three backends").isEqualTo(keys);
    // 50 keys/s: the migration of about 1,000 keys lasts some 20 s, so that the kill lands in it
    // even when a loaded machine is slow to show the step
    ClusterProxyProcess a = process(cluster, 50);
    Thread remove = ringAsync(a.port(), "REMOVE", "1");
    awaitStep(cluster, "migrate");
    a.kill();
    remove.join(60_000);

    awaitStep(cluster, "stable");
    for (int i = 0; i < 300 && get(cluster, "change") != null; i++) {
      Thread.sleep(100); // the slot is given back once every proxy routes by the stable ring
    }
    assertThat(get(cluster, "change")).isNull();
    assertThat(info(b, "ring")).contains("ring_servers:2");
    try (Jedis direct = new Jedis("127.0.0.1", redis.server(1).port())) {
      assertThat(direct.dbSize()).as("keys left on the removed backend").isZero();
    }
    try (Jedis jb = new Jedis("127.0.0.1", b.port(), 60_000)) {
      for (int i = 0; i < keys; i++) {
        assertThat(jb.get("k" + i)).isEqualTo("v" + i);
      }
      String proxies =
          new String(
              (byte[]) jb.sendCommand(() -> "RING".getBytes(StandardCharsets.UTF_8), "PROXIES"),
              StandardCharsets.UTF_8);
      // The survivor is up. The killed runner is forgotten when the survivor takes the change
      // over; in one loaded run it was still listed (as down) after the change ended, a case
      // docs/ARCHITECTURE.md names among the cluster's limits: it is never shown as up.
      assertThat(proxies.split("\n"))
          .anyMatch(line -> line.contains("state=up"))
          .filteredOn(line -> line.contains("state=up"))
          .hasSize(1);
    }
  }

  @Test
  void runnerKilledDuringAnAdd_anotherProxyFinishesIt_andNoAcknowledgedWriteIsLost()
      throws Exception {
    ClusterSpec cluster = newCluster();
    ProxyServer b = proxy(cluster, 2);
    int n = 2000;
    try (Jedis jb = new Jedis("127.0.0.1", b.port(), 60_000)) {
      for (int i = 0; i < n; i++) {
        jb.set("k" + i, "v" + i);
      }
    }
    ClusterProxyProcess a = process(cluster, 50); // some 650 keys move: about 13 s of migration
    Thread add = ringAsync(a.port(), "ADD", "2", redis.server(2).address());
    awaitStep(cluster, "migrate");

    // Writes through the survivor before, across and after the kill; each acknowledged one must
    // be read back, whoever ends up owning its key.
    String[] acked = new String[n];
    AtomicInteger failed = new AtomicInteger();
    AtomicInteger rounds = new AtomicInteger();
    AtomicBoolean stop = new AtomicBoolean();
    Thread writer =
        new Thread(
            () -> {
              try (Jedis jb = new Jedis("127.0.0.1", b.port(), 60_000)) {
                long until = System.nanoTime() + 90_000_000_000L;
                for (int round = 1;
                    round <= 200 && !stop.get() && System.nanoTime() < until;
                    round++) {
                  for (int i = 0; i < n; i++) {
                    String v = "w" + round + "-" + i;
                    try {
                      if ("OK".equals(jb.set("k" + i, v))) {
                        acked[i] = v;
                      }
                    } catch (RuntimeException e) {
                      failed.incrementAndGet(); // outcome unknown: not checked
                      acked[i] = null;
                    }
                  }
                  rounds.set(round);
                }
              }
            });
    writer.start();
    Thread.sleep(200);
    a.kill();
    add.join(60_000);
    awaitStep(cluster, "stable"); // taken over and finished while the writer writes
    for (int i = 0; i < 300 && get(cluster, "change") != null; i++) {
      Thread.sleep(100);
    }
    stop.set(true);
    writer.join(120_000);
    assertThat(writer.isAlive()).isFalse();
    assertThat(rounds.get()).as("rounds of writes across the takeover").isGreaterThan(1);
    assertThat(get(cluster, "change")).isNull();
    assertThat(info(b, "ring")).contains("ring_servers:3");
    try (Jedis direct = new Jedis("127.0.0.1", redis.server(2).port())) {
      assertThat(direct.dbSize()).as("keys on the added backend").isPositive();
    }
    long total = 0;
    for (int i = 0; i < 3; i++) {
      try (Jedis direct = new Jedis("127.0.0.1", redis.server(i).port())) {
        total += direct.dbSize();
      }
    }
    assertThat(total).as("every key on exactly one backend").isEqualTo(n);
    int checked = 0;
    try (Jedis jb = new Jedis("127.0.0.1", b.port(), 60_000)) {
      for (int i = 0; i < n; i++) {
        String v = jb.get("k" + i);
        assertThat(v).as("k%d", i).isNotNull();
        if (acked[i] != null) {
          assertThat(v).as("k%d, acknowledged last as %s", i, acked[i]).isEqualTo(acked[i]);
          checked++;
        }
      }
    }
    System.out.printf(
        "cluster crash during RING ADD: %d rounds, %d acknowledged writes read back, %d failed%n",
        rounds.get(), checked, failed.get());
    assertThat(checked).as("acknowledged writes to check").isPositive();
  }
}
