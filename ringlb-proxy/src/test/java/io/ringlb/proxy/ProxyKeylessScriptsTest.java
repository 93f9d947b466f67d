package io.ringlb.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.ringlb.server.testing.RedisServersExtension;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisDataException;

/**
 * Scripts given no key through the proxy (EVAL/EVALSHA/FCALL with {@code numkeys} 0): they run on
 * the backend at ring position 0 on a connection of their own, so that SCRIPT/FUNCTION KILL stops a
 * busy one; while one is busy the whole proxy answers BUSY, as one redis-server does.
 */
@Timeout(90)
class ProxyKeylessScriptsTest {

  /** New servers for each test: the tests change the backends' busy-reply-threshold. */
  @RegisterExtension
  static final RedisServersExtension redis = RedisServersExtension.servers(3).freshForEachTest();

  private static final String BUSY_LOOP = "while true do end";

  private ProxyServer proxy;
  private ExecutorService pool;

  @BeforeEach
  void start() throws Exception {
    proxy = ProxyServer.start(ProxyFixtures.config(redis.servers(), 3).build());
    pool = Executors.newFixedThreadPool(2);
  }

  @AfterEach
  void stop() {
    pool.shutdownNow();
    proxy.close();
  }

  private Jedis client() {
    return new Jedis("127.0.0.1", proxy.port(), 30_000);
  }

  private static Object command(Jedis jedis, String... args) {
    Object reply =
        jedis.sendCommand(
            () -> args[0].getBytes(StandardCharsets.US_ASCII),
            Arrays.copyOfRange(args, 1, args.length));
    return reply instanceof byte[] b ? new String(b, StandardCharsets.UTF_8) : reply;
  }

  private static String reply(Jedis jedis, String... args) {
    try {
      return String.valueOf(command(jedis, args));
    } catch (JedisDataException e) {
      return e.getMessage();
    }
  }

  /** Returns the backend ids holding key {@code key}. */
  private static List<Integer> holders(String key) {
    List<Integer> on = new ArrayList<>();
    for (int id = 0; id < 3; id++) {
      try (Jedis direct = redis.server(id).client()) {
        if (direct.exists(key)) {
          on.add(id);
        }
      }
    }
    return on;
  }

  /** Returns the backend a keyless script runs on, learnt from where its write lands. */
  private int scriptBackend(Jedis jedis) {
    jedis.eval("return redis.call('set', 'keyless-probe', '1')", 0);
    List<Integer> on = holders("keyless-probe");
    assertThat(on).hasSize(1);
    return on.get(0);
  }

  /** Returns a key the proxy routes to backend {@code id}, and one it routes elsewhere. */
  private static String[] keysOnAndOff(Jedis jedis, int id) {
    String on = null;
    String off = null;
    for (int i = 0; i < 200 && (on == null || off == null); i++) {
      String key = MigrationTest.key(i);
      jedis.set(key, "1");
      if (holders(key).equals(List.of(id))) {
        on = on == null ? key : on;
      } else {
        off = off == null ? key : off;
      }
    }
    assertThat(on).isNotNull();
    assertThat(off).isNotNull();
    return new String[] {on, off};
  }

  /** Waits until backend {@code id} answers BUSY (its script ran past the threshold). */
  private static void awaitBusy(int id) throws InterruptedException {
    String last = "";
    for (int i = 0; i < 300 && !last.startsWith("BUSY"); i++) {
      try (Jedis direct = redis.server(id).client()) {
        last = reply(direct, "PING");
      }
      if (!last.startsWith("BUSY")) {
        Thread.sleep(20);
      }
    }
    assertThat(last).startsWith("BUSY");
  }

  private Future<String> runBusy(String... script) {
    return pool.submit(
        () -> {
          try (Jedis runner = client()) {
            return reply(runner, script);
          }
        });
  }

  @Test
  void keylessScripts_runOnOneBackend_whateverTheConnection() {
    try (Jedis a = client();
        Jedis b = client()) {
      assertThat(a.eval("return 1", 0)).isEqualTo(1L);
      for (int i = 0; i < 4; i++) {
        a.eval("return redis.call('incr', 'keyless')", 0);
        b.eval("return redis.call('incr', 'keyless')", 0);
      }
      List<String> counts = new ArrayList<>();
      for (int id = 0; id < 3; id++) {
        try (Jedis direct = redis.server(id).client()) {
          counts.add(String.valueOf(direct.get("keyless")));
        }
      }
      assertThat(counts).containsExactlyInAnyOrder("8", "null", "null");
      assertThat(reply(a, "EVALSHA", "ffffffffffffffffffffffffffffffffffffffff", "0"))
          .startsWith("NOSCRIPT");
      assertThat(reply(a, "FCALL", "nofunction", "0")).isEqualTo("ERR Function not found");
      // a count of keys redis-server refuses still gets its own error
      assertThat(reply(a, "EVAL", "return 1", "-1"))
          .isEqualTo("ERR Number of keys can't be negative");
    }
  }

  private static final String BUSY =
      "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.";

  /** Sends {@code args} until the proxy answers something starting (or not) with BUSY. */
  private static String awaitReply(Jedis jedis, boolean busy, String... args)
      throws InterruptedException {
    String last = reply(jedis, args);
    for (int i = 0; i < 500 && last.startsWith("BUSY") != busy; i++) {
      Thread.sleep(10);
      last = reply(jedis, args);
    }
    return last;
  }

  @Test
  void busyKeylessScript_makesTheWholeProxyBusy_asOneRedisServer_untilScriptKill()
      throws Exception {
    try (Jedis jedis = client()) {
      int busyOn = scriptBackend(jedis);
      String[] keys = keysOnAndOff(jedis, busyOn);
      assertThat(jedis.configSet("busy-reply-threshold", "20")).isEqualTo("OK");
      assertThat(reply(jedis, "SCRIPT", "KILL")).startsWith("NOTBUSY");

      Future<String> busy = runBusy("EVAL", BUSY_LOOP, "0");
      awaitBusy(busyOn);
      // a key of another backend too, as a script with no key belongs to no shard
      assertThat(awaitReply(jedis, true, "GET", keys[1])).isEqualTo(BUSY);
      assertThat(reply(jedis, "INCR", keys[1])).isEqualTo(BUSY);
      assertThat(reply(jedis, "INCR", keys[0])).isEqualTo(BUSY);
      assertThat(reply(jedis, "PING")).isEqualTo(BUSY);
      // MULTI is served; a command queued is refused, and EXEC ends the transaction
      assertThat(reply(jedis, "MULTI")).isEqualTo("OK");
      assertThat(reply(jedis, "INCR", keys[1])).isEqualTo(BUSY);
      assertThat(reply(jedis, "EXEC"))
          .isEqualTo("EXECABORT Transaction discarded because of: " + BUSY);
      assertThat(reply(jedis, "MULTI")).isEqualTo("OK");
      assertThat(reply(jedis, "EXEC"))
          .isEqualTo("EXECABORT Transaction discarded because of: " + BUSY);

      assertThat(jedis.scriptKill()).isEqualTo("OK");
      assertThat(busy.get(30, TimeUnit.SECONDS)).contains("Script killed by user");
      assertThat(awaitReply(jedis, false, "GET", keys[1])).isEqualTo("1");
      assertThat(reply(jedis, "INCR", keys[1])).isEqualTo("2");
      assertThat(reply(jedis, "GET", keys[0])).isEqualTo("1");
      assertThat(reply(jedis, "PING", "after")).isEqualTo("after"); // no longer inside MULTI
      assertThat(reply(jedis, "SCRIPT", "KILL")).startsWith("NOTBUSY");
    }
  }

  @Test
  void transactionQueuedBeforeTheScriptWasBusy_abortsAtExec_andRunsNothing() throws Exception {
    try (Jedis jedis = client();
        Jedis tx = client()) {
      int busyOn = scriptBackend(jedis);
      String[] keys = keysOnAndOff(jedis, busyOn);
      assertThat(jedis.configSet("busy-reply-threshold", "20")).isEqualTo("OK");
      assertThat(reply(tx, "MULTI")).isEqualTo("OK");
      assertThat(reply(tx, "INCR", keys[1])).isEqualTo("QUEUED");
      Future<String> busy = runBusy("EVAL", BUSY_LOOP, "0");
      awaitBusy(busyOn);
      assertThat(awaitReply(jedis, true, "GET", keys[1])).isEqualTo(BUSY);
      assertThat(reply(tx, "EXEC"))
          .isEqualTo("EXECABORT Transaction discarded because of: " + BUSY);
      assertThat(jedis.scriptKill()).isEqualTo("OK");
      assertThat(busy.get(30, TimeUnit.SECONDS)).contains("Script killed by user");
      assertThat(awaitReply(jedis, false, "GET", keys[1])).isEqualTo("1");
      assertThat(reply(tx, "PING", "out")).isEqualTo("out");
    }
  }

  @Test
  void busyScriptOfAClientThatLeft_keepsTheProxyBusy_untilKilled() throws Exception {
    try (Jedis jedis = client()) {
      int busyOn = scriptBackend(jedis);
      String other = keysOnAndOff(jedis, busyOn)[1];
      assertThat(jedis.configSet("busy-reply-threshold", "20")).isEqualTo("OK");
      try (java.net.Socket s = new java.net.Socket("127.0.0.1", proxy.port())) {
        s.getOutputStream()
            .write(
                ("*3\r\n$4\r\nEVAL\r\n$"
                        + BUSY_LOOP.length()
                        + "\r\n"
                        + BUSY_LOOP
                        + "\r\n$1\r\n0\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
        s.getOutputStream().flush();
        awaitBusy(busyOn);
      }
      // the client is gone, its script runs on: the proxy is busy until a PING is answered
      assertThat(awaitReply(jedis, true, "GET", other)).isEqualTo(BUSY);
      Thread.sleep(300);
      assertThat(reply(jedis, "GET", other)).isEqualTo(BUSY);
      assertThat(jedis.scriptKill()).isEqualTo("OK");
      assertThat(awaitReply(jedis, false, "GET", other)).isEqualTo("1");
    }
  }

  @Test
  void busyScriptGivenAKey_makesBusyOnlyTheBackendOfItsKey() throws Exception {
    try (Jedis jedis = client()) {
      int busyOn = scriptBackend(jedis);
      String[] keys = keysOnAndOff(jedis, busyOn);
      assertThat(jedis.configSet("busy-reply-threshold", "20")).isEqualTo("OK");
      Future<String> busy = runBusy("EVAL", BUSY_LOOP, "1", keys[0]);
      awaitBusy(busyOn);
      Thread.sleep(100);
      assertThat(reply(jedis, "INCR", keys[0])).isEqualTo(BUSY);
      assertThat(reply(jedis, "INCR", keys[1])).isEqualTo("2");
      assertThat(jedis.scriptKill()).isEqualTo("OK");
      assertThat(busy.get(30, TimeUnit.SECONDS)).contains("Script killed by user");
    }
  }

  @Test
  void busyKeylessFunction_functionKillStopsIt() throws Exception {
    try (Jedis jedis = client()) {
      jedis.functionLoad(
          "#!lua name=spin\n"
              + "redis.register_function{function_name='spin', callback=function(keys, args)"
              + " while true do end end, flags={'no-writes'}}");
      int busyOn = scriptBackend(jedis);
      assertThat(jedis.configSet("busy-reply-threshold", "20")).isEqualTo("OK");
      Future<String> busy = runBusy("FCALL", "spin", "0");
      awaitBusy(busyOn);
      assertThat(reply(jedis, "SCRIPT", "KILL")).startsWith("BUSY"); // a function, not a script
      assertThat(jedis.functionKill()).isEqualTo("OK");
      assertThat(busy.get(30, TimeUnit.SECONDS)).contains("killed by user");
      assertThat(reply(jedis, "FUNCTION", "KILL")).startsWith("NOTBUSY");
    }
  }

  @Test
  void aKeylessScriptPipelinedAfterAWrite_waitsForIt_ratherThanOvertakeIt() throws Exception {
    String key;
    int busyOn;
    try (Jedis learn = client()) {
      busyOn = scriptBackend(learn);
      key = keysOnAndOff(learn, busyOn)[0];
    }
    // A new proxy, routing alike: its first write to that backend waits for a new pooled
    // connection, while the script's connection is already open and idle.
    try (ProxyServer fresh = ProxyServer.start(ProxyFixtures.config(redis.servers(), 3).build());
        Jedis jedis = new Jedis("127.0.0.1", fresh.port(), 30_000)) {
      assertThat(jedis.eval("return 1", 0)).isEqualTo(1L);
      redis.clients.jedis.Pipeline p = jedis.pipelined();
      p.set(key, "written-first");
      p.eval("return redis.call('get', '" + key + "')", 0);
      List<Object> replies = p.syncAndReturnAll();
      assertThat(replies.get(1)).isEqualTo("written-first");
    }
  }

  @Test
  void commandsPipelinedAfterAKeylessScript_runAfterIt() {
    try (Jedis jedis = client()) {
      String key = keysOnAndOff(jedis, scriptBackend(jedis))[0];
      // each GET goes on another connection than the script before it, yet reads its write
      redis.clients.jedis.Pipeline p = jedis.pipelined();
      for (int i = 0; i < 20; i++) {
        p.eval("redis.call('set', '" + key + "', '" + i + "') return 1", 0);
        p.get(key);
      }
      List<Object> replies = p.syncAndReturnAll();
      for (int i = 0; i < 20; i++) {
        assertThat(replies.get(2 * i)).isEqualTo(1L);
        assertThat(replies.get(2 * i + 1))
            .as("GET after script %d", i)
            .isEqualTo(String.valueOf(i));
      }
    }
  }
}
