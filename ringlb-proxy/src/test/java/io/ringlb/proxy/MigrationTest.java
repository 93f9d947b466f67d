package io.ringlb.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.ringlb.core.HashRing;
import io.ringlb.core.Placement;
import io.ringlb.server.testing.RedisServer;
import io.ringlb.server.testing.RedisServersExtension;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import redis.clients.jedis.Jedis;

/** Live RING ADD / RING REMOVE through the proxy over real redis-servers, under load. */
class MigrationTest {

  /** New servers for each test: the tests count the keys each one holds after migrations. */
  @RegisterExtension
  static final RedisServersExtension redis = RedisServersExtension.servers(5).freshForEachTest();

  private ProxyServer proxy;
  private Path dir;

  @BeforeEach
  void start() throws Exception {
    dir = Files.createTempDirectory("ringlb-migration");
  }

  @AfterEach
  void stop() throws Exception {
    if (proxy != null) {
      proxy.close();
    }
    if (dir != null) {
      try (var files = Files.walk(dir)) {
        files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  private ProxyConfig.Builder config(int backends) {
    return ProxyFixtures.config(redis.servers(), backends).migrationBatch(50);
  }

  private Jedis client() {
    return new Jedis("127.0.0.1", proxy.port(), 30_000);
  }

  /** Keys whose first bytes differ, so djb2 spreads them over the whole ring. */
  static String key(int i) {
    return String.format("%08x:user", io.ringlb.core.Hashes.seedLabel(i + 1));
  }

  private static long lastMoved(Jedis jedis) {
    java.util.regex.Matcher m =
        java.util.regex.Pattern.compile("last_migration:.*?keys_moved=(\\d+)")
            .matcher(jedis.info("migration"));
    return m.find() ? Long.parseLong(m.group(1)) : -1;
  }

  private static Object ring(Jedis jedis, String... args) {
    Object reply = jedis.sendCommand(() -> "RING".getBytes(StandardCharsets.US_ASCII), args);
    return reply instanceof byte[] b ? new String(b, StandardCharsets.UTF_8) : reply;
  }

  private static Placement placement(String name, int servers) {
    Placement p = io.ringlb.placement.Placements.forStore(name);
    for (int id = 0; id < servers; id++) {
      p.addServer(id, Placement.MoveListener.NONE);
    }
    return p;
  }

  @ParameterizedTest
  @ValueSource(strings = {"seed", "slots"})
  @Timeout(120)
  void ringChanges_underLoad_loseNothingAndReadNothingStale(String placementName) throws Exception {
    proxy = ProxyServer.start(config(3).migrationRate(3000).placement(placementName).build());
    int keys = 1200;
    int writers = 4;
    AtomicLongArray acked = new AtomicLongArray(keys);
    AtomicBoolean stop = new AtomicBoolean();
    ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();
    AtomicLong writes = new AtomicLong();
    AtomicLong reads = new AtomicLong();
    ExecutorService pool = Executors.newFixedThreadPool(writers + 2);
    List<Future<?>> tasks = new ArrayList<>();
    try (Jedis setup = client()) {
      for (int i = 0; i < keys; i++) {
        setup.set(key(i), "1");
        acked.set(i, 1);
      }
    }
    for (int w = 0; w < writers; w++) {
      int first = w;
      tasks.add(
          pool.submit(
              () -> {
                try (Jedis jedis = client()) {
                  long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(100);
                  while (!stop.get() && System.nanoTime() < deadline) {
                    for (int i = first; i < keys && !stop.get(); i += writers) {
                      long next = acked.get(i) + 1;
                      try {
                        String r = jedis.set(key(i), Long.toString(next));
                        if ("OK".equals(r)) {
                          acked.set(i, next);
                          writes.incrementAndGet();
                        } else {
                          problems.add("SET " + key(i) + " answered " + r);
                        }
                      } catch (RuntimeException e) {
                        problems.add("SET " + key(i) + " failed: " + e.getMessage());
                        return;
                      }
                    }
                  }
                }
              }));
    }
    // A transaction writer, group after group: MULTI, INCR {gN}.a, INCR {gN}.b, EXEC on even
    // groups; on odd ones an optimistic increment (WATCH, GET, MULTI, SET, INCR, EXEC, again
    // when EXEC answers nil, as it does when a ring change moved the watched keys).
    int groups = 60;
    AtomicLongArray committed = new AtomicLongArray(groups);
    tasks.add(
        pool.submit(
            () -> {
              try (Jedis jedis = client()) {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(100);
                while (!stop.get() && System.nanoTime() < deadline) {
                  for (int g = 0; g < groups && !stop.get(); g++) {
                    long n = committed.get(g) + 1;
                    try {
                      List<Object> r = null;
                      for (int attempt = 0; r == null && attempt < 1000; attempt++) {
                        if (g % 2 == 1) {
                          jedis.watch(group(g, "a"));
                          String a = jedis.get(group(g, "a"));
                          redis.clients.jedis.Transaction tx = jedis.multi();
                          tx.set(
                              group(g, "a"), Long.toString(a == null ? 1 : Long.parseLong(a) + 1));
                          tx.incr(group(g, "b"));
                          r = tx.exec();
                          if (r != null) {
                            r =
                                List.of(
                                    Long.parseLong(String.valueOf(jedis.get(group(g, "a")))),
                                    r.get(1));
                          }
                        } else {
                          redis.clients.jedis.Transaction tx = jedis.multi();
                          tx.incr(group(g, "a"));
                          tx.incr(group(g, "b"));
                          r = tx.exec();
                        }
                      }
                      if (!List.of(n, n).equals(r)) {
                        problems.add("transaction on group " + g + " answered " + r + ", not " + n);
                        return;
                      }
                      committed.set(g, n);
                    } catch (RuntimeException e) {
                      problems.add("transaction on group " + g + " failed: " + e.getMessage());
                      return;
                    }
                  }
                }
              }
            }));
    for (int r = 0; r < 2; r++) {
      boolean useMget = r == 1;
      tasks.add(
          pool.submit(
              () -> {
                try (Jedis jedis = client()) {
                  ThreadLocalRandom random = ThreadLocalRandom.current();
                  long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(100);
                  while (!stop.get() && System.nanoTime() < deadline) {
                    int[] sample = {
                      random.nextInt(keys), random.nextInt(keys), random.nextInt(keys)
                    };
                    long[] before = new long[sample.length];
                    for (int j = 0; j < sample.length; j++) {
                      before[j] = acked.get(sample[j]);
                    }
                    List<String> values;
                    try {
                      if (useMget) {
                        values = jedis.mget(key(sample[0]), key(sample[1]), key(sample[2]));
                      } else {
                        values = List.of(String.valueOf(jedis.get(key(sample[0]))));
                      }
                    } catch (RuntimeException e) {
                      problems.add("read failed: " + e.getMessage());
                      return;
                    }
                    for (int j = 0; j < values.size(); j++) {
                      String v = values.get(j);
                      if (v == null || v.equals("null") || Long.parseLong(v) < before[j]) {
                        problems.add(
                            "stale read of "
                                + key(sample[j])
                                + ": "
                                + v
                                + " after "
                                + before[j]
                                + " was acknowledged");
                      }
                    }
                    reads.incrementAndGet();
                  }
                }
              }));
    }

    // Servers 0..2 start in the ring; 3 and 4 are spare. Twelve live changes.
    String[][] changes = {
      {"ADD", "3"}, {"ADD", "4"}, {"REMOVE", "0"}, {"REMOVE", "3"}, {"ADD", "0"},
      {"REMOVE", "1"}, {"ADD", "3"}, {"REMOVE", "4"}, {"ADD", "1"}, {"REMOVE", "2"},
      {"ADD", "4"}, {"ADD", "2"},
    };
    try (Jedis admin = client()) {
      for (String[] change : changes) {
        int id = Integer.parseInt(change[1]);
        Object reply =
            change[0].equals("ADD")
                ? ring(admin, "ADD", change[1], redis.server(id).address())
                : ring(admin, "REMOVE", change[1]);
        assertThat(String.valueOf(reply)).as("RING %s %s", change[0], change[1]).isEqualTo("OK");
        assertThat(lastMoved(admin))
            .as("keys moved by RING %s %s", change[0], change[1])
            .isPositive();
        if (change[0].equals("REMOVE")) {
          assertThat(redis.server(id).dbsize()).as("keys left on drained backend %d", id).isZero();
        }
        assertThat(problems).as("problems after RING %s %s", change[0], change[1]).isEmpty();
        Thread.sleep(100);
      }
    } finally {
      stop.set(true);
      for (Future<?> task : tasks) {
        task.get(30, TimeUnit.SECONDS);
      }
      pool.shutdownNow();
    }
    assertThat(problems).isEmpty();
    assertThat(writes.get()).isGreaterThan(keys);
    assertThat(reads.get()).isPositive();
    assertThat(committed.get(groups - 1)).as("transactions on the last group").isPositive();

    // Every key holds its last acknowledged value, once, on its owner under the final ring
    // (replayed in order: a placement's layout may depend on the order of changes).
    Placement ring = placement(placementName, 3);
    for (String[] change : changes) {
      int id = Integer.parseInt(change[1]);
      if (change[0].equals("ADD")) {
        ring.addServer(id, Placement.MoveListener.NONE);
      } else {
        ring.removeServer(id, Placement.MoveListener.NONE);
      }
    }
    try (Jedis jedis = client()) {
      for (int i = 0; i < keys; i++) {
        assertThat(jedis.get(key(i))).as(key(i)).isEqualTo(Long.toString(acked.get(i)));
        int owner = ring.serverFor(ring.hashKey(key(i).getBytes(StandardCharsets.UTF_8)));
        try (Jedis direct = redis.server(owner).client()) {
          assertThat(direct.get(key(i)))
              .as("%s on backend %d", key(i), owner)
              .isEqualTo(Long.toString(acked.get(i)));
        }
      }
      // Both counters of a group moved together and count every committed transaction.
      for (int g = 0; g < groups; g++) {
        String n = Long.toString(committed.get(g));
        int owner = ring.serverFor(ring.hashKey(("g" + g).getBytes(StandardCharsets.UTF_8)));
        try (Jedis direct = redis.server(owner).client()) {
          assertThat(direct.mget(group(g, "a"), group(g, "b")))
              .as("group %d on backend %d", g, owner)
              .containsExactly(n, n);
        }
      }
      assertThat(jedis.dbSize()).isEqualTo(keys + 2L * groups);
    }
    long total = redis.servers().stream().mapToLong(RedisServer::dbsize).sum();
    assertThat(total).isEqualTo(keys + 2L * groups);
  }

  private static String group(int g, String field) {
    return "{g" + g + "}." + field;
  }

  @Test
  @Timeout(60)
  void restart_midMigration_resumesAndLosesNothing() throws Exception {
    Path state = dir.resolve("state.yaml");
    ProxyConfig config = config(3).migrationRate(400).stateFile(state).build();
    proxy = ProxyServer.start(config);
    int keys = 1500;
    try (Jedis jedis = client()) {
      for (int i = 0; i < keys; i++) {
        jedis.set(key(i), "v" + i);
      }
      jedis.expire(key(0), 1000);
    }
    ExecutorService admin = Executors.newSingleThreadExecutor();
    Future<Object> add =
        admin.submit(
            () -> {
              try (Jedis jedis = client()) {
                return ring(jedis, "ADD", "3", redis.server(3).address());
              } catch (RuntimeException e) {
                return e.getMessage();
              }
            });
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (redis.server(3).dbsize() < 40 && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertThat(redis.server(3).dbsize()).isGreaterThanOrEqualTo(40);
    proxy.close(); // stops mid-migration, as a crash would: the state file records it
    proxy = null;
    assertThat(String.valueOf(add.get(10, TimeUnit.SECONDS))).contains("shutting down");
    admin.shutdownNow();
    assertThat(Files.readString(state)).contains("migration:").contains("kind: add");

    // Start again from the state file only: the backends given on the command line are ignored.
    proxy = ProxyServer.start(config(1).migrationRate(0).stateFile(state).build());
    try (Jedis jedis = client()) {
      // Reads during the resumed migration find every key, moved or not.
      for (int i = 0; i < keys; i += 7) {
        assertThat(jedis.get(key(i))).isEqualTo("v" + i);
      }
      for (int i = 1; i < keys; i += 11) {
        jedis.set(key(i), "w" + i);
      }
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (!jedis.info("migration").contains("migrations_running:0")
          && System.nanoTime() < until) {
        Thread.sleep(20);
      }
      assertThat(jedis.info("migration"))
          .contains("migrations_running:0")
          .contains("kind=add,server=3");
      for (int i = 0; i < keys; i++) {
        String expected = (i % 11 == 1 ? "w" : "v") + i;
        assertThat(jedis.get(key(i))).as(key(i)).isEqualTo(expected);
      }
      assertThat(jedis.ttl(key(0))).isBetween(900L, 1000L);
      assertThat(jedis.dbSize()).isEqualTo(keys);
    }
    assertThat(Files.readString(state)).doesNotContain("migration:").contains("- 3");
    HashRing ring = HashRing.seed();
    for (int id = 0; id < 4; id++) {
      ring.addServer(id, Placement.MoveListener.NONE);
    }
    Map<Integer, Long> expected = new TreeMap<>();
    for (int i = 0; i < keys; i++) {
      expected.merge(
          ring.serverFor(ring.hashKey(key(i).getBytes(StandardCharsets.UTF_8))), 1L, Long::sum);
    }
    for (int id = 0; id < 4; id++) {
      assertThat(redis.server(id).dbsize())
          .as("keys on backend %d", id)
          .isEqualTo(expected.getOrDefault(id, 0L));
    }
  }

  @Test
  @Timeout(60)
  void scan_duringRingChanges_returnsEveryKeyPresentThroughout() throws Exception {
    // Backends 1, 2, 3; then 0 joins (keys move to the lowest id) and 3 leaves (keys move from the
    // highest): the orders in which a SCAN that ignored migrations would miss moving keys.
    proxy =
        ProxyServer.start(
            ProxyConfig.builder()
                .port(0)
                .threads(2)
                .migrationBatch(20)
                .migrationRate(200) // slow enough for several SCAN iterations on a loaded machine
                .requestTimeout(Duration.ofSeconds(5))
                .placement("slots")
                .backend("1=" + redis.server(0).address())
                .backend("2=" + redis.server(1).address())
                .backend("3=" + redis.server(2).address())
                .build());
    int keys = 1200;
    java.util.Set<String> all = new java.util.HashSet<>();
    try (Jedis jedis = client()) {
      for (int i = 0; i < keys; i++) {
        jedis.set(key(i), "v");
        all.add(key(i));
      }
    }
    ExecutorService pool = Executors.newSingleThreadExecutor();
    try (Jedis jedis = client()) {
      Future<?> changes =
          pool.submit(
              () -> {
                try (Jedis admin = client()) {
                  ring(admin, "ADD", "0", redis.server(3).address());
                  ring(admin, "REMOVE", "3");
                }
                return null;
              });
      int iterations = 0;
      while (!changes.isDone()) {
        java.util.Set<String> seen = new java.util.HashSet<>();
        String cursor = "0";
        int pages = 0;
        do {
          var page = jedis.scan(cursor, new redis.clients.jedis.params.ScanParams().count(20));
          seen.addAll(page.getResult());
          cursor = page.getCursor();
        } while (!cursor.equals("0") && ++pages < 100_000);
        assertThat(all).as("keys missed by SCAN iteration %d", iterations).isSubsetOf(seen);
        iterations++;
      }
      changes.get();
      assertThat(iterations).as("SCAN iterations during the ring changes").isGreaterThan(3);
      assertThat(ring(jedis, "NODES").toString()).doesNotContain("id=3 ").contains("id=0 ");
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  @Timeout(60)
  void ringChanges_backToBack_nextOneAcceptedAsSoonAsTheLastAnswered() throws Exception {
    proxy = ProxyServer.start(config(3).build());
    try (Jedis jedis = client()) {
      for (int i = 0; i < 50; i++) {
        jedis.set(key(i), "v");
      }
      for (int round = 0; round < 15; round++) {
        assertThat(ring(jedis, "ADD", "3", redis.server(3).address()))
            .as("ADD, round %d", round)
            .isEqualTo("OK");
        assertThat(ring(jedis, "REMOVE", "3")).as("REMOVE, round %d", round).isEqualTo("OK");
      }
      assertThat(jedis.dbSize()).isEqualTo(50);
    }
    assertThat(redis.server(3).dbsize()).isZero();
  }
}
