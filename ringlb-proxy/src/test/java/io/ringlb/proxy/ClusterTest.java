package io.ringlb.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ringlb.server.testing.RedisServer;
import io.ringlb.server.testing.RedisServersExtension;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisDataException;

/**
 * Proxies of one cluster, their ring in a real three-member etcd: a ring change through one proxy
 * is routed by every other, one change at a time, and etcd trouble never stops serving.
 */
class ClusterTest {

  @RegisterExtension static final EtcdClusterExtension etcd = new EtcdClusterExtension();

  @RegisterExtension
  static final RedisServersExtension redis = RedisServersExtension.servers(3).flushBeforeEachTest();

  private static final AtomicInteger CLUSTERS = new AtomicInteger();

  private final List<ProxyServer> proxies = new ArrayList<>();

  @AfterEach
  void stop() {
    for (int i = proxies.size() - 1; i >= 0; i--) {
      proxies.get(i).close();
    }
  }

  private static ClusterSpec newCluster() {
    return new ClusterSpec("test" + CLUSTERS.incrementAndGet(), etcd.endpointList());
  }

  /** A proxy of {@code cluster} with the first {@code backends} redis-servers as its list. */
  private ProxyServer proxy(ClusterSpec cluster, int backends, int rate) throws Exception {
    ProxyConfig.Builder b =
        ProxyFixtures.config(redis.servers(), backends).cluster(cluster).migrationRate(rate);
    ProxyServer p = ProxyServer.start(b.build());
    proxies.add(p);
    return p;
  }

  /**
   * A client waiting 30 s for a reply: a change refused with etcd down answers after 10 s of tries.
   */
  private static Jedis client(ProxyServer p) {
    return new Jedis("127.0.0.1", p.port(), 30_000);
  }

  /** Sends RING {@code args} and returns the reply as text. */
  private static String ring(Jedis j, String... args) {
    Object reply =
        j.sendCommand(() -> "RING".getBytes(java.nio.charset.StandardCharsets.UTF_8), args);
    return new String((byte[]) reply, java.nio.charset.StandardCharsets.UTF_8);
  }

  private static String info(ProxyServer p, String section) {
    try (Jedis j = client(p)) {
      return j.info(section);
    }
  }

  private static long epoch(ProxyServer p) {
    for (String line : info(p, "cluster").split("\r\n")) {
      if (line.startsWith("ring_epoch:")) {
        return Long.parseLong(line.substring("ring_epoch:".length()));
      }
    }
    throw new AssertionError("no ring_epoch in INFO cluster of " + p.describe());
  }

  @Test
  void ringAddThroughOneProxy_isRoutedByTheOther_withWritersOnBoth() throws Exception {
    ClusterSpec cluster = newCluster();
    ProxyServer a = proxy(cluster, 2, 0);
    ProxyServer b = proxy(cluster, 0, 0); // joins: its ring comes from etcd
    RedisServer added = redis.server(2);

    Map<String, Long> acknowledged = new ConcurrentHashMap<>();
    AtomicBoolean writing = new AtomicBoolean(true);
    AtomicReference<Throwable> failure = new AtomicReference<>();
    CountDownLatch started = new CountDownLatch(2);
    List<Thread> writers = new ArrayList<>();
    for (ProxyServer p : List.of(a, b)) {
      String prefix = p == a ? "a:" : "b:";
      Thread t =
          new Thread(
              () -> {
                try (Jedis j = client(p)) {
                  for (long n = 1; n <= 100_000 && (writing.get() || n <= 300); n++) {
                    String key = prefix + (n % 200);
                    j.set(key, Long.toString(n));
                    acknowledged.put(key, n);
                    if (n == 50) {
                      started.countDown();
                    }
                  }
                } catch (Throwable e) {
                  failure.compareAndSet(null, e);
                  started.countDown();
                }
              });
      t.start();
      writers.add(t);
    }
    started.await();
    try (Jedis j = client(a)) {
      assertThat(ring(j, "ADD", "2", added.address())).isEqualTo("OK");
    } finally {
      writing.set(false);
      for (Thread t : writers) {
        t.join(60_000);
      }
    }
    assertThat(failure.get()).isNull();
    assertThat(epoch(b)).isEqualTo(epoch(a));
    assertThat(info(b, "ring")).contains("ring_servers:3");
    // every acknowledged write, read through the other proxy
    try (Jedis ja = client(a);
        Jedis jb = client(b)) {
      for (Map.Entry<String, Long> e : acknowledged.entrySet()) {
        Jedis reader = e.getKey().startsWith("a:") ? jb : ja;
        assertThat(reader.get(e.getKey())).as(e.getKey()).isEqualTo(e.getValue().toString());
      }
      // writes through B after the change land where A reads them
      jb.set("after", "b");
      assertThat(ja.get("after")).isEqualTo("b");
      String proxiesView = new String((byte[]) jb.sendCommand(() -> "RING".getBytes(), "PROXIES"));
      assertThat(proxiesView.split("\n")).hasSize(2).allMatch(l -> l.contains("state=up"));
      assertThat(proxiesView).contains("epoch=" + epoch(a));
    }
    try (Jedis direct = new Jedis("127.0.0.1", added.port())) {
      assertThat(direct.dbSize()).as("keys moved to the added backend").isPositive();
    }
  }

  @Test
  void proxyStartedDuringAChange_routesCorrectlyFromItsFirstRequest() throws Exception {
    ClusterSpec cluster = newCluster();
    ProxyServer a = proxy(cluster, 2, 300); // 300 keys/s: the migration lasts seconds
    ProxyServer b = proxy(cluster, 0, 300);
    ProxyServer c = proxy(cluster, 0, 300);
    int keys = 3000;
    try (Jedis j = client(a)) {
      for (int i = 0; i < keys; i++) {
        j.set("k" + i, "v" + i);
      }
    }
    AtomicReference<Object> added = new AtomicReference<>();
    Thread add =
        new Thread(
            () -> {
              try (Jedis j = new Jedis("127.0.0.1", b.port(), 120_000)) {
                added.set(ring(j, "ADD", "2", redis.server(2).address()));
              } catch (RuntimeException e) {
                added.set(e);
              }
            });
    add.start();
    for (int i = 0; i < 600 && redisDbSize(2) == 0; i++) {
      Thread.sleep(20); // until the migration moves keys
    }
    ProxyServer d = proxy(cluster, 0, 300);
    assertThat(add.isAlive()).as("the change still runs as the fourth proxy starts").isTrue();
    try (Jedis jd = client(d);
        Jedis ja = client(a)) {
      for (int i = 0; i < keys; i++) {
        assertThat(jd.get("k" + i)).as("k%d through the proxy that joined", i).isEqualTo("v" + i);
      }
      for (int i = 0; i < 200; i++) {
        jd.set("d" + i, "x" + i);
        assertThat(ja.get("d" + i)).isEqualTo("x" + i);
      }
      add.join(120_000);
      assertThat(added.get()).isEqualTo("OK");
      for (int i = 0; i < keys; i++) {
        assertThat(jd.get("k" + i)).isEqualTo("v" + i);
      }
      assertThat(epoch(d)).isEqualTo(epoch(a)).isEqualTo(epoch(c));
    }
  }

  private static long redisDbSize(int server) {
    try (Jedis direct = new Jedis("127.0.0.1", redis.server(server).port())) {
      return direct.dbSize();
    }
  }

  @Test
  void secondChange_isRefused_namingTheChangeAndItsProxy() throws Exception {
    ClusterSpec cluster = newCluster();
    ProxyServer a = proxy(cluster, 2, 200); // 200 keys/s: the change lasts seconds
    ProxyServer b = proxy(cluster, 0, 200);
    try (Jedis j = client(a)) {
      for (int i = 0; i < 2000; i++) {
        j.set("k" + i, "v" + i);
      }
    }
    RedisServer added = redis.server(2);
    AtomicReference<Object> addReply = new AtomicReference<>();
    Thread add =
        new Thread(
            () -> {
              try (Jedis j = client(a)) {
                addReply.set(
                    new String(
                        (byte[])
                            j.sendCommand(() -> "RING".getBytes(), "ADD", "2", added.address())));
              } catch (Exception e) {
                addReply.set(e);
              }
            });
    add.start();
    try (Jedis j = client(b)) {
      // wait (bounded) until B sees the migration, then ask B for another change
      for (int i = 0; i < 200 && !info(b, "migration").contains("migrations_running:1"); i++) {
        Thread.sleep(50);
      }
      assertThat(info(b, "migration")).contains("migrations_running:1");
      assertThatThrownBy(() -> j.sendCommand(() -> "RING".getBytes(), "REMOVE", "1"))
          .isInstanceOf(JedisDataException.class)
          .hasMessageContaining("another ring change is under way")
          .hasMessageContaining("RING ADD 2 " + added.address())
          .hasMessageContaining("through proxy ");
    }
    add.join(120_000);
    assertThat(addReply.get()).isEqualTo("OK");
    try (Jedis jb = client(b)) {
      for (int i = 0; i < 2000; i++) {
        assertThat(jb.get("k" + i)).isEqualTo("v" + i);
      }
    }
  }

  @Test
  void joiningWithADisagreeingBackendList_isRefusedNamingBoth() throws Exception {
    ClusterSpec cluster = newCluster();
    proxy(cluster, 2, 0);
    ProxyConfig.Builder other =
        ProxyConfig.builder()
            .port(0)
            .threads(1)
            .backend("0=" + redis.server(0).address())
            .backend("1=" + redis.server(2).address())
            .cluster(cluster);
    assertThatThrownBy(() -> proxies.add(ProxyServer.start(other.build())))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("disagrees with the ring of cluster " + cluster.name())
        .hasMessageContaining("1=" + redis.server(2).address())
        .hasMessageContaining("1=" + redis.server(1).address());
  }

  @Test
  void etcdTrouble_oneMemberChangesNothing_allDownKeepsServingAndRefusesChanges() throws Exception {
    ClusterSpec cluster = newCluster();
    ProxyServer a = proxy(cluster, 2, 0);
    ProxyServer b = proxy(cluster, 0, 0);
    try {
      etcd.kill(0);
      try (Jedis ja = client(a);
          Jedis jb = client(b)) {
        ja.set("x", "1");
        assertThat(ring(ja, "ADD", "2", redis.server(2).address())).isEqualTo("OK");
        assertThat(jb.get("x")).isEqualTo("1");
        assertThat(epoch(b)).isEqualTo(epoch(a));

        etcd.kill(1);
        etcd.kill(2);
        jb.set("y", "2");
        assertThat(ja.get("y")).isEqualTo("2");
        assertThatThrownBy(() -> jb.sendCommand(() -> "RING".getBytes(), "REMOVE", "2"))
            .isInstanceOf(JedisDataException.class)
            .hasMessageContaining("cannot change the ring")
            .hasMessageContaining("etcd");
        assertThat(ja.get("x")).isEqualTo("1");

        etcd.restart(0);
        etcd.restart(1);
        etcd.restart(2);
        etcd.awaitHealthy();
        Object reply = null;
        for (int i = 0; i < 60 && !"OK".equals(reply); i++) {
          try {
            reply = ring(jb, "REMOVE", "2");
          } catch (JedisDataException e) {
            reply = e.getMessage();
            Thread.sleep(500);
          }
        }
        assertThat(reply).isEqualTo("OK");
        assertThat(ja.get("x")).isEqualTo("1");
        assertThat(jb.get("y")).isEqualTo("2");
        assertThat(info(a, "ring")).contains("ring_servers:2");
      }
    } finally {
      etcd.restart(0);
      etcd.restart(1);
      etcd.restart(2);
    }
  }
}
