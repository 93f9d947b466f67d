package io.ringlb.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.ringlb.server.testing.RedisServersExtension;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import redis.clients.jedis.Jedis;

/**
 * A history checker over three proxies of one cluster: writers and readers through every proxy at
 * once (each key with one writer and increasing values, counters incremented through different
 * proxies) while 20 ring changes are issued through different proxies. No acknowledged write is
 * lost, no read returns a value older than the last write acknowledged before the read started,
 * every INCR is counted once, and every backend that left the ring is empty.
 */
class ClusterCheckerTest {

  @RegisterExtension static final EtcdClusterExtension etcd = new EtcdClusterExtension();

  @RegisterExtension
  static final RedisServersExtension redis = RedisServersExtension.servers(4).flushBeforeEachTest();

  private static final int PROXIES = 3;
  private static final int KEYS_PER_WRITER = 40;
  private static final int COUNTERS = 8;
  private static final int CHANGES = 20;

  private final List<ProxyServer> proxies = new ArrayList<>();

  @AfterEach
  void stop() {
    for (int i = proxies.size() - 1; i >= 0; i--) {
      proxies.get(i).close();
    }
  }

  private static String ring(Jedis j, String... args) {
    Object reply = j.sendCommand(() -> "RING".getBytes(StandardCharsets.UTF_8), args);
    return new String((byte[]) reply, StandardCharsets.UTF_8);
  }

  @Test
  void twentyChangesThroughThreeProxies_noLostWrite_noStaleRead_everyIncrOnce() throws Exception {
    ClusterSpec cluster = new ClusterSpec("checker", etcd.endpointList());
    for (int p = 0; p < PROXIES; p++) {
      proxies.add(
          ProxyServer.start(ProxyFixtures.config(redis.servers(), 2).cluster(cluster).build()));
    }
    // the last value acknowledged for each key, and the highest one sent
    Map<String, Long> acked = new ConcurrentHashMap<>();
    Map<String, Long> sent = new ConcurrentHashMap<>();
    AtomicLong[] incrAcked = new AtomicLong[COUNTERS];
    for (int c = 0; c < COUNTERS; c++) {
      incrAcked[c] = new AtomicLong();
    }
    List<String> violations = java.util.Collections.synchronizedList(new ArrayList<>());
    AtomicInteger errors = new AtomicInteger();
    AtomicInteger reads = new AtomicInteger();
    AtomicBoolean done = new AtomicBoolean();
    List<Thread> workers = new ArrayList<>();
    long stopBy = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(120);
    for (int p = 0; p < PROXIES; p++) {
      int proxy = p;
      int port = proxies.get(p).port();
      workers.add(
          new Thread(
              () -> {
                try (Jedis j = new Jedis("127.0.0.1", port, 30_000)) {
                  for (long n = 1; !done.get() && System.nanoTime() < stopBy; n++) {
                    String key = "w" + proxy + ":" + (n % KEYS_PER_WRITER);
                    sent.put(key, n);
                    if ("OK".equals(j.set(key, Long.toString(n)))) {
                      acked.put(key, n);
                    }
                    int c = (int) ((n + proxy) % COUNTERS);
                    j.incr("counter" + c);
                    incrAcked[c].incrementAndGet();
                  }
                } catch (RuntimeException e) {
                  errors.incrementAndGet();
                  violations.add("writer " + proxy + ": " + e);
                }
              }));
      workers.add(
          new Thread(
              () -> {
                try (Jedis j = new Jedis("127.0.0.1", port, 30_000)) {
                  while (!done.get() && System.nanoTime() < stopBy) {
                    ThreadLocalRandom r = ThreadLocalRandom.current();
                    String key = "w" + r.nextInt(PROXIES) + ":" + r.nextInt(KEYS_PER_WRITER);
                    Long floor = acked.get(key); // acknowledged before this read starts
                    String got = j.get(key);
                    Long ceiling = sent.get(key);
                    reads.incrementAndGet();
                    long value = got == null ? 0 : Long.parseLong(got);
                    if (floor != null && value < floor) {
                      violations.add(
                          "stale read of "
                              + key
                              + " through proxy "
                              + proxy
                              + ": "
                              + got
                              + " after "
                              + floor
                              + " was acknowledged");
                    }
                    if (ceiling != null && value > ceiling) {
                      violations.add("read of " + key + ": " + got + " was never written");
                    }
                  }
                } catch (RuntimeException e) {
                  errors.incrementAndGet();
                  violations.add("reader " + proxy + ": " + e);
                }
              }));
    }
    workers.forEach(Thread::start);

    // ADD 2, ADD 3, REMOVE 2, REMOVE 3, five times, each through the next proxy
    String[][] cycle = {
      {"ADD", "2", redis.server(2).address()},
      {"ADD", "3", redis.server(3).address()},
      {"REMOVE", "2"},
      {"REMOVE", "3"}
    };
    for (int i = 0; i < CHANGES; i++) {
      String[] change = cycle[i % cycle.length];
      try (Jedis j = new Jedis("127.0.0.1", proxies.get(i % PROXIES).port(), 120_000)) {
        assertThat(ring(j, change))
            .as("change %d: RING %s", i, String.join(" ", change))
            .isEqualTo("OK");
      }
      if (change[0].equals("REMOVE")) {
        try (Jedis direct =
            new Jedis("127.0.0.1", redis.server(Integer.parseInt(change[1])).port())) {
          assertThat(direct.dbSize()).as("keys left on drained backend %s", change[1]).isZero();
        }
      }
    }
    done.set(true);
    for (Thread t : workers) {
      t.join(60_000);
    }

    assertThat(violations).isEmpty();
    assertThat(errors.get()).isZero();
    assertThat(reads.get()).isPositive();
    for (ProxyServer p : proxies) {
      try (Jedis j = new Jedis("127.0.0.1", p.port(), 30_000)) {
        for (Map.Entry<String, Long> e : acked.entrySet()) {
          assertThat(j.get(e.getKey()))
              .as("%s through proxy %d", e.getKey(), p.port())
              .isEqualTo(Long.toString(e.getValue()));
        }
        for (int c = 0; c < COUNTERS; c++) {
          assertThat(j.get("counter" + c))
              .as("counter%d: every INCR counted once", c)
              .isEqualTo(Long.toString(incrAcked[c].get()));
        }
      }
    }
    for (int s = 2; s < 4; s++) {
      try (Jedis direct = new Jedis("127.0.0.1", redis.server(s).port())) {
        assertThat(direct.dbSize()).as("keys left on drained backend %d", s).isZero();
      }
    }
  }
}
