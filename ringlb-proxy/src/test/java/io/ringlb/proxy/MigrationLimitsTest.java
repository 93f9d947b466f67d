package io.ringlb.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.ringlb.core.Placement;
import io.ringlb.server.testing.RedisServer;
import io.ringlb.server.testing.RedisServersExtension;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.exceptions.JedisDataException;

/**
 * A joining backend frozen mid-migration: the sources keep serving the keys that do not move, and
 * the migration rate holds over every second, the stall included.
 */
class MigrationLimitsTest {

  /** New servers for each test: the tests freeze the joining one and count keys. */
  @RegisterExtension
  static final RedisServersExtension redis = RedisServersExtension.servers(4).freshForEachTest();

  private ProxyServer proxy;
  private ExecutorService pool;

  @AfterEach
  void stop() throws Exception {
    if (pool != null) {
      pool.shutdownNow();
    }
    try {
      redis.server(3).resume();
    } finally {
      if (proxy != null) {
        proxy.close();
      }
    }
  }

  private Jedis client() {
    return new Jedis("127.0.0.1", proxy.port(), 30_000);
  }

  private static Object ring(Jedis jedis, String... args) {
    Object reply = jedis.sendCommand(() -> "RING".getBytes(StandardCharsets.US_ASCII), args);
    return reply instanceof byte[] b ? new String(b, StandardCharsets.UTF_8) : reply;
  }

  private static Placement slots(int servers) {
    Placement p = io.ringlb.placement.Placements.forStore("slots");
    for (int id = 0; id < servers; id++) {
      p.addServer(id, Placement.MoveListener.NONE);
    }
    return p;
  }

  private static int owner(Placement p, String key) {
    return p.serverFor(p.hashKey(key.getBytes(StandardCharsets.UTF_8)));
  }

  /**
   * Writes {@code key(i) = v<i>} for every i below {@code keys}, pipelined a hundred at a time; a
   * SET that failed (a loaded machine may hold a backend past the request timeout) is sent again,
   * up to five rounds.
   */
  private void load(int keys) {
    List<Integer> left = new ArrayList<>();
    for (int i = 0; i < keys; i++) {
      left.add(i);
    }
    try (Jedis jedis = client()) {
      for (int round = 0; round < 5 && !left.isEmpty(); round++) {
        List<Integer> failed = new ArrayList<>();
        for (int from = 0; from < left.size(); from += 100) {
          List<Integer> chunk = left.subList(from, Math.min(left.size(), from + 100));
          Pipeline p = jedis.pipelined();
          for (int i : chunk) {
            p.set(MigrationTest.key(i), "v" + i);
          }
          List<Object> replies = p.syncAndReturnAll();
          for (int j = 0; j < chunk.size(); j++) {
            if (!"OK".equals(replies.get(j))) {
              failed.add(chunk.get(j));
            }
          }
        }
        left = failed;
      }
    }
    assertThat(left).as("keys whose SET failed five times").isEmpty();
  }

  /** Starts RING ADD 3 on another thread; returns its reply (or error text) when it ends. */
  private Future<Object> addBackend3() {
    return pool.submit(
        () -> {
          try (Jedis admin = client()) {
            return ring(admin, "ADD", "3", redis.server(3).address());
          } catch (JedisDataException e) {
            return e.getMessage();
          }
        });
  }

  private static void awaitKeys(RedisServer server, long keys) throws InterruptedException {
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (server.dbsize() < keys && System.nanoTime() < until) {
      Thread.sleep(5);
    }
    assertThat(server.dbsize()).as("keys moved to %s", server).isGreaterThanOrEqualTo(keys);
  }

  private static void waitUntil(long nanoTime) throws InterruptedException {
    while (System.nanoTime() - nanoTime < 0) {
      Thread.sleep(20);
    }
  }

  /** Every key has its value, on its owner in the ring of 4, once. */
  private void assertAllKeysOnTheirOwners(int keys) {
    Placement after = slots(4);
    long[] expected = new long[4];
    try (Jedis jedis = client()) {
      for (int i = 0; i < keys; i++) {
        String key = MigrationTest.key(i);
        assertThat(jedis.get(key)).as(key).isEqualTo("v" + i);
        expected[owner(after, key)]++;
      }
    }
    for (int id = 0; id < 4; id++) {
      assertThat(redis.server(id).dbsize()).as("keys on backend %d", id).isEqualTo(expected[id]);
    }
  }

  @Test
  @Timeout(120)
  void frozenJoiningBackend_stallsNoRequestForKeysThatDoNotMove() throws Exception {
    proxy =
        ProxyServer.start(
            ProxyFixtures.config(redis.servers(), 3)
                .placement("slots")
                .migrationBatch(50)
                .migrationRate(500)
                .build());
    pool = Executors.newFixedThreadPool(3);
    int keys = 3000;
    load(keys);
    Placement before = slots(3);
    Placement after = slots(4);
    List<Integer> staying = new ArrayList<>();
    List<Integer> moving = new ArrayList<>();
    for (int i = 0; i < keys; i++) {
      String key = MigrationTest.key(i);
      if (owner(before, key) == owner(after, key)) {
        staying.add(i);
      } else if (owner(before, key) == 2) {
        moving.add(i); // the last source the migration scans: not moved yet when it freezes
      }
    }

    Future<Object> add = addBackend3();
    awaitKeys(redis.server(3), 100);
    redis.server(3).pause();
    long frozenUntil = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(3500);
    ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();
    AtomicBoolean frozen = new AtomicBoolean(true);
    // Reads of keys that stay where they are, on the healthy sources: none may wait for the target.
    Future<long[]> stayingReads =
        pool.submit(
            () -> {
              long count = 0;
              long longest = 0;
              try (Jedis jedis = client()) {
                for (int n = 0; frozen.get() && n < 1_000_000; n++) {
                  int i = staying.get(n % staying.size());
                  long start = System.nanoTime();
                  String value = jedis.get(MigrationTest.key(i));
                  longest = Math.max(longest, System.nanoTime() - start);
                  count++;
                  if (!("v" + i).equals(value)) {
                    problems.add("GET " + MigrationTest.key(i) + " (staying) answered " + value);
                  }
                }
              }
              return new long[] {count, longest};
            });
    // Meanwhile requests for moving keys: their moves (MIGRATE on the sources) must not stall the
    // sources either.
    Future<long[]> movingReads =
        pool.submit(
            () -> {
              long answered = 0;
              long failed = 0;
              try (Jedis jedis = client()) {
                for (int n = 0; frozen.get() && n < 1_000_000; n++) {
                  int i = moving.get((n * 7) % moving.size());
                  try {
                    String value = jedis.get(MigrationTest.key(i));
                    answered++;
                    if (!("v" + i).equals(value)) {
                      problems.add("GET " + MigrationTest.key(i) + " (moving) answered " + value);
                    }
                  } catch (JedisDataException e) {
                    failed++;
                    if (!e.getMessage().contains("backend 3")) {
                      problems.add("GET " + MigrationTest.key(i) + " failed: " + e.getMessage());
                    }
                  }
                }
              }
              return new long[] {answered, failed};
            });
    waitUntil(frozenUntil);
    frozen.set(false);
    redis.server(3).resume();
    long[] stayed = stayingReads.get(60, TimeUnit.SECONDS);
    long[] moved = movingReads.get(60, TimeUnit.SECONDS);
    assertThat(add.get(60, TimeUnit.SECONDS)).isEqualTo("OK");

    assertThat(problems).isEmpty();
    assertThat(Duration.ofNanos(stayed[1]))
        .as("the longest read of a key that does not move, the target frozen for 3.5 s")
        .isLessThan(Duration.ofSeconds(2));
    assertThat(stayed[0]).as("reads of keys that do not move, during the freeze").isGreaterThan(20);
    assertThat(moved[0] + moved[1]).as("requests for moving keys answered").isPositive();
    try (Jedis jedis = client()) {
      assertThat(jedis.info("migration"))
          .containsPattern("last_migration:.*migrate_timeouts=[1-9]");
    }
    assertAllKeysOnTheirOwners(keys);
  }

  @Test
  @Timeout(120)
  void frozenJoiningBackend_keysNotMovedYet_areServedByTheirOldOwner() throws Exception {
    proxy =
        ProxyServer.start(
            ProxyFixtures.config(redis.servers(), 3)
                .placement("slots")
                .migrationBatch(50)
                .migrationRate(500)
                .build());
    pool = Executors.newFixedThreadPool(1);
    int keys = 3000;
    load(keys);
    Placement before = slots(3);
    Placement after = slots(4);
    Future<Object> add = addBackend3();
    awaitKeys(redis.server(3), 100);
    redis.server(3).pause();
    // Keys of the last source the migration scans that move to the frozen backend and are still
    // on their old owner: no MIGRATE carried them yet.
    List<Integer> waiting = new ArrayList<>();
    try (Jedis old = redis.server(2).client()) {
      for (int i = 0; i < keys && waiting.size() < 25; i++) {
        String key = MigrationTest.key(i);
        if (owner(before, key) == 2 && owner(after, key) == 3 && old.exists(key)) {
          waiting.add(i);
        }
      }
    }
    assertThat(waiting).hasSize(25);
    try (Jedis jedis = client()) {
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (!jedis.info("migration").matches("(?s).*migrate_timeouts=[1-9].*")
          && System.nanoTime() < until) {
        Thread.sleep(20);
      }
      assertThat(jedis.info("migration"))
          .as("a MIGRATE to the frozen backend timed out: its gate is closed")
          .containsPattern("migrate_timeouts=[1-9]");
      // While it stays frozen: reads, writes and deletes of those keys are answered by the old
      // owner, where they would fail after the request timeout if they waited for the target.
      for (int n = 0; n < 25; n++) {
        int i = waiting.get(n);
        String key = MigrationTest.key(i);
        if (n < 10) {
          assertThat(jedis.get(key)).as(key).isEqualTo("v" + i);
        } else if (n < 20) {
          assertThat(jedis.set(key, "w" + i)).as(key).isEqualTo("OK");
        } else {
          assertThat(jedis.del(key)).as(key).isEqualTo(1);
        }
      }
      assertThat(jedis.info("migration"))
          .containsPattern("requests_served_by_old_owner=(2[5-9]|[3-9][0-9]|[1-9][0-9]{2,})");
    }
    redis.server(3).resume();
    assertThat(add.get(60, TimeUnit.SECONDS)).isEqualTo("OK");

    long[] expected = new long[4];
    try (Jedis jedis = client()) {
      for (int i = 0; i < keys; i++) {
        String key = MigrationTest.key(i);
        int n = waiting.indexOf(i);
        if (n >= 20) {
          assertThat(jedis.get(key)).as("%s, deleted while its new owner was frozen", key).isNull();
          continue;
        }
        assertThat(jedis.get(key)).as(key).isEqualTo((n >= 10 ? "w" : "v") + i);
        expected[owner(after, key)]++;
      }
    }
    for (int id = 0; id < 4; id++) {
      assertThat(redis.server(id).dbsize()).as("keys on backend %d", id).isEqualTo(expected[id]);
    }
  }

  @Test
  @Timeout(120)
  void migrationRate_holdsOverEverySecond_afterAStall() throws Exception {
    int rate = 300;
    int batch = 20;
    proxy =
        ProxyServer.start(
            ProxyFixtures.config(redis.servers(), 3)
                .placement("slots")
                .migrationBatch(batch)
                .migrationRate(rate)
                .build());
    pool = Executors.newFixedThreadPool(2);
    int keys = 2400;
    load(keys);

    // The target's key count, sampled: {sent, received, keys} per sample.
    AtomicBoolean sampling = new AtomicBoolean(true);
    Future<List<long[]>> samples =
        pool.submit(
            () -> {
              List<long[]> out = new ArrayList<>();
              try (Jedis target = new Jedis("127.0.0.1", redis.server(3).port(), 30_000)) {
                for (int n = 0; sampling.get() && n < 100_000; n++) {
                  long sent = System.nanoTime();
                  long size = target.dbSize();
                  out.add(new long[] {sent, System.nanoTime(), size});
                  Thread.sleep(10);
                }
              }
              return out;
            });
    Future<Object> add = addBackend3();
    awaitKeys(redis.server(3), 150);
    redis.server(3).pause();
    waitUntil(System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(1500));
    redis.server(3).resume();
    assertThat(add.get(60, TimeUnit.SECONDS)).isEqualTo("OK");
    sampling.set(false);
    List<long[]> s = samples.get(30, TimeUnit.SECONDS);

    // Every pair of samples taken within one second of each other (the first sent and the second
    // answered within it) bounds the keys moved in a window of at most a second.
    long most = 0;
    String where = "";
    for (int i = 0; i < s.size(); i++) {
      for (int k = i + 1; k < s.size(); k++) {
        if (s.get(k)[1] - s.get(i)[0] > 1_000_000_000L) {
          break;
        }
        long movedInWindow = s.get(k)[2] - s.get(i)[2];
        if (movedInWindow > most) {
          most = movedInWindow;
          where = "samples " + i + " to " + k + " of " + s.size();
        }
      }
    }
    assertThat(most)
        .as("keys moved in one second (%s); migration.rate %d, batch %d", where, rate, batch)
        .isLessThanOrEqualTo(rate + batch)
        .isGreaterThan(rate / 2);
    assertAllKeysOnTheirOwners(keys);
  }

  @Test
  @Timeout(120)
  void largeKeys_moveAlthoughOneTakesLongerThanTheTimeout() throws Exception {
    proxy =
        ProxyServer.start(
            ProxyFixtures.config(redis.servers(), 3)
                .placement("slots")
                .migrationTimeout(Duration.ofMillis(2))
                .build());
    pool = Executors.newFixedThreadPool(1);
    int keys = 300;
    load(keys);
    Placement after = slots(4);
    byte[] large = new byte[8 << 20];
    java.util.Arrays.fill(large, (byte) 'x');
    List<String> moving = new ArrayList<>();
    for (int i = 0; moving.size() < 4 && i < 10_000; i++) {
      String key = "large:" + i;
      if (owner(after, key) == 3) {
        moving.add(key);
      }
    }
    try (Jedis jedis = client()) {
      for (String key : moving) {
        jedis.set(key.getBytes(StandardCharsets.UTF_8), large);
      }
    }
    assertThat(addBackend3().get(60, TimeUnit.SECONDS)).isEqualTo("OK");
    try (Jedis target = redis.server(3).client()) {
      for (String key : moving) {
        assertThat(target.strlen(key)).as(key).isEqualTo(large.length);
      }
    }
    try (Jedis jedis = client()) {
      assertThat(jedis.dbSize()).isEqualTo(keys + moving.size());
    }
    long total = 0;
    for (int id = 0; id < 4; id++) {
      total += redis.server(id).dbsize();
    }
    assertThat(total).as("keys on all backends: none left twice").isEqualTo(keys + moving.size());
  }
}
