package io.ringlb.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.ringlb.server.testing.RedisServersExtension;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Transaction;
import redis.clients.jedis.exceptions.JedisDataException;

/** Blocking commands through the proxy, over real redis-servers. */
class ProxyBlockingTest {

  /** Backends 0..2 start in the ring; the fourth joins by RING ADD. */
  @RegisterExtension
  static final RedisServersExtension redis = RedisServersExtension.servers(4).flushBeforeEachTest();

  private ProxyServer proxy;
  private final ExecutorService threads = Executors.newCachedThreadPool();

  @AfterEach
  void stop() throws Exception {
    threads.shutdownNow();
    assertThat(threads.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
    if (proxy != null) {
      proxy.close();
    }
  }

  private void start(ProxyConfig.Builder config) throws Exception {
    proxy = ProxyServer.start(config.build());
  }

  private ProxyConfig.Builder config() {
    return ProxyFixtures.config(redis.servers(), 3);
  }

  private Jedis client() {
    return new Jedis("127.0.0.1", proxy.port(), 30_000);
  }

  /** Waits (bounded) until {@code condition} holds; fails naming {@code what} otherwise. */
  private static void await(String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime() - deadline).as("waited for " + what).isNegative();
      Thread.sleep(10);
    }
  }

  private static long field(String info, String name) {
    Matcher m = Pattern.compile("(?m)^" + name + ":(\\d+)").matcher(info);
    return m.find() ? Long.parseLong(m.group(1)) : -1;
  }

  private long proxyBlocked() {
    try (Jedis jedis = client()) {
      return field(jedis.info("clients"), "blocked_clients");
    }
  }

  private void awaitBlocked(long n) throws InterruptedException {
    await(n + " blocked clients", () -> proxyBlocked() == n);
  }

  private static long backendsBlocked() {
    long n = 0;
    for (int i = 0; i < 4; i++) {
      try (Jedis direct = redis.server(i).client()) {
        n += field(direct.info("clients"), "blocked_clients");
      }
    }
    return n;
  }

  /** Sends {@code args} and returns the reply with its bulk strings as Strings. */
  static Object call(Jedis jedis, String... args) {
    String[] rest = java.util.Arrays.copyOfRange(args, 1, args.length);
    return strings(jedis.sendCommand(() -> args[0].getBytes(StandardCharsets.US_ASCII), rest));
  }

  private static Object strings(Object reply) {
    if (reply instanceof byte[] b) {
      return new String(b, StandardCharsets.UTF_8);
    }
    if (reply instanceof List<?> list) {
      List<Object> out = new ArrayList<>();
      for (Object o : list) {
        out.add(strings(o));
      }
      return out;
    }
    return reply;
  }

  @Test
  @Timeout(60)
  void blpop_waitsForAPush_whileOtherClientsOfItsBackendAreAnswered() throws Exception {
    start(config());
    Future<Object> popped =
        threads.submit(
            () -> {
              try (Jedis jedis = client()) {
                return call(jedis, "BLPOP", "{jobs}.queue", "0");
              }
            });
    awaitBlocked(1);
    try (Jedis other = client()) {
      // Same hash tag, so the same backend and the same shared connection as the blocked key.
      for (int i = 0; i < 100; i++) {
        other.set("{jobs}.k" + i, "v" + i);
        assertThat(other.get("{jobs}.k" + i)).isEqualTo("v" + i);
      }
      assertThat(popped.isDone()).as("still blocked: nothing was pushed").isFalse();
      assertThat(other.rpush("{jobs}.queue", "a", "b")).isEqualTo(2L);
      assertThat(popped.get(20, TimeUnit.SECONDS)).isEqualTo(List.of("{jobs}.queue", "a"));
      assertThat(other.lrange("{jobs}.queue", 0, -1)).containsExactly("b");
    }
    assertThat(proxyBlocked()).isZero();
  }

  @Test
  @Timeout(60)
  void lettuceAsync_blpopOnOneConnection_whileOthersRunOnAnother() throws Exception {
    start(config());
    io.lettuce.core.RedisClient lettuce =
        io.lettuce.core.RedisClient.create(
            io.lettuce.core.RedisURI.create("127.0.0.1", proxy.port()));
    lettuce.setOptions(
        io.lettuce.core.ClientOptions.builder()
            .protocolVersion(io.lettuce.core.protocol.ProtocolVersion.RESP2)
            .build());
    try (var blocking = lettuce.connect();
        var other = lettuce.connect()) {
      var async = blocking.async();
      var popped = async.blpop(0, "{lt}.q");
      var after = async.get("{lt}.k");
      awaitBlocked(1);
      var sync = other.sync();
      for (int i = 0; i < 50; i++) {
        sync.set("{lt}.k", "v" + i);
        assertThat(sync.get("{lt}.k")).isEqualTo("v" + i);
      }
      assertThat(popped.isDone()).as("BLPOP waits: nothing pushed").isFalse();
      assertThat(after.isDone()).as("the GET after it waits for its reply").isFalse();
      sync.rpush("{lt}.q", "a");
      var kv = popped.get(20, TimeUnit.SECONDS);
      assertThat(kv.getKey()).isEqualTo("{lt}.q");
      assertThat(kv.getValue()).isEqualTo("a");
      assertThat(after.get(20, TimeUnit.SECONDS)).isEqualTo("v49");
      assertThat(blocking.sync().blpop(0.05, "{lt}.q")).as("timed out").isNull();
    } finally {
      lettuce.shutdown();
    }
  }

  @Test
  @Timeout(60)
  void everyBlockingCommand_isServed() throws Exception {
    start(config());
    Future<Object> zpop =
        threads.submit(
            () -> {
              try (Jedis jedis = client()) {
                return call(jedis, "BZPOPMIN", "{z}.a", "{z}.b", "0");
              }
            });
    Future<Object> moved =
        threads.submit(
            () -> {
              try (Jedis jedis = client()) {
                return call(jedis, "BLMOVE", "{l}.src", "{l}.dst", "LEFT", "RIGHT", "0");
              }
            });
    Future<Object> read =
        threads.submit(
            () -> {
              try (Jedis jedis = client()) {
                return call(jedis, "XREAD", "BLOCK", "0", "STREAMS", "{s}.stream", "$");
              }
            });
    awaitBlocked(3);
    try (Jedis other = client()) {
      call(other, "ZADD", "{z}.b", "2.5", "m");
      call(other, "RPUSH", "{l}.src", "x");
      call(other, "XADD", "{s}.stream", "*", "f", "v");
      assertThat(zpop.get(20, TimeUnit.SECONDS)).isEqualTo(List.of("{z}.b", "m", "2.5"));
      assertThat(moved.get(20, TimeUnit.SECONDS)).isEqualTo("x");
      assertThat(call(other, "LRANGE", "{l}.dst", "0", "-1")).isEqualTo(List.of("x"));
      assertThat((List<?>) read.get(20, TimeUnit.SECONDS)).hasSize(1);
      call(other, "RPUSH", "{m}.l", "1", "2", "3");
      assertThat(call(other, "BLMPOP", "0", "2", "{m}.none", "{m}.l", "RIGHT", "COUNT", "2"))
          .isEqualTo(List.of("{m}.l", List.of("3", "2")));
      assertThat(call(other, "BRPOPLPUSH", "{m}.l", "{m}.k", "1")).isEqualTo("1");
      call(other, "ZADD", "{m}.z", "1", "a", "2", "b");
      assertThat(call(other, "BZMPOP", "1", "1", "{m}.z", "MAX"))
          .isEqualTo(List.of("{m}.z", List.of(List.of("b", "2"))));
      assertThat(call(other, "BRPOP", "{m}.none", "0.01")).isNull();
      call(other, "XGROUP", "CREATE", "{s}.stream", "g", "0");
      assertThat(
              (List<?>)
                  call(
                      other,
                      "XREADGROUP",
                      "GROUP",
                      "g",
                      "c",
                      "BLOCK",
                      "10",
                      "STREAMS",
                      "{s}.stream",
                      ">"))
          .hasSize(1);
      assertThat(
              call(
                  other,
                  "XREADGROUP",
                  "GROUP",
                  "g",
                  "c",
                  "BLOCK",
                  "10",
                  "STREAMS",
                  "{s}.stream",
                  ">"))
          .isNull();
    }
  }

  @Test
  @Timeout(60)
  void timeouts_areRedisOnes_andTheRequestTimeoutDoesNotCutThemShort() throws Exception {
    start(config().requestTimeout(Duration.ofMillis(300)));
    try (Jedis jedis = client()) {
      // Each waits longer than the request timeout, and answers as timed out, not as an error.
      assertThat(call(jedis, "BLPOP", "{t}.empty", "1")).isNull();
      assertThat(call(jedis, "BZPOPMAX", "{t}.zempty", "0.5")).isNull();
      assertThat(call(jedis, "XREAD", "BLOCK", "600", "STREAMS", "{t}.s", "$")).isNull();
      try {
        call(jedis, "BLPOP", "{t}.l", "-1");
        throw new AssertionError("a negative timeout was taken");
      } catch (JedisDataException e) {
        assertThat(e.getMessage()).isEqualTo("ERR timeout is negative");
      }
      try {
        call(jedis, "BLPOP", "{t}.l", "soon");
        throw new AssertionError("a timeout that is no number was taken");
      } catch (JedisDataException e) {
        assertThat(e.getMessage()).isEqualTo("ERR timeout is not a float or out of range");
      }
      assertThat(jedis.ping()).isEqualTo("PONG");
    }
  }

  @Test
  @Timeout(60)
  void aPipelineAfterABlockingCommand_runsOnlyOnceItIsAnswered_inOrder() throws Exception {
    start(config());
    try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), proxy.port());
        Jedis pusher = client()) {
      socket.setSoTimeout(20_000);
      OutputStream out = socket.getOutputStream();
      out.write(
          ("*3\r\n$5\r\nBLPOP\r\n$5\r\n{p}.q\r\n$1\r\n0\r\n"
                  + "*1\r\n$4\r\nPING\r\n"
                  + "*2\r\n$4\r\nRPOP\r\n$5\r\n{p}.q\r\n")
              .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      awaitBlocked(1);
      pusher.rpush("{p}.q", "a", "b");
      String expected = "*2\r\n$5\r\n{p}.q\r\n$1\r\na\r\n+PONG\r\n$1\r\nb\r\n";
      assertThat(read(socket.getInputStream(), expected.length()))
          .as("RPOP ran after BLPOP's reply: it found b")
          .isEqualTo(expected);
    }
  }

  private static String read(InputStream in, int n) throws java.io.IOException {
    byte[] bytes = in.readNBytes(n);
    return new String(bytes, StandardCharsets.US_ASCII);
  }

  @Test
  @Timeout(60)
  void aClientThatLeavesOrIsKilledWhileBlocked_isUnblockedOnTheBackend_andTakesNothing()
      throws Exception {
    start(config());
    try (Jedis admin = client()) {
      // left: the socket closes
      try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), proxy.port())) {
        socket
            .getOutputStream()
            .write(
                "*3\r\n$5\r\nBLPOP\r\n$5\r\n{g}.q\r\n$1\r\n0\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
        awaitBlocked(1);
        await("blocked on a backend", () -> backendsBlocked() == 1);
      }
      awaitBlocked(0);
      await("unblocked on the backend", () -> backendsBlocked() == 0);

      // killed: CLIENT KILL from another client
      AtomicInteger id = new AtomicInteger();
      Future<Object> killed =
          threads.submit(
              () -> {
                try (Jedis jedis = client()) {
                  id.set((int) jedis.clientId());
                  return call(jedis, "BLPOP", "{g}.q", "0");
                } catch (RuntimeException e) {
                  return e;
                }
              });
      awaitBlocked(1);
      await("blocked on a backend", () -> backendsBlocked() == 1);
      assertThat(call(admin, "CLIENT", "KILL", "ID", String.valueOf(id.get()))).isEqualTo(1L);
      assertThat(killed.get(20, TimeUnit.SECONDS)).isInstanceOf(RuntimeException.class);
      awaitBlocked(0);
      await("unblocked on the backend", () -> backendsBlocked() == 0);

      // nobody took what is pushed now, and the connection went back to the pool
      admin.rpush("{g}.q", "kept");
      assertThat(admin.lrange("{g}.q", 0, -1)).containsExactly("kept");
      assertThat(call(admin, "BLPOP", "{g}.q", "1")).isEqualTo(List.of("{g}.q", "kept"));
      String ring = admin.info("ring");
      Matcher open = Pattern.compile("blocking_connections=(\\d+)").matcher(ring);
      long total = 0;
      while (open.find()) {
        total += Long.parseLong(open.group(1));
      }
      assertThat(total)
          .as(
              "idle connections kept: at most %d per backend and thread",
              BlockingPool.IDLE_PER_BACKEND)
          .isBetween(1L, 2L);
    }
  }

  @Test
  @Timeout(60)
  void clientUnblock_endsTheCommandAsTimedOutOrWithAnError_asRedis() throws Exception {
    start(config());
    try (Jedis admin = client();
        Jedis blocked = client()) {
      long id = blocked.clientId();
      for (String reason : new String[] {"TIMEOUT", "ERROR"}) {
        Future<Object> popped =
            threads.submit(
                () -> {
                  try {
                    return call(blocked, "BLPOP", "{u}.q", "0");
                  } catch (JedisDataException e) {
                    return e.getMessage();
                  }
                });
        awaitBlocked(1);
        assertThat(call(admin, "CLIENT", "UNBLOCK", String.valueOf(id), reason)).isEqualTo(1L);
        assertThat(popped.get(20, TimeUnit.SECONDS))
            .isEqualTo(
                reason.equals("TIMEOUT") ? null : "UNBLOCKED client unblocked via CLIENT UNBLOCK");
        awaitBlocked(0);
      }
      assertThat(call(admin, "CLIENT", "UNBLOCK", String.valueOf(id)))
          .as("not blocked")
          .isEqualTo(0L);
      assertThat(call(admin, "CLIENT", "UNBLOCK", "99999")).as("no such client").isEqualTo(0L);
      try {
        call(admin, "CLIENT", "UNBLOCK", String.valueOf(id), "LATER");
        throw new AssertionError("a reason Redis refuses was taken");
      } catch (JedisDataException e) {
        assertThat(e.getMessage())
            .isEqualTo("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR");
      }
      assertThat(call(blocked, "RPUSH", "{u}.q", "x")).as("the client serves on").isEqualTo(1L);
    }
  }

  @Test
  @Timeout(90)
  void aBackendThatRestarts_endsItsBlockedCommandsWithAnError_andNoStaleConnectionIsReused()
      throws Exception {
    start(config());
    try (Jedis admin = client();
        Jedis idle = client()) {
      // a connection to the key's owner goes idle in the pool
      assertThat(call(idle, "BLPOP", "{r}.q", "0.01")).isNull();
      Future<Object> blocked =
          threads.submit(
              () -> {
                try (Jedis jedis = client()) {
                  return call(jedis, "BLPOP", "{r}.q", "0");
                } catch (JedisDataException e) {
                  return e.getMessage();
                }
              });
      awaitBlocked(1);
      await("blocked on a backend", () -> backendsBlocked() == 1);
      int owner = -1;
      for (int i = 0; i < 3; i++) {
        try (Jedis direct = redis.server(i).client()) {
          if (field(direct.info("clients"), "blocked_clients") == 1) {
            owner = i;
          }
        }
      }
      redis.restart(redis.server(owner));
      assertThat((String) blocked.get(20, TimeUnit.SECONDS))
          .startsWith("ERR ringlb: connection to backend " + owner)
          .endsWith(" lost");
      awaitBlocked(0);
      // the idle connection to the old process is not reused with its old id: CLIENT UNBLOCK
      // reaches the command on the new one
      long id = idle.clientId();
      Future<Object> again = threads.submit(() -> call(idle, "BLPOP", "{r}.q", "0"));
      awaitBlocked(1);
      await("blocked on the restarted backend", () -> backendsBlocked() == 1);
      assertThat(call(admin, "CLIENT", "UNBLOCK", String.valueOf(id))).isEqualTo(1L);
      assertThat(again.get(20, TimeUnit.SECONDS)).isNull();
    }
  }

  @Test
  @Timeout(90)
  void aBackendThatFreezesWhileACommandBlocksForever_isFoundByPing_andTheCommandEnds()
      throws Exception {
    start(config().requestTimeout(Duration.ofMillis(500)));
    Future<Object> blocked =
        threads.submit(
            () -> {
              try (Jedis jedis = client()) {
                return call(jedis, "BLPOP", "{f}.q", "0");
              } catch (JedisDataException e) {
                return e.getMessage();
              }
            });
    awaitBlocked(1);
    await("blocked on a backend", () -> backendsBlocked() == 1);
    int owner = -1;
    for (int i = 0; i < 3; i++) {
      try (Jedis direct = redis.server(i).client()) {
        if (field(direct.info("clients"), "blocked_clients") == 1) {
          owner = i;
        }
      }
    }
    redis.server(owner).pause();
    try {
      assertThat((String) blocked.get(30, TimeUnit.SECONDS))
          .startsWith("ERR ringlb: backend " + owner)
          .contains("did not answer PING while a command was blocked on it");
      awaitBlocked(0);
    } finally {
      redis.server(owner).resume();
    }
  }

  @Test
  @Timeout(60)
  void overTheLimitOfBlockingConnections_aClientGetsAClearError_countedInInfo() throws Exception {
    start(config().blockingConnections(2));
    List<Future<Object>> blocked = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      String key = "{b}.q" + i;
      blocked.add(
          threads.submit(
              () -> {
                try (Jedis jedis = client()) {
                  return call(jedis, "BLPOP", key, "0");
                }
              }));
    }
    awaitBlocked(2);
    try (Jedis jedis = client()) {
      try {
        call(jedis, "BLPOP", "{b}.q2", "0");
        throw new AssertionError("a third blocking command was served");
      } catch (JedisDataException e) {
        assertThat(e.getMessage())
            .startsWith("ERR ringlb: backend ")
            .endsWith(
                " has 2 dedicated connections open, the most limits.blocking-connections allows");
      }
      assertThat(field(jedis.info("stats"), "blocking_refused")).isEqualTo(1L);
      assertThat(jedis.get("{b}.other")).as("other commands are served").isNull();
      jedis.rpush("{b}.q0", "x");
      jedis.rpush("{b}.q1", "y");
      assertThat(blocked.get(0).get(20, TimeUnit.SECONDS)).isEqualTo(List.of("{b}.q0", "x"));
      assertThat(blocked.get(1).get(20, TimeUnit.SECONDS)).isEqualTo(List.of("{b}.q1", "y"));
      assertThat(call(jedis, "BLPOP", "{b}.q2", "0.05"))
          .as("served again: a connection is free")
          .isNull();
    }
  }

  @Test
  @Timeout(60)
  void insideMulti_aBlockingCommandDoesNotBlock() throws Exception {
    start(config());
    try (Jedis jedis = client()) {
      Transaction tx = jedis.multi();
      tx.blpop(0, "{x}.empty");
      tx.bzpopmin(0, "{x}.zempty");
      assertThat(tx.exec()).containsOnlyNulls().hasSize(2);
    }
  }

  @Test
  @Timeout(120)
  void ringChanges_withBlockedConsumers_deliverEveryElementExactlyOnce() throws Exception {
    start(config().migrationBatch(20));
    int lists = 12;
    int perProducer = 600;
    int producers = 2;
    List<String> keys = new ArrayList<>();
    for (int i = 0; i < lists; i++) {
      keys.add("jobs:" + MigrationTest.key(i));
    }
    Set<String> consumed = ConcurrentHashMap.newKeySet();
    List<String> duplicates = java.util.Collections.synchronizedList(new ArrayList<>());
    AtomicInteger consumedCount = new AtomicInteger();
    AtomicBoolean stop = new AtomicBoolean();
    List<Future<?>> consumers = new ArrayList<>();
    for (String key : keys) {
      consumers.add(
          threads.submit(
              () -> {
                try (Jedis jedis = client()) {
                  while (!stop.get()) {
                    List<?> got = (List<?>) call(jedis, "BLPOP", key, "2");
                    if (got != null) {
                      if (!consumed.add((String) got.get(1))) {
                        duplicates.add((String) got.get(1));
                      }
                      consumedCount.incrementAndGet();
                    }
                  }
                }
                return null;
              }));
    }
    awaitBlocked(lists);
    List<Future<?>> pushing = new ArrayList<>();
    for (int p = 0; p < producers; p++) {
      int producer = p;
      pushing.add(
          threads.submit(
              () -> {
                try (Jedis jedis = client()) {
                  for (int i = 0; i < perProducer; i++) {
                    jedis.lpush(keys.get(i % lists), producer + "-" + i);
                    if (i % 20 == 0) {
                      Thread.sleep(5); // consumers block again between the bursts
                    }
                  }
                }
                return null;
              }));
    }
    String[][] changes = {{"ADD", "3"}, {"REMOVE", "0"}, {"ADD", "0"}, {"REMOVE", "3"}};
    try (Jedis admin = client()) {
      for (String[] change : changes) {
        Object reply =
            change[0].equals("ADD")
                ? admin.sendCommand(
                    () -> "RING".getBytes(StandardCharsets.US_ASCII),
                    "ADD",
                    change[1],
                    redis.server(Integer.parseInt(change[1])).address())
                : admin.sendCommand(
                    () -> "RING".getBytes(StandardCharsets.US_ASCII), "REMOVE", change[1]);
        assertThat(new String((byte[]) reply, StandardCharsets.UTF_8))
            .as("RING %s %s", change[0], change[1])
            .isEqualTo("OK");
      }
      for (Future<?> f : pushing) {
        f.get(60, TimeUnit.SECONDS);
      }
      int produced = producers * perProducer;
      await(produced + " elements consumed", () -> consumedCount.get() >= produced);
      stop.set(true);
      for (Future<?> f : consumers) {
        f.get(30, TimeUnit.SECONDS);
      }
      assertThat(duplicates).as("elements popped twice").isEmpty();
      Set<String> expected = new HashSet<>();
      for (int p = 0; p < producers; p++) {
        for (int i = 0; i < perProducer; i++) {
          expected.add(p + "-" + i);
        }
      }
      assertThat(consumed).isEqualTo(expected);
      assertThat(consumedCount.get()).isEqualTo(produced);
      for (String key : keys) {
        assertThat(admin.llen(key)).as("left in %s", key).isZero();
      }
      assertThat(field(admin.info("stats"), "blocking_moved"))
          .as("blocked consumers moved by the ring changes")
          .isPositive();
    }
  }
}
