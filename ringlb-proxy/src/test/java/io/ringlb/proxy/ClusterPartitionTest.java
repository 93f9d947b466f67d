package io.ringlb.proxy;

import static io.ringlb.proxy.ClusterFixtures.awaitProxiesUp;
import static io.ringlb.proxy.ClusterFixtures.ring;
import static io.ringlb.proxy.ClusterFixtures.setOnceUp;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ringlb.server.testing.RedisServersExtension;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisException;

/**
 * A proxy partitioned for real: it runs in a network namespace of its own ({@link NetnsPartition},
 * which describes the layout: nothing of the root namespace is touched, no packet leaves the
 * machine) whose veth links to etcd and to the backends are cut with {@code ip link set down}. Cut
 * from etcd while no change runs, it keeps serving by its ring, refuses ring changes, and rejoins
 * by itself. Cut while a RING ADD runs through another proxy, it is fenced at the backends: with
 * the backends still reachable its writes are refused there; cut from everything its writes fail;
 * either way nothing it acknowledged is lost, and once healed it routes by the new ring.
 */
@ExtendWith(NetnsPartition.Available.class)
class ClusterPartitionTest {

  @RegisterExtension static final EtcdClusterExtension etcd = new EtcdClusterExtension();

  @RegisterExtension
  static final RedisServersExtension redis = RedisServersExtension.servers(3).flushBeforeEachTest();

  private static final AtomicInteger CLUSTERS = new AtomicInteger();
  private static final int KEYS = 600;
  private static NetnsPartition net;

  private final List<AutoCloseable> running = new ArrayList<>();

  @BeforeAll
  static void network() throws Exception {
    List<Integer> ports = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      ports.add(redis.server(i).port());
    }
    net = NetnsPartition.create(etcd.endpointList(), ports);
  }

  @AfterAll
  static void unplug() throws Exception {
    if (net != null) {
      net.close();
    }
  }

  @AfterEach
  void stop() throws Exception {
    for (int i = running.size() - 1; i >= 0; i--) {
      running.get(i).close();
    }
    running.clear();
    net.healEtcd();
    net.healBackends();
  }

  /** The backend address the ring records: {@code localhost}, which each namespace resolves. */
  private static String backend(int index) {
    return "localhost:" + redis.server(index).port();
  }

  /** A proxy in the root namespace over backends 0 and 1, and one in the partitioned namespace. */
  private NetnsPartition.Proxy start(String name) throws Exception {
    ProxyConfig config =
        ProxyConfig.builder()
            .port(0)
            .threads(2)
            .requestTimeout(Duration.ofSeconds(5))
            .backend("0=" + backend(0))
            .backend("1=" + backend(1))
            .cluster(new ClusterSpec(name, etcd.endpointList()))
            .build();
    ProxyServer a = ProxyServer.start(config);
    running.add(a);
    root = a;
    NetnsPartition.Proxy p = net.startProxy(name, 0);
    running.add(p);
    return p;
  }

  private ProxyServer root;

  private static String info(Jedis j, String field) {
    for (String line : j.info("cluster").split("\r\n")) {
      if (line.startsWith(field + ":")) {
        return line.substring(field.length() + 1);
      }
    }
    throw new AssertionError("no " + field + " in INFO cluster");
  }

  /** Waits (bounded) until {@code j}'s INFO cluster shows {@code field} at {@code value}. */
  private static void awaitInfo(Jedis j, String field, String value) throws InterruptedException {
    String last = "";
    for (int i = 0; i < 1200; i++) {
      last = info(j, field);
      if (last.equals(value)) {
        return;
      }
      Thread.sleep(100);
    }
    throw new AssertionError(field + " stayed " + last + ", not " + value);
  }

  @Test
  void cutFromEtcd_keepsServingByItsRing_refusesChanges_andRejoinsByItself() throws Exception {
    NetnsPartition.Proxy p = start("part" + CLUSTERS.incrementAndGet());
    try (Jedis ja = new Jedis("127.0.0.1", root.port(), 60_000);
        Jedis jp = new Jedis("127.0.0.1", p.port(), 60_000)) {
      awaitProxiesUp(ja, 2, 1800);
      for (int i = 0; i < KEYS; i++) {
        assertThat((i % 2 == 0 ? ja : jp).set("k" + i, "v0")).isEqualTo("OK");
      }

      net.cutEtcd();
      awaitInfo(jp, "cluster_etcd_reachable", "0");
      // it serves by the ring it has: its writes land where the other proxy reads them
      for (int i = 0; i < KEYS; i++) {
        assertThat(jp.set("k" + i, "v1")).isEqualTo("OK");
      }
      for (int i = 0; i < KEYS; i++) {
        assertThat(ja.get("k" + i)).as("k%d through the other proxy", i).isEqualTo("v1");
        assertThat(jp.get("k" + i)).isEqualTo("v1");
      }
      assertThatThrownBy(() -> ring(jp, "ADD", "2", backend(2)))
          .hasMessageContaining("cannot change the ring: etcd");

      net.healEtcd();
      awaitInfo(jp, "cluster_etcd_reachable", "1");
      awaitProxiesUp(ja, 2, 1800);
      // the next change is acknowledged by the proxy that was cut, which routes by it
      assertThat(ring(ja, "ADD", "2", backend(2))).isEqualTo("OK");
      assertThat(info(jp, "ring_epoch")).isEqualTo(info(ja, "ring_epoch"));
      for (int i = 0; i < KEYS; i++) {
        setOnceUp(jp, "k" + i, "v2");
      }
      for (int i = 0; i < KEYS; i++) {
        assertThat(ja.get("k" + i)).as("k%d through the other proxy", i).isEqualTo("v2");
      }
      try (Jedis direct = redis.server(2).client()) {
        assertThat(direct.dbSize()).as("keys on the backend added").isPositive();
      }
    }
  }

  @Test
  void cutFromEtcdOnly_duringAChange_isFencedAtTheBackends_andLosesNothing() throws Exception {
    duringAChange(false);
  }

  @Test
  void cutFromEverything_duringAChange_itsWritesFail_andItLosesNothing() throws Exception {
    duringAChange(true);
  }

  /**
   * Cuts the namespaced proxy from etcd (and from the backends when {@code everything}) while a
   * writer writes through it, runs RING ADD through the other proxy, heals, and checks that every
   * write the cut proxy acknowledged is read through the other proxy.
   */
  private void duringAChange(boolean everything) throws Exception {
    String name = "part" + CLUSTERS.incrementAndGet();
    NetnsPartition.Proxy p = start(name);
    Map<String, String> acknowledged = new ConcurrentHashMap<>();
    AtomicInteger failed = new AtomicInteger();
    AtomicInteger okAfterFence = new AtomicInteger();
    AtomicInteger okWhileFenced = new AtomicInteger();
    AtomicBoolean fenced = new AtomicBoolean();
    AtomicBoolean healing = new AtomicBoolean();
    AtomicBoolean stop = new AtomicBoolean();
    try (Jedis ja = new Jedis("127.0.0.1", root.port(), 120_000)) {
      try (Jedis jp = new Jedis("127.0.0.1", p.port(), 60_000)) {
        awaitProxiesUp(ja, 2, 1800);
        for (int i = 0; i < KEYS; i++) {
          assertThat((i % 2 == 0 ? ja : jp).set("k" + i, "v0")).isEqualTo("OK");
          acknowledged.put("k" + i, "v0");
        }
      }
      Thread writer =
          new Thread(
              () -> {
                Jedis jp = new Jedis("127.0.0.1", p.port(), 30_000);
                long deadline = System.nanoTime() + Duration.ofMinutes(4).toNanos();
                for (int n = 1; n < 1_000_000 && !stop.get() && System.nanoTime() < deadline; n++) {
                  String key = "k" + (n % KEYS);
                  boolean after = fenced.get();
                  boolean cut = after && !healing.get();
                  try {
                    if ("OK".equals(jp.set(key, "w" + n))) {
                      acknowledged.put(key, "w" + n);
                      if (after) {
                        okAfterFence.incrementAndGet();
                      }
                      if (cut && !healing.get()) {
                        okWhileFenced.incrementAndGet();
                      }
                      continue;
                    }
                  } catch (JedisException e) {
                    jp.close();
                    jp = new Jedis("127.0.0.1", p.port(), 30_000);
                  }
                  acknowledged.remove(key); // outcome unknown: either value
                  failed.incrementAndGet();
                  try {
                    Thread.sleep(20);
                  } catch (InterruptedException e) {
                    return;
                  }
                }
                jp.close();
              },
              "writer");
      writer.start();
      Thread.sleep(500);

      net.cutEtcd();
      if (everything) {
        net.cutBackends();
      }
      try (Jedis jp = new Jedis("127.0.0.1", p.port(), 60_000)) {
        awaitInfo(jp, "cluster_etcd_reachable", "0");
      }

      // the change through the other proxy fences the cut one instead of failing
      assertThat(ring(ja, "ADD", "2", backend(2))).isEqualTo("OK");
      fenced.set(true);
      assertThat(ring(ja, "PROXIES").split("\n")).as("members once fenced").hasSize(1);
      for (int s = 0; s < 3; s++) {
        try (Jedis direct = redis.server(s).client()) {
          assertThat(direct.aclList())
              .as("ACL users on backend %d", s)
              .anyMatch(u -> u.contains("ringlb-" + name) && u.contains(" off "));
        }
      }
      Thread.sleep(2000); // the writer goes on through the fenced proxy

      healing.set(true);
      net.healEtcd();
      net.healBackends();
      awaitProxiesUp(ja, 2, 1800);
      stop.set(true);
      writer.join(120_000);
      assertThat(writer.isAlive()).isFalse();
      try (Jedis jp = new Jedis("127.0.0.1", p.port(), 60_000)) {
        assertThat(info(jp, "ring_epoch")).isEqualTo(info(ja, "ring_epoch"));
        for (int i = 0; i < 200; i++) {
          setOnceUp(jp, "after" + i, "y");
          acknowledged.put("after" + i, "y");
        }
      }
      for (Map.Entry<String, String> e : acknowledged.entrySet()) {
        assertThat(ja.get(e.getKey()))
            .as("acknowledged %s, read through the other proxy", e.getKey())
            .isEqualTo(e.getValue());
      }
      assertThat(failed.get()).as("writes through the cut proxy that failed").isPositive();
      assertThat(okWhileFenced.get())
          .as("writes through the fenced proxy, sent and acknowledged before the link came back")
          .isZero();
      try (Jedis direct = redis.server(2).client()) {
        assertThat(direct.dbSize()).as("keys on the backend added").isPositive();
      }
      System.out.println(
          "ClusterPartitionTest("
              + (everything ? "everything" : "etcd only")
              + "): "
              + failed.get()
              + " writes through the cut proxy failed, "
              + okAfterFence.get()
              + " acknowledged after the change ended (each read back)");
    }
  }
}
