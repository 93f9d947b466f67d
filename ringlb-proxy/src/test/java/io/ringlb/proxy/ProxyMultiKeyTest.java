package io.ringlb.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ringlb.core.HashRing;
import io.ringlb.core.Placement;
import io.ringlb.server.testing.RedisServer;
import io.ringlb.server.testing.RedisServersExtension;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisDataException;

/** Hash tags and the multi-key commands served whole on one backend, over real redis-servers. */
class ProxyMultiKeyTest {

  /** New servers for each test: the tests migrate, load scripts and count keys per server. */
  @RegisterExtension
  static final RedisServersExtension redis = RedisServersExtension.servers(4).freshForEachTest();

  private ProxyServer proxy;

  @AfterEach
  void stop() {
    if (proxy != null) {
      proxy.close();
    }
  }

  private ProxyConfig.Builder config(int backends) {
    return ProxyFixtures.config(redis.servers(), backends).migrationBatch(20);
  }

  private Jedis client() {
    return new Jedis("127.0.0.1", proxy.port(), 30_000);
  }

  private static int owner(String routedOn) {
    HashRing ring = HashRing.seed();
    for (int i = 0; i < 3; i++) {
      ring.addServer(i, Placement.MoveListener.NONE);
    }
    return ring.serverFor(ring.hashKey(routedOn.getBytes(StandardCharsets.UTF_8)));
  }

  private static Object call(Jedis jedis, String command, String... args) {
    Object reply = jedis.sendCommand(() -> command.getBytes(StandardCharsets.US_ASCII), args);
    return reply instanceof byte[] b ? new String(b, StandardCharsets.UTF_8) : reply;
  }

  @Test
  void hashTag_keysSharingATag_areStoredTogetherOnTheTagsOwner() throws Exception {
    proxy = ProxyServer.start(config(3).build());
    Set<Integer> owners = new java.util.HashSet<>();
    try (Jedis jedis = client()) {
      for (int i = 0; i < 60; i++) {
        String tag = MigrationTest.key(i);
        jedis.set("{" + tag + "}.cart", "c" + i);
        jedis.set("orders:{" + tag + "}", "o" + i);
      }
    }
    for (int i = 0; i < 60; i++) {
      String tag = MigrationTest.key(i);
      int owner = owner(tag);
      owners.add(owner);
      try (Jedis direct = redis.server(owner).client()) {
        assertThat(direct.get("{" + tag + "}.cart")).isEqualTo("c" + i);
        assertThat(direct.get("orders:{" + tag + "}")).isEqualTo("o" + i);
      }
    }
    assertThat(owners).as("the tags spread over every backend").hasSize(3);
  }

  @Test
  void sameBackendCommands_keysUnderOneTag_runWholeOnTheOwner() throws Exception {
    proxy = ProxyServer.start(config(3).build());
    try (Jedis jedis = client()) {
      jedis.set("{u1}.a", "1");
      assertThat(jedis.rename("{u1}.a", "{u1}.b")).isEqualTo("OK");
      assertThat(jedis.get("{u1}.b")).isEqualTo("1");
      assertThat(jedis.exists("{u1}.a")).isFalse();

      jedis.sadd("{s}.x", "a", "b", "c");
      jedis.sadd("{s}.y", "b", "c", "d");
      assertThat(jedis.sinterstore("{s}.both", "{s}.x", "{s}.y")).isEqualTo(2);
      assertThat(jedis.smembers("{s}.both")).containsExactlyInAnyOrder("b", "c");
      assertThat(jedis.sunion("{s}.x", "{s}.y")).containsExactlyInAnyOrder("a", "b", "c", "d");

      jedis.zadd("{z}.a", 1, "m");
      jedis.zadd("{z}.b", 2, "m");
      // ZUNIONSTORE dest numkeys key key: the destination and the counted keys
      assertThat(call(jedis, "ZUNIONSTORE", "{z}.sum", "2", "{z}.a", "{z}.b")).isEqualTo(1L);
      assertThat(jedis.zscore("{z}.sum", "m")).isEqualTo(3.0);

      assertThat(jedis.msetnx("{m}.1", "a", "{m}.2", "b")).isEqualTo(1L);
      assertThat(jedis.msetnx("{m}.2", "x", "{m}.3", "y")).isZero();
      assertThat(jedis.exists("{m}.3")).isFalse();

      jedis.rpush("{n}.list", "3", "1", "2");
      assertThat(call(jedis, "SORT", "{n}.list", "STORE", "{n}.sorted")).isEqualTo(3L);
      assertThat(jedis.lrange("{n}.sorted", 0, -1)).containsExactly("1", "2", "3");
      assertThat(
              jedis.sortReadonly("{n}.list", new redis.clients.jedis.params.SortingParams().desc()))
          .containsExactly("3", "2", "1");
      assertThatThrownBy(() -> call(jedis, "SORT", "{n}.list", "STORE", "{m}.sorted"))
          .isInstanceOf(JedisDataException.class)
          .hasMessageStartingWith("CROSSSLOT");

      jedis.geoadd("{g}.points", 0.1, 0.1, "a");
      jedis.geoadd("{g}.points", 0.2, 0.2, "b");
      assertThat(call(jedis, "GEORADIUS", "{g}.points", "0", "0", "100", "km", "STORE", "{g}.near"))
          .isEqualTo(2L);
      assertThat(jedis.zcard("{g}.near")).isEqualTo(2L);

      jedis.rpush("{l}.src", "1", "2");
      assertThat(jedis.rpoplpush("{l}.src", "{l}.dst")).isEqualTo("2");
      assertThat(jedis.lrange("{l}.dst", 0, -1)).containsExactly("2");

      String script = "redis.call('set', KEYS[1], ARGV[1]); return redis.call('incr', KEYS[2])";
      assertThat(jedis.eval(script, 2, "{e}.name", "{e}.count", "ringlb")).isEqualTo(1L);
      assertThat(jedis.get("{e}.name")).isEqualTo("ringlb");
    }
  }

  @Test
  void sameBackendCommands_keysRoutedApart_answerCrossslot() throws Exception {
    proxy = ProxyServer.start(config(3).build());
    try (Jedis jedis = client()) {
      jedis.set("a", "1");
      assertThatThrownBy(() -> jedis.rename("a", "b"))
          .isInstanceOf(JedisDataException.class)
          .hasMessageStartingWith("CROSSSLOT")
          .hasMessageContaining("'rename'")
          .hasMessageContaining("{user1}.a and {user1}.b");
      assertThat(jedis.get("a")).isEqualTo("1");
      // a count of keys redis-server refuses: its own error, from a backend that runs nothing
      assertThatThrownBy(() -> call(jedis, "ZUNIONSTORE", "{z}.d", "3", "{z}.a"))
          .isInstanceOf(JedisDataException.class)
          .hasMessage("ERR syntax error");
      assertThatThrownBy(() -> call(jedis, "ZUNIONSTORE", "{z}.d", "0", "{z}.a"))
          .isInstanceOf(JedisDataException.class)
          .hasMessage("ERR at least 1 input key is needed for 'zunionstore' command");
      assertThat(jedis.exists("{z}.d")).isFalse();
      assertThatThrownBy(() -> call(jedis, "RENAME", "{a}"))
          .isInstanceOf(JedisDataException.class)
          .hasMessageContaining("wrong number of arguments for 'rename'");
    }
  }

  @Test
  void hashTagNone_routesWholeKeys() throws Exception {
    proxy = ProxyServer.start(config(3).hashTag("none").build());
    String left = null;
    String right = null;
    for (int i = 0; left == null; i++) {
      // two keys with one tag that whole-key routing sends to different backends
      if (owner("{t}" + i) != owner("{t}" + (i + 1))) {
        left = "{t}" + i;
        right = "{t}" + (i + 1);
      }
    }
    try (Jedis jedis = client()) {
      jedis.set(left, "v");
      try (Jedis direct = redis.server(owner(left)).client()) {
        assertThat(direct.get(left)).isEqualTo("v");
      }
      String from = left;
      String to = right;
      assertThatThrownBy(() -> jedis.rename(from, to))
          .isInstanceOf(JedisDataException.class)
          .hasMessageContaining("hash tags are off");
    }
  }

  @Test
  void start_hashTagDifferentFromTheStateFile_refusedWithBothNamed(@TempDir Path dir)
      throws Exception {
    Path state = dir.resolve("state.yaml");
    proxy = ProxyServer.start(config(3).stateFile(state).build());
    proxy.close();
    proxy = null;
    assertThatThrownBy(() -> ProxyServer.start(config(3).stateFile(state).hashTag("none").build()))
        .isInstanceOf(java.io.IOException.class)
        .hasMessage(
            state
                + " records keys routed with hash tag {}, but the configuration asks"
                + " for none; keys already stored would be looked for on the wrong backends. Set"
                + " hash-tag to {} or leave it out");
    // left out, the state file's tag is used
    proxy = ProxyServer.start(config(3).stateFile(state).build());
    try (Jedis jedis = client()) {
      jedis.set("{t}.a", "1");
      assertThat(jedis.rename("{t}.a", "{t}.b")).isEqualTo("OK");
    }
  }

  @Test
  void scriptLoad_reachesEveryBackend_soEvalshaWorksForEveryKey() throws Exception {
    proxy = ProxyServer.start(config(3).build());
    try (Jedis jedis = client()) {
      String sha = jedis.scriptLoad("return redis.call('incr', KEYS[1])");
      for (RedisServer instance : redis.servers().subList(0, 3)) {
        try (Jedis direct = instance.client()) {
          assertThat(direct.scriptExists(sha)).isTrue();
        }
      }
      Set<Integer> owners = new java.util.HashSet<>();
      for (int i = 0; i < 30; i++) {
        owners.add(owner(MigrationTest.key(i)));
        assertThat(jedis.evalsha(sha, 1, MigrationTest.key(i))).isEqualTo(1L);
      }
      assertThat(owners).hasSize(3);
      assertThat(jedis.scriptExists(sha, "0000000000000000000000000000000000000000"))
          .containsExactly(true, false);
      // loaded on one backend only: not there for every key
      try (Jedis direct = redis.server(0).client()) {
        direct.scriptLoad("return 2");
      }
      String two =
          java.util.HexFormat.of()
              .formatHex(
                  java.security.MessageDigest.getInstance("SHA-1")
                      .digest("return 2".getBytes(StandardCharsets.UTF_8)));
      assertThat(jedis.scriptExists(two)).isFalse();
      assertThat(jedis.scriptFlush()).isEqualTo("OK");
      assertThatThrownBy(() -> jedis.evalsha(sha, 1, "k"))
          .isInstanceOf(JedisDataException.class)
          .hasMessageContaining("NOSCRIPT");
      assertThatThrownBy(() -> jedis.scriptKill())
          .isInstanceOf(JedisDataException.class)
          .hasMessage("NOTBUSY No scripts in execution right now.");
    }
  }

  @Test
  void memoryUsageAndObject_routedByTheKeyAfterTheSubcommand() throws Exception {
    proxy = ProxyServer.start(config(3).build());
    try (Jedis jedis = client()) {
      for (int i = 0; i < 30; i++) {
        jedis.rpush(MigrationTest.key(i), "a", "b");
        // found on whichever backend owns the key (a wrong one would answer nil)
        assertThat(jedis.memoryUsage(MigrationTest.key(i))).as(MigrationTest.key(i)).isPositive();
        assertThat(jedis.objectEncoding(MigrationTest.key(i))).isIn("quicklist", "listpack");
      }
      assertThatThrownBy(() -> call(jedis, "MEMORY", "STATS"))
          .isInstanceOf(JedisDataException.class)
          .hasMessageContaining("'memory stats' concerns one redis-server");
    }
  }

  @Test
  void multiExec_keysUnderOneTag_runAsOneTransactionOnTheirBackend() throws Exception {
    proxy = ProxyServer.start(config(3).build());
    try (Jedis jedis = client()) {
      redis.clients.jedis.Transaction tx = jedis.multi();
      tx.set("{acct}.balance", "100");
      tx.incrBy("{acct}.balance", 5);
      tx.rpush("{acct}.log", "deposit");
      tx.mget("{acct}.balance", "{acct}.missing");
      List<Object> results = tx.exec();
      assertThat(results).hasSize(4);
      assertThat(results.get(0)).isEqualTo("OK");
      assertThat(results.get(1)).isEqualTo(105L);
      assertThat(results.get(2)).isEqualTo(1L);
      try (Jedis direct = redis.server(owner("acct")).client()) {
        assertThat(direct.get("{acct}.balance")).isEqualTo("105");
      }
      // DISCARD drops what was queued
      tx = jedis.multi();
      tx.set("{acct}.balance", "0");
      assertThat(tx.discard()).isEqualTo("OK");
      assertThat(jedis.get("{acct}.balance")).isEqualTo("105");
      // an empty transaction
      assertThat(jedis.multi().exec()).isEmpty();
    }
  }

  @Test
  void multiExec_refusedCommand_abortsTheWholeTransaction() throws Exception {
    proxy = ProxyServer.start(config(3).build());
    try (Jedis jedis = client()) {
      jedis.set("{a}.x", "1");
      assertThat(call(jedis, "MULTI")).isEqualTo("OK");
      assertThat(call(jedis, "SET", "{a}.x", "2")).isEqualTo("QUEUED");
      assertThatThrownBy(() -> call(jedis, "SET", "{b}.x", "2"))
          .isInstanceOf(JedisDataException.class)
          .hasMessageStartingWith("CROSSSLOT");
      assertThatThrownBy(() -> call(jedis, "MULTI"))
          .isInstanceOf(JedisDataException.class)
          .hasMessage("ERR MULTI calls can not be nested");
      assertThatThrownBy(() -> call(jedis, "KEYS", "*"))
          .isInstanceOf(JedisDataException.class)
          .hasMessageContaining("'keys' cannot be queued in a transaction");
      assertThatThrownBy(() -> call(jedis, "EXEC"))
          .isInstanceOf(JedisDataException.class)
          .hasMessageStartingWith("EXECABORT");
      assertThat(jedis.get("{a}.x")).isEqualTo("1");

      // redis-server refusing a queued command (GET's arity), as it is queued, aborts it the same
      // way
      assertThat(call(jedis, "MULTI")).isEqualTo("OK");
      assertThat(call(jedis, "SET", "{a}.x", "3")).isEqualTo("QUEUED");
      assertThatThrownBy(() -> call(jedis, "GET", "{a}.x", "extra"))
          .isInstanceOf(JedisDataException.class)
          .hasMessage("ERR wrong number of arguments for 'get' command");
      assertThatThrownBy(() -> call(jedis, "EXEC"))
          .isInstanceOf(JedisDataException.class)
          .hasMessageStartingWith("EXECABORT");

      assertThatThrownBy(() -> call(jedis, "EXEC"))
          .isInstanceOf(JedisDataException.class)
          .hasMessage("ERR EXEC without MULTI");
      assertThatThrownBy(() -> call(jedis, "DISCARD"))
          .isInstanceOf(JedisDataException.class)
          .hasMessage("ERR DISCARD without MULTI");
      assertThat(jedis.get("{a}.x")).isEqualTo("1");
    }
  }

  @Test
  void watch_optimisticLocking_asOnOneRedisServer() throws Exception {
    proxy = ProxyServer.start(config(3).build());
    try (Jedis a = client();
        Jedis b = client()) {
      a.set("{w}.balance", "10");
      // nobody else writes: the transaction runs
      assertThat(a.watch("{w}.balance", "{w}.log")).isEqualTo("OK");
      long balance = Long.parseLong(a.get("{w}.balance"));
      redis.clients.jedis.Transaction tx = a.multi();
      tx.set("{w}.balance", Long.toString(balance + 1));
      assertThat(tx.exec()).containsExactly("OK");

      // another client writes a watched key in between: EXEC answers nil
      a.watch("{w}.balance");
      b.set("{w}.balance", "100");
      tx = a.multi();
      tx.set("{w}.balance", "12");
      assertThat(tx.exec()).isNull();
      assertThat(a.get("{w}.balance")).isEqualTo("100");

      // EXEC ended that watch: the next transaction runs
      tx = a.multi();
      tx.incr("{w}.balance");
      assertThat(tx.exec()).containsExactly(101L);

      // UNWATCH and DISCARD forget the watch
      a.watch("{w}.balance");
      assertThat(a.unwatch()).isEqualTo("OK");
      b.set("{w}.balance", "200");
      tx = a.multi();
      tx.incr("{w}.balance");
      assertThat(tx.exec()).containsExactly(201L);
      a.watch("{w}.balance");
      a.multi().discard();
      b.set("{w}.balance", "300");
      tx = a.multi();
      tx.incr("{w}.balance");
      assertThat(tx.exec()).containsExactly(301L);

      // keys under other tags may be watched together (ProxyWatchAcrossBackendsTest)
      assertThat(a.watch("{w}.balance", "{other}.x")).isEqualTo("OK");
      assertThat(a.unwatch()).isEqualTo("OK");
      assertThat(call(a, "MULTI")).isEqualTo("OK");
      assertThatThrownBy(() -> call(a, "WATCH", "{w}.balance"))
          .isInstanceOf(JedisDataException.class)
          .hasMessage("ERR WATCH inside MULTI is not allowed");
      assertThat(call(a, "DISCARD")).isEqualTo("OK");
    }
  }

  @Test
  void watch_keysThatChangeOwnerBeforeExec_execAnswersNil() throws Exception {
    proxy = ProxyServer.start(config(3).build());
    HashRing four = HashRing.seed();
    for (int i = 0; i < 4; i++) {
      four.addServer(i, Placement.MoveListener.NONE);
    }
    String tag = null;
    for (int i = 0; tag == null; i++) {
      String candidate = MigrationTest.key(i);
      if (four.serverFor(four.hashKey(candidate.getBytes(StandardCharsets.UTF_8))) == 3) {
        tag = candidate; // moves to the new backend 3
      }
    }
    String key = "{" + tag + "}.v";
    try (Jedis a = client();
        Jedis admin = client()) {
      a.set(key, "1");
      a.watch(key);
      assertThat(call(admin, "RING", "ADD", "3", redis.server(3).address())).isEqualTo("OK");
      // watching it again after it moved does not revive the watch lost with the old owner
      assertThat(a.watch(key)).isEqualTo("OK");
      redis.clients.jedis.Transaction tx = a.multi();
      tx.set(key, "2");
      assertThat(tx.exec()).as("the watched key moved").isNull();
      assertThat(a.get(key)).isEqualTo("1");
      // watched again, now on its new owner: it runs there
      a.watch(key);
      tx = a.multi();
      tx.set(key, "3");
      assertThat(tx.exec()).containsExactly("OK");
      try (Jedis direct = redis.server(3).client()) {
        assertThat(direct.get(key)).isEqualTo("3");
      }
    }
  }

  @Test
  void streamConsumerGroups_routedByTheirStreams() throws Exception {
    proxy = ProxyServer.start(config(3).build());
    try (Jedis jedis = client()) {
      for (int i = 0; i < 20; i++) {
        String stream = MigrationTest.key(i);
        assertThat(call(jedis, "XGROUP", "CREATE", stream, "workers", "$", "MKSTREAM"))
            .isEqualTo("OK");
        call(jedis, "XADD", stream, "*", "job", "j" + i);
        List<?> read =
            (List<?>)
                call(
                    jedis,
                    "XREADGROUP",
                    "GROUP",
                    "workers",
                    "w1",
                    "COUNT",
                    "10",
                    "STREAMS",
                    stream,
                    ">");
        assertThat(read).as(stream).hasSize(1);
        List<?> entries = (List<?>) ((List<?>) read.get(0)).get(1);
        String id = new String((byte[]) ((List<?>) entries.get(0)).get(0), StandardCharsets.UTF_8);
        assertThat(call(jedis, "XACK", stream, "workers", id)).isEqualTo(1L);
        assertThat((List<?>) call(jedis, "XPENDING", stream, "workers")).isNotEmpty();
        assertThat(call(jedis, "XINFO", "STREAM", stream)).isNotNull();
      }
      // two streams under one tag in one XREAD
      call(jedis, "XADD", "{q}.a", "*", "f", "1");
      call(jedis, "XADD", "{q}.b", "*", "f", "2");
      assertThat(
              (List<?>) call(jedis, "XREAD", "COUNT", "5", "STREAMS", "{q}.a", "{q}.b", "0", "0"))
          .hasSize(2);
      assertThat(call(jedis, "XREAD", "BLOCK", "10", "STREAMS", "{q}.a", "$"))
          .as("XREAD BLOCK times out: nothing new")
          .isNull();
      assertThatThrownBy(() -> call(jedis, "XREAD", "STREAMS", "{q}.a", "{r}.b", "0", "0"))
          .isInstanceOf(JedisDataException.class)
          .hasMessageStartingWith("CROSSSLOT");
    }
  }

  @Test
  void blockingCommandsOfSeveralKeys_followTheMultiKeyRule() throws Exception {
    proxy = ProxyServer.start(config(3).build());
    try (Jedis jedis = client()) {
      String a = MigrationTest.key(0);
      String b = null;
      for (int i = 1; b == null; i++) {
        if (owner(MigrationTest.key(i)) != owner(a)) {
          b = MigrationTest.key(i);
        }
      }
      String other = b;
      assertThatThrownBy(() -> jedis.blpop(1, a, other))
          .isInstanceOf(JedisDataException.class)
          .hasMessage(
              "CROSSSLOT ringlb: the keys of 'blpop' are not routed as one, so they may live on"
                  + " different backends; give them one hash tag, as in {user1}.a and {user1}.b");
      jedis.rpush("{q}.b", "x");
      assertThat(jedis.blpop(1, "{q}.a", "{q}.b")).containsExactly("{q}.b", "x");
      assertThat(jedis.ping()).isEqualTo("PONG");
    }
  }

  @Test
  void sameBackendCommandsAndTransactions_duringMigration_moveEveryKeyFirst() throws Exception {
    proxy = ProxyServer.start(config(3).migrationRate(100).build());
    int pairs = 300;
    try (Jedis jedis = client()) {
      for (int i = 0; i < pairs; i++) {
        String tag = "{" + MigrationTest.key(i) + "}";
        jedis.set(tag + ".src", "v" + i);
        jedis.set(tag + ".dst", "stale" + i);
      }
    }
    ExecutorService admin = Executors.newSingleThreadExecutor();
    try {
      Future<Object> add =
          admin.submit(
              () -> {
                try (Jedis jedis = client()) {
                  return call(jedis, "RING", "ADD", "3", redis.server(3).address());
                }
              });
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (redis.server(3).dbsize() < 4 && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      assertThat(redis.server(3).dbsize()).as("migration under way").isGreaterThanOrEqualTo(4);
      try (Jedis jedis = client()) {
        assertThat(jedis.info("migration")).contains("migrations_running:1");
        // RENAME overwrites the destination: its stale copy must not come back after the move
        for (int i = 0; i < pairs; i++) {
          String tag = "{" + MigrationTest.key(i) + "}";
          assertThat(jedis.rename(tag + ".src", tag + ".dst")).as(tag).isEqualTo("OK");
          redis.clients.jedis.Transaction tx = jedis.multi();
          tx.incr(tag + ".n");
          tx.append(tag + ".dst", "!");
          assertThat(tx.exec()).as(tag).containsExactly(1L, (long) ("v" + i + "!").length());
        }
      }
      assertThat(add.get(60, TimeUnit.SECONDS)).isEqualTo("OK");
    } finally {
      admin.shutdownNow();
    }
    try (Jedis jedis = client()) {
      for (int i = 0; i < pairs; i++) {
        String tag = "{" + MigrationTest.key(i) + "}";
        assertThat(jedis.get(tag + ".dst")).as(tag).isEqualTo("v" + i + "!");
        assertThat(jedis.get(tag + ".n")).as(tag).isEqualTo("1");
        assertThat(jedis.exists(tag + ".src")).as(tag).isFalse();
      }
      assertThat(jedis.dbSize()).isEqualTo(2 * pairs);
    }
    try (Jedis jedis = client()) {
      java.util.regex.Matcher m =
          java.util.regex.Pattern.compile("keys_moved_by_clients=(\\d+)")
              .matcher(jedis.info("migration"));
      assertThat(m.find()).isTrue();
      assertThat(Long.parseLong(m.group(1)))
          .as("keys RENAME moved ahead of the migration")
          .isPositive();
    }
    // every key is where the ring now says, and nowhere else
    HashRing ring = HashRing.seed();
    for (int i = 0; i < 4; i++) {
      ring.addServer(i, Placement.MoveListener.NONE);
    }
    long total = 0;
    for (int id = 0; id < 4; id++) {
      try (Jedis direct = redis.server(id).client()) {
        total += direct.dbSize();
        for (int i = 0; i < pairs; i++) {
          String tag = MigrationTest.key(i);
          int owner = ring.serverFor(ring.hashKey(tag.getBytes(StandardCharsets.UTF_8)));
          if (owner == id) {
            assertThat(direct.get("{" + tag + "}.dst")).isEqualTo("v" + i + "!");
            assertThat(direct.get("{" + tag + "}.n")).isEqualTo("1");
          }
        }
      }
    }
    assertThat(total).isEqualTo(2 * pairs);
  }
}
