package io.ringlb.proxy;

import static io.ringlb.proxy.ClusterFixtures.awaitProxiesUp;
import static io.ringlb.proxy.ClusterFixtures.ring;
import static io.ringlb.proxy.ClusterFixtures.setOnceUp;
import static org.assertj.core.api.Assertions.assertThat;

import io.ringlb.server.testing.RedisServersExtension;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;

/**
 * A proxy paused (SIGSTOP, a process of its own) longer than its lease and the acknowledgement
 * timeout while a ring change runs through another proxy is fenced at the backends: the change goes
 * on without it, and what it sends once woken (SIGCONT) either fails or reaches the right owner.
 */
class ClusterFenceTest {

  @RegisterExtension static final EtcdClusterExtension etcd = new EtcdClusterExtension();

  @RegisterExtension
  static final RedisServersExtension redis = RedisServersExtension.servers(3).flushBeforeEachTest();

  private static final AtomicInteger CLUSTERS = new AtomicInteger();
  private static final int KEYS = 2000;
  private static final int LATE = 400;

  private final List<AutoCloseable> running = new ArrayList<>();

  @AfterEach
  void stop() throws Exception {
    for (int i = running.size() - 1; i >= 0; i--) {
      running.get(i).close();
    }
  }

  @Test
  void pausedProxy_isFenced_andNothingItSendsAfterWakingIsLostOrMisrouted() throws Exception {
    ClusterSpec cluster =
        new ClusterSpec("fence" + CLUSTERS.incrementAndGet(), etcd.endpointList());
    ProxyServer a =
        ProxyServer.start(ProxyFixtures.config(redis.servers(), 2).cluster(cluster).build());
    running.add(a);
    ClusterProxyProcess c = ClusterProxyProcess.start(cluster, 0);
    running.add(c);
    Map<String, String> acknowledged = new HashMap<>();
    try (Jedis ja = new Jedis("127.0.0.1", a.port(), 120_000);
        Jedis jc = new Jedis("127.0.0.1", c.port(), 120_000)) {
      awaitProxiesUp(ja, 2, 600);
      for (int i = 0; i < KEYS; i++) {
        Jedis through = i % 2 == 0 ? ja : jc;
        assertThat(through.set("k" + i, "v0")).isEqualTo("OK");
        acknowledged.put("k" + i, "v0");
      }

      c.signal("STOP");
      // writes sent to the paused proxy wait in its socket and run when it wakes
      AtomicReference<List<Object>> late = new AtomicReference<>();
      Thread writer =
          new Thread(
              () -> {
                Pipeline p = jc.pipelined();
                for (int i = 0; i < LATE; i++) {
                  p.set("k" + i, "v1");
                  p.set("late" + i, "x");
                }
                late.set(p.syncAndReturnAll());
              });
      writer.start();

      // the change through the other proxy fences the paused one instead of failing
      assertThat(ring(ja, "ADD", "2", redis.server(2).address())).isEqualTo("OK");
      String proxies = ring(ja, "PROXIES");
      assertThat(proxies.split("\n")).hasSize(1);
      for (int s = 0; s < 3; s++) {
        try (Jedis direct = new Jedis("127.0.0.1", redis.server(s).port())) {
          assertThat(direct.aclList())
              .as("ACL users on backend %d", s)
              .anyMatch(u -> u.contains("ringlb-" + cluster.name()) && u.contains(" off "));
        }
      }

      c.signal("CONT");
      writer.join(120_000);
      assertThat(late.get()).as("replies of the writes sent while paused").hasSize(2 * LATE);
      List<Object> replies = late.get();
      int failed = 0;
      for (int i = 0; i < LATE; i++) {
        Object k = replies.get(2 * i);
        Object l = replies.get(2 * i + 1);
        if ("OK".equals(k)) {
          acknowledged.put("k" + i, "v1");
        } else {
          failed++;
          acknowledged.remove("k" + i); // outcome unknown: either value
        }
        if ("OK".equals(l)) {
          acknowledged.put("late" + i, "x");
        } else {
          failed++;
        }
      }

      // the woken proxy joins again by itself, and routes by the cluster's ring
      awaitProxiesUp(ja, 2, 600);
      for (int i = 0; i < 200; i++) {
        setOnceUp(jc, "after" + i, "y");
        acknowledged.put("after" + i, "y");
      }
      for (Map.Entry<String, String> e : acknowledged.entrySet()) {
        assertThat(ja.get(e.getKey()))
            .as("acknowledged %s, read through the other proxy", e.getKey())
            .isEqualTo(e.getValue());
      }
      for (int i = 0; i < LATE; i++) {
        assertThat(ja.get("k" + i)).isIn("v0", "v1");
      }
      System.out.println(
          "ClusterFenceTest: " + failed + " of " + 2 * LATE + " writes sent while paused failed");
    }
  }
}
