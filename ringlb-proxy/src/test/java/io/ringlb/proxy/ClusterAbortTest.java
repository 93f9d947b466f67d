package io.ringlb.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ringlb.server.testing.RedisServersExtension;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import redis.clients.jedis.Jedis;

/**
 * RING ABORT through any proxy of a three-proxy cluster: sent to a proxy other than the one running
 * the change, it is recorded in etcd, the running proxy aborts, and the reply comes once the abort
 * ended; with the running proxy stopped and then killed while the request is pending, the proxy
 * that takes the change over honours it.
 */
class ClusterAbortTest {

  @RegisterExtension static final EtcdClusterExtension etcd = new EtcdClusterExtension();

  @RegisterExtension
  static final RedisServersExtension redis = RedisServersExtension.servers(3).flushBeforeEachTest();

  private static final AtomicInteger CLUSTERS = new AtomicInteger();
  private static final int KEYS = 3000;

  private final List<AutoCloseable> running = new ArrayList<>();
  private final ClusterFixtures.EtcdKeys keys = new ClusterFixtures.EtcdKeys(etcd);

  @AfterEach
  void stop() throws Exception {
    for (int i = running.size() - 1; i >= 0; i--) {
      running.get(i).close();
    }
    keys.close();
  }

  private ClusterSpec newCluster() {
    return new ClusterSpec("abort" + CLUSTERS.incrementAndGet(), etcd.endpointList());
  }

  private ProxyServer proxy(ClusterSpec cluster, int backends, int rate) throws Exception {
    ProxyConfig.Builder b =
        backends == 0
            ? ProxyConfig.builder().port(0).threads(2).requestTimeout(Duration.ofSeconds(5))
            : ProxyFixtures.config(redis.servers(), backends);
    ProxyServer p = ProxyServer.start(b.cluster(cluster).migrationRate(rate).build());
    running.add(p);
    return p;
  }

  private String get(ClusterSpec cluster, String key) throws Exception {
    return keys.get(cluster, key);
  }

  private static String ring(int port, String... args) {
    try (Jedis j = new Jedis("127.0.0.1", port, 180_000)) {
      return ClusterFixtures.ring(j, args);
    }
  }

  /**
   * Runs RING {@code args} through {@code port} in a thread; its reply or error lands in {@code
   * out}.
   */
  private static Thread ringAsync(AtomicReference<String> out, int port, String... args) {
    Thread t =
        new Thread(
            () -> {
              try {
                out.set(ring(port, args));
              } catch (RuntimeException e) {
                out.set("error: " + e.getMessage());
              }
            });
    t.start();
    return t;
  }

  private static String epoch(int port) {
    try (Jedis j = new Jedis("127.0.0.1", port, 30_000)) {
      return j.info("cluster").replaceAll("(?s).*ring_epoch:(\\d+).*", "$1");
    }
  }

  /** Waits (bounded) until the backend RING ADD adds holds keys: the migrate step moves them. */
  private static void awaitKeysOnBackend2() throws InterruptedException {
    try (Jedis direct = redis.server(2).client()) {
      for (int i = 0; i < 600 && direct.dbSize() == 0; i++) {
        Thread.sleep(100);
      }
      assertThat(direct.dbSize()).as("keys moved to backend 2").isPositive();
    }
  }

  /**
   * Checks that the cluster routes by the ring before RING ADD 2 through every proxy: every key is
   * read through each, backend 2 is empty, and new keys never land on it.
   */
  private static void checkRingBefore(int... ports) throws InterruptedException {
    String first = epoch(ports[0]);
    for (int port : ports) {
      for (int i = 0; i < 300 && !epoch(port).equals(first); i++) {
        Thread.sleep(100);
      }
      assertThat(epoch(port)).as("epoch of the proxy on port %d", port).isEqualTo(first);
    }
    for (int port : ports) {
      try (Jedis j = new Jedis("127.0.0.1", port, 60_000)) {
        for (int i = 0; i < KEYS; i++) {
          assertThat(j.get("k" + i)).as("k%d through port %d", i, port).isEqualTo("v" + i);
        }
        for (int i = 0; i < 100; i++) {
          assertThat(j.set("new" + port + "-" + i, "x")).isEqualTo("OK");
        }
      }
    }
    try (Jedis direct = redis.server(2).client()) {
      assertThat(direct.dbSize()).as("keys on backend 2 once the abort ended").isZero();
    }
  }

  @Test
  void ringAbortThroughAnotherProxy_abortsTheChange_andAnswersWhenTheAbortEnded() throws Exception {
    ClusterSpec cluster = newCluster();
    ProxyServer a = proxy(cluster, 2, 100);
    ProxyServer b = proxy(cluster, 0, 100);
    ProxyServer c = proxy(cluster, 0, 100);
    try (Jedis ja = new Jedis("127.0.0.1", a.port(), 60_000)) {
      for (int i = 0; i < KEYS; i++) {
        ja.set("k" + i, "v" + i);
      }
    }
    assertThatThrownBy(() -> ring(b.port(), "ABORT")).hasMessageContaining("no ring change");

    AtomicReference<String> added = new AtomicReference<>();
    Thread add = ringAsync(added, a.port(), "ADD", "2", redis.server(2).address());
    awaitKeysOnBackend2();

    String reply = ring(b.port(), "ABORT");
    assertThat(reply).startsWith("aborted add 2: routing by the ring before it; keys_moved_back=");
    add.join(120_000);
    assertThat(added.get()).contains("was aborted by RING ABORT");
    assertThat(get(cluster, "abort")).as("the request, once answered").isNull();
    checkRingBefore(a.port(), b.port(), c.port());

    assertThatThrownBy(() -> ring(c.port(), "ABORT")).hasMessageContaining("no ring change");
    // the cluster is not stuck: the next change goes through
    assertThat(ring(c.port(), "ADD", "2", redis.server(2).address())).isEqualTo("OK");
  }

  @Test
  void runnerKilledWithAnAbortPending_theProxyTakingOverHonoursIt() throws Exception {
    ClusterSpec cluster = newCluster();
    ProxyServer a = proxy(cluster, 2, 100);
    ProxyServer b = proxy(cluster, 0, 100);
    try (Jedis ja = new Jedis("127.0.0.1", a.port(), 60_000)) {
      for (int i = 0; i < KEYS; i++) {
        ja.set("k" + i, "v" + i);
      }
    }
    ClusterProxyProcess r = ClusterProxyProcess.start(cluster, 50);
    running.add(r);
    AtomicReference<String> added = new AtomicReference<>();
    ringAsync(added, r.port(), "ADD", "2", redis.server(2).address());
    awaitKeysOnBackend2();

    r.signal("STOP"); // it cannot act on the request
    AtomicReference<String> aborted = new AtomicReference<>();
    Thread abort = ringAsync(aborted, a.port(), "ABORT");
    for (int i = 0;
        i < 300 && !String.valueOf(get(cluster, "abort")).startsWith("requested");
        i++) {
      Thread.sleep(100);
    }
    assertThat(get(cluster, "abort")).startsWith("requested");
    r.kill();

    abort.join(180_000);
    assertThat(aborted.get())
        .as("the reply to RING ABORT")
        .startsWith("aborted add 2: routing by the ring before it; keys_moved_back=");
    checkRingBefore(a.port(), b.port());
    assertThat(get(cluster, "change")).isNull();
  }
}
