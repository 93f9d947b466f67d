package io.ringlb.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.ringlb.core.Placement;
import io.ringlb.placement.Placements;
import io.ringlb.server.testing.RedisServersExtension;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisDataException;

/**
 * RING ABORT, and ring changes whose backends die or restart empty while keys move, through the
 * proxy over real redis-servers. The migrations move one key per batch at 100 keys a second, so a
 * kill lands mid-migration, between two batches; the tests poll INFO migration for progress.
 */
class RingAbortTest {

  @RegisterExtension
  static final RedisServersExtension redis = RedisServersExtension.servers(4).freshForEachTest();

  private static final int KEYS = 1000;

  private ProxyServer proxy;
  private Path dir;
  private Path state;
  private final ExecutorService admin = Executors.newFixedThreadPool(2);

  @BeforeEach
  void start() throws Exception {
    dir = Files.createTempDirectory("ringlb-abort");
    state = dir.resolve("state.yaml");
  }

  @AfterEach
  void stop() throws Exception {
    admin.shutdownNow();
    if (proxy != null) {
      proxy.close();
    }
    try (var files = Files.walk(dir)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  /** Backends 0.. {@code backends - 1}, seed placement, one key per batch at 100 keys/s. */
  private ProxyConfig.Builder config(int backends) {
    return ProxyFixtures.config(redis.servers(), backends)
        .placement("seed")
        .migrationBatch(1)
        .migrationRate(100)
        .stateFile(state);
  }

  private Jedis client() {
    return new Jedis("127.0.0.1", proxy.port(), 30_000);
  }

  private static String key(int i) {
    return MigrationTest.key(i);
  }

  private static Object ring(Jedis jedis, String... args) {
    try {
      Object reply = jedis.sendCommand(() -> "RING".getBytes(StandardCharsets.US_ASCII), args);
      return reply instanceof byte[] b ? new String(b, StandardCharsets.UTF_8) : reply;
    } catch (JedisDataException e) {
      return "-" + e.getMessage();
    }
  }

  /** Sends a RING command from another thread: its reply comes when the change is done. */
  private Future<Object> ringLater(String... args) {
    return admin.submit(
        () -> {
          try (Jedis jedis = client()) {
            return ring(jedis, args);
          }
        });
  }

  private static Placement seed(int... ids) {
    Placement p = Placements.forStore("seed");
    for (int id : ids) {
      p.addServer(id, Placement.MoveListener.NONE);
    }
    return p;
  }

  private static int owner(Placement p, String key) {
    return p.serverFor(p.hashKey(key.getBytes(StandardCharsets.UTF_8)));
  }

  private static long field(String info, String section, String name) {
    Matcher m = Pattern.compile(section + ":.*?[:,]" + name + "=(\\d+)").matcher(info);
    return m.find() ? Long.parseLong(m.group(1)) : -1;
  }

  /** Waits until the running migration moved at least {@code keys} keys. */
  private void awaitMoved(Jedis jedis, long keys) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    long moved = -1;
    while (System.nanoTime() < deadline) {
      moved = field(jedis.info("migration"), "migration0", "keys_moved");
      if (moved >= keys) {
        return;
      }
      Thread.sleep(10);
    }
    throw new AssertionError("the migration moved " + moved + " keys, not " + keys);
  }

  private void writeKeys() {
    try (Jedis jedis = client()) {
      for (int i = 0; i < KEYS; i++) {
        jedis.set(key(i), "v" + i);
      }
    }
  }

  /** Reads every key; returns those whose read failed. */
  private Set<Integer> failingReads(Jedis jedis, String prefix) {
    Set<Integer> failing = new HashSet<>();
    for (int i = 0; i < KEYS; i++) {
      try {
        assertThat(jedis.get(key(i))).as(key(i)).isEqualTo(prefix + i);
      } catch (JedisDataException e) {
        failing.add(i);
      }
    }
    return failing;
  }

  private static long lost(Object abortReply) {
    Matcher m = Pattern.compile("keys_lost=(\\d+)").matcher(String.valueOf(abortReply));
    assertThat(m.find()).as("RING ABORT answered %s", abortReply).isTrue();
    return Long.parseLong(m.group(1));
  }

  /**
   * Kills backend 3 while RING ADD 3 moves keys to it; returns the keys whose read failed while it
   * was dead (after checking that every other key, the moving ones not yet moved included, was read
   * and written through the proxy meanwhile).
   */
  private Set<Integer> addThenKillTarget(Future<Object> add) throws Exception {
    Placement after = seed(0, 1, 2, 3);
    Set<Integer> moving = new HashSet<>();
    for (int i = 0; i < KEYS; i++) {
      if (owner(after, key(i)) == 3) {
        moving.add(i);
      }
    }
    try (Jedis jedis = client()) {
      awaitMoved(jedis, 20);
      redis.server(3).kill();
      Set<Integer> failing = failingReads(jedis, "v");
      assertThat(moving).containsAll(failing);
      assertThat(failing).as("keys moved to the dead backend").hasSizeGreaterThanOrEqualTo(20);
      assertThat(moving.size() - failing.size())
          .as("moving keys not moved yet, read from their old owner")
          .isPositive();
      // Writes of every key still on a healthy backend succeed, the moving ones included.
      for (int i = 0; i < KEYS; i++) {
        if (!failing.contains(i)) {
          assertThat(jedis.set(key(i), "w" + i)).isEqualTo("OK");
        }
      }
      assertThat(failingReads(jedis, "w")).isEqualTo(failing);
      assertThat(String.valueOf(add.get(30, TimeUnit.SECONDS))).contains("stalled");
      assertThat(ring(jedis, "REMOVE", "1").toString())
          .contains("a migration is already running (add 3)");
      return failing;
    }
  }

  @Test
  @Timeout(120)
  void abort_ofAnAddWhoseTargetDied_countsTheLostKeysAndServesTheRest() throws Exception {
    proxy = ProxyServer.start(config(3).build());
    writeKeys();
    Future<Object> add = ringLater("ADD", "3", redis.server(3).address());
    Set<Integer> failing = addThenKillTarget(add);

    try (Jedis jedis = client()) {
      Object reply = ring(jedis, "ABORT");
      assertThat(lost(reply)).as("RING ABORT answered %s", reply).isEqualTo(failing.size());
      assertThat(String.valueOf(reply)).startsWith("aborted add 3").contains("unreachable");
      assertThat(jedis.info("migration"))
          .contains("migrations_running:0")
          .contains("last_migration:kind=add,server=3")
          .contains("state=aborted");
      assertThat(ring(jedis, "NODES").toString()).doesNotContain("id=3 ");
      // Every key of a healthy backend reads its last value and takes writes; the lost ones miss.
      for (int i = 0; i < KEYS; i++) {
        String value = jedis.get(key(i));
        assertThat(value).as(key(i)).isEqualTo(failing.contains(i) ? null : "w" + i);
        assertThat(jedis.set(key(i), "x" + i)).isEqualTo("OK");
      }
      assertThat(failingReads(jedis, "x")).isEmpty();
      assertThat(jedis.dbSize()).isEqualTo(KEYS);

      // The next change is accepted, to an empty redis-server on the dead one's port.
      redis.restart(redis.server(3));
      assertThat(ring(jedis, "ADD", "3", redis.server(3).address())).isEqualTo("OK");
      assertThat(failingReads(jedis, "x")).isEmpty();
      assertThat(redis.server(3).dbsize()).isPositive();
    }
  }

  @Test
  @Timeout(120)
  void abort_isRecorded_aRestartedProxyRoutesByTheRingBefore() throws Exception {
    proxy = ProxyServer.start(config(3).build());
    writeKeys();
    Future<Object> add = ringLater("ADD", "3", redis.server(3).address());
    Set<Integer> failing = addThenKillTarget(add);
    try (Jedis jedis = client()) {
      assertThat(lost(ring(jedis, "ABORT"))).isEqualTo(failing.size());
    }
    assertThat(Files.readString(state)).doesNotContain("migration:").doesNotContain("+3");
    proxy.close();

    // Started again from the state file only: the backends on the command line are ignored.
    proxy = ProxyServer.start(ProxyFixtures.config(redis.servers(), 1).stateFile(state).build());
    Placement before = seed(0, 1, 2);
    try (Jedis jedis = client()) {
      assertThat(ring(jedis, "NODES").toString()).doesNotContain("id=3 ").contains("id=2 ");
      for (int i = 0; i < KEYS; i++) {
        assertThat(jedis.get(key(i))).as(key(i)).isEqualTo(failing.contains(i) ? null : "w" + i);
        assertThat(jedis.set(key(i), "y" + i)).isEqualTo("OK");
        try (Jedis direct = redis.server(owner(before, key(i))).client()) {
          assertThat(direct.get(key(i))).as("%s on its owner", key(i)).isEqualTo("y" + i);
        }
      }
    }
  }

  @Test
  @Timeout(120)
  void abort_ofAHealthyAdd_movesTheKeysBack() throws Exception {
    proxy = ProxyServer.start(config(3).build());
    writeKeys();
    Future<Object> add = ringLater("ADD", "3", redis.server(3).address());
    try (Jedis jedis = client()) {
      awaitMoved(jedis, 20);
      Object reply = ring(jedis, "ABORT");
      assertThat(String.valueOf(reply)).startsWith("aborted add 3").contains("keys_lost=0");
      Matcher back = Pattern.compile("keys_moved_back=(\\d+)").matcher(String.valueOf(reply));
      assertThat(back.find()).isTrue();
      assertThat(Long.parseLong(back.group(1))).isGreaterThanOrEqualTo(20);
      assertThat(String.valueOf(add.get(30, TimeUnit.SECONDS))).contains("aborted");
      assertThat(redis.server(3).dbsize()).isZero();
      assertThat(failingReads(jedis, "v")).isEmpty();
      Placement before = seed(0, 1, 2);
      for (int i = 0; i < KEYS; i++) {
        try (Jedis direct = redis.server(owner(before, key(i))).client()) {
          assertThat(direct.get(key(i))).as("%s on its owner", key(i)).isEqualTo("v" + i);
        }
      }
      assertThat(Files.readString(state)).doesNotContain("migration:").doesNotContain("+3");
      assertThat(ring(jedis, "ABORT").toString()).contains("no ring change is running");
    }
  }

  @Test
  @Timeout(120)
  void restart_whileAnAbortMovesKeysBack_resumesTheMovingBack() throws Exception {
    proxy = ProxyServer.start(config(3).build());
    writeKeys();
    Future<Object> add = ringLater("ADD", "3", redis.server(3).address());
    Future<Object> abort;
    try (Jedis jedis = client()) {
      awaitMoved(jedis, 60);
      abort = ringLater("ABORT");
      assertThat(String.valueOf(add.get(30, TimeUnit.SECONDS))).contains("aborted");
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      // Once the moving back moved a key, its start is in the state file.
      Pattern undoing = Pattern.compile("migration0:kind=abort-add,server=3,.*?,keys_moved=[1-9]");
      while (!undoing.matcher(jedis.info("migration")).find() && System.nanoTime() < deadline) {
        Thread.sleep(5);
      }
      assertThat(jedis.info("migration")).containsPattern(undoing);
    }
    proxy.close(); // mid-way: the state file records the moving back
    assertThat(String.valueOf(abort.get(30, TimeUnit.SECONDS))).contains("shutting down");
    assertThat(Files.readString(state)).contains("undoes:").contains("kind: remove");

    proxy = ProxyServer.start(ProxyFixtures.config(redis.servers(), 1).stateFile(state).build());
    try (Jedis jedis = client()) {
      assertThat(failingReads(jedis, "v")).isEmpty();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (!jedis.info("migration").contains("migrations_running:0")
          && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      assertThat(jedis.info("migration"))
          .contains("migrations_running:0")
          .contains("last_migration:kind=abort-add,server=3");
      assertThat(redis.server(3).dbsize()).isZero();
      assertThat(ring(jedis, "NODES").toString()).doesNotContain("id=3 ");
    }
    assertThat(Files.readString(state)).doesNotContain("migration:").doesNotContain("+3");
    Placement before = seed(0, 1, 2);
    for (int i = 0; i < KEYS; i++) {
      try (Jedis direct = redis.server(owner(before, key(i))).client()) {
        assertThat(direct.get(key(i))).as("%s on its owner", key(i)).isEqualTo("v" + i);
      }
    }
  }

  @Test
  @Timeout(120)
  void abort_ofARemove_movesTheKeysBackToTheBackend() throws Exception {
    proxy = ProxyServer.start(config(3).build());
    writeKeys();
    long onTwo = redis.server(2).dbsize();
    Future<Object> remove = ringLater("REMOVE", "2");
    try (Jedis jedis = client()) {
      awaitMoved(jedis, 20);
      Object reply = ring(jedis, "ABORT");
      assertThat(String.valueOf(reply)).startsWith("aborted remove 2").contains("keys_lost=0");
      assertThat(String.valueOf(remove.get(30, TimeUnit.SECONDS))).contains("aborted");
      assertThat(redis.server(2).dbsize()).isEqualTo(onTwo);
      assertThat(failingReads(jedis, "v")).isEmpty();
      assertThat(ring(jedis, "NODES").toString()).contains("id=2 ");
    }
  }

  @Test
  @Timeout(120)
  void keyOnBothOwners_theCopyOnTheOwnerBeforeTheChangeWins() throws Exception {
    // A MIGRATE that timed out after the new owner restored the key leaves a copy there while
    // the old owner keeps its own, which requests served by the old owner may have changed since:
    // the old owner's copy is the newest.
    proxy = ProxyServer.start(config(3).migrationRate(2).build());
    writeKeys();
    Future<Object> add = ringLater("ADD", "3", redis.server(3).address());
    Placement before = seed(0, 1, 2);
    Placement after = seed(0, 1, 2, 3);
    try (Jedis jedis = client()) {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      // This connection's requests are routed by the migration's topology.
      while (!ring(jedis, "NODES").toString().contains("state=importing")
          && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      int ghosts = 0;
      for (int i = 0; i < KEYS && ghosts < 5; i++) {
        if (owner(after, key(i)) != 3) {
          continue;
        }
        try (Jedis old = redis.server(owner(before, key(i))).client();
            Jedis joining = redis.server(3).client()) {
          if (("v" + i).equals(old.get(key(i))) && old.set(key(i), "newest" + i).equals("OK")) {
            joining.set(key(i), "older" + i);
            assertThat(jedis.get(key(i))).as(key(i)).isEqualTo("newest" + i);
            assertThat(joining.get(key(i))).isEqualTo("newest" + i);
            assertThat(old.exists(key(i))).isFalse();
            ghosts++;
          }
        }
      }
      assertThat(ghosts).isEqualTo(5);
      assertThat(String.valueOf(ring(jedis, "ABORT"))).startsWith("aborted add 3");
      assertThat(String.valueOf(add.get(30, TimeUnit.SECONDS))).contains("aborted");
      assertThat(redis.server(3).dbsize()).isZero();
    }
  }

  @Test
  @Timeout(120)
  void abort_ofARemoveWhoseBackendDied_isRefused() throws Exception {
    proxy = ProxyServer.start(config(3).build());
    writeKeys();
    Future<Object> remove = ringLater("REMOVE", "2");
    try (Jedis jedis = client()) {
      awaitMoved(jedis, 20);
      redis.server(2).kill();
      assertThat(String.valueOf(remove.get(30, TimeUnit.SECONDS))).contains("stalled");
      assertThat(ring(jedis, "ABORT").toString())
          .startsWith("-ERR ringlb: backend 2 (")
          .contains("is unreachable")
          .contains("RING REMOVE 2 FORCE");
      // Nothing changed: the removal still runs, and keys of the other backends are served.
      assertThat(jedis.info("migration")).contains("migration0:kind=remove,server=2");
      Placement before = seed(0, 1, 2);
      for (int i : failingReads(jedis, "v")) {
        assertThat(owner(before, key(i))).as("owner of %s, which failed", key(i)).isEqualTo(2);
      }
    }
  }

  @Test
  @Timeout(120)
  void remove_whoseBackendRestartsEmpty_reportsTheLoss() throws Exception {
    proxy = ProxyServer.start(config(3).build());
    writeKeys();
    Future<Object> remove = ringLater("REMOVE", "2");
    try (Jedis jedis = client()) {
      awaitMoved(jedis, 20);
      redis.restart(redis.server(2));
      // The reply is an error: the loss once the removal is done, or the stall the restart
      // caused (then the loss is in INFO migration).
      String reply = String.valueOf(remove.get(60, TimeUnit.SECONDS));
      assertThat(reply).startsWith("-ERR ringlb: ");
      if (!reply.contains("stalled")) {
        assertThat(reply)
            .startsWith("-ERR ringlb: RING remove 2 is done, but keys were lost")
            .contains("restarted during the migration");
      }
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (!jedis.info("migration").contains("migrations_running:0")
          && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      String info = jedis.info("migration");
      assertThat(info)
          .contains("migrations_running:0")
          .contains("last_migration:kind=remove,server=2")
          .contains("state=done")
          .contains("data_loss=backend 2");
      Matcher m = Pattern.compile("restarted [^:]*?: (\\d+) keys it held are lost").matcher(info);
      assertThat(m.find()).as(info).isTrue();
      long missing = 0;
      for (int i = 0; i < KEYS; i++) {
        if (jedis.get(key(i)) == null) {
          missing++;
        }
      }
      // A key may have been moved by the batch under way when the backend died.
      assertThat(missing)
          .isPositive()
          .isBetween(Long.parseLong(m.group(1)) - 1, Long.parseLong(m.group(1)));
    }
  }

  @Test
  @Timeout(120)
  void add_whoseTargetRestartsEmpty_reportsTheLoss() throws Exception {
    proxy = ProxyServer.start(config(3).build());
    writeKeys();
    Future<Object> add = ringLater("ADD", "3", redis.server(3).address());
    List<String> replies = new ArrayList<>();
    try (Jedis jedis = client()) {
      awaitMoved(jedis, 20);
      redis.restart(redis.server(3));
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (!jedis.info("migration").contains("migrations_running:0")
          && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      replies.add(String.valueOf(add.get(30, TimeUnit.SECONDS)));
      assertThat(jedis.info("migration"))
          .contains("last_migration:kind=add,server=3")
          .contains("data_loss=backend 3");
    }
    assertThat(replies.get(0)).startsWith("-ERR ringlb: ");
  }
}
