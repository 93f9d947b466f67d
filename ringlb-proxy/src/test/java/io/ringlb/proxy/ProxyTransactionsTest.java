package io.ringlb.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.ringlb.server.testing.RedisServersExtension;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisPubSub;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.Transaction;

/**
 * Transactions through the proxy with commands that name no key (PING, ECHO, TIME, PUBLISH), which
 * run wherever the transaction's keys are, as in Redis Cluster.
 */
@Timeout(60)
class ProxyTransactionsTest {

  @RegisterExtension
  static final RedisServersExtension redis = RedisServersExtension.servers(3).flushBeforeEachTest();

  private static final java.util.function.Supplier<ProxyServer> proxy =
      redis.front(servers -> ProxyServer.start(ProxyFixtures.config(servers, 3).build()));

  private static Jedis client() {
    return new Jedis("127.0.0.1", proxy.get().port(), 10_000);
  }

  /** EXEC's results with the raw replies of sendCommand as text; null stays null. */
  private static List<Object> texts(List<Object> results) {
    if (results == null) {
      return null;
    }
    List<Object> out = new java.util.ArrayList<>();
    for (Object r : results) {
      out.add(r instanceof byte[] b ? new String(b, java.nio.charset.StandardCharsets.UTF_8) : r);
    }
    return out;
  }

  @Test
  void keylessCommands_runInsideTheTransaction_besideItsKeys() {
    try (Jedis jedis = client()) {
      Transaction tx = jedis.multi();
      tx.sendCommand(Protocol.Command.PING, new String[0]);
      tx.set("{acct}.balance", "10");
      tx.sendCommand(Protocol.Command.ECHO, "between");
      tx.incr("{acct}.balance");
      tx.sendCommand(Protocol.Command.TIME, new String[0]);
      List<Object> results = texts(tx.exec());
      assertThat(results).hasSize(5);
      assertThat(results.subList(0, 4)).containsExactly("PONG", "OK", "between", 11L);
      assertThat((List<?>) results.get(4)).hasSize(2);
      assertThat(jedis.get("{acct}.balance")).isEqualTo("11");
    }
  }

  @Test
  void onlyKeylessCommands_runOnABackendOfTheRing() {
    try (Jedis jedis = client()) {
      Transaction tx = jedis.multi();
      tx.sendCommand(Protocol.Command.PING, new String[0]);
      tx.sendCommand(Protocol.Command.PING, "hello");
      assertThat(texts(tx.exec())).containsExactly("PONG", "hello");
    }
  }

  @Test
  void keylessCommandsAfterWatch_runWhereTheWatchedKeysAre_andSeeTheirChange() {
    try (Jedis a = client();
        Jedis b = client()) {
      a.set("{w}.x", "30");
      a.watch("{w}.x");
      Transaction tx = a.multi();
      tx.sendCommand(Protocol.Command.PING, new String[0]);
      assertThat(texts(tx.exec())).containsExactly("PONG");

      a.watch("{w}.x");
      b.set("{w}.x", "40");
      tx = a.multi();
      tx.sendCommand(Protocol.Command.PING, new String[0]);
      assertThat(tx.exec()).as("the watched key changed").isNull();
    }
  }

  @Test
  void blockingCommandsInsideTheTransaction_runWithoutBlocking_asInRedis() {
    try (Jedis jedis = client()) {
      jedis.rpush("{q}.jobs", "a");
      Transaction tx = jedis.multi();
      tx.blpop(0, "{q}.jobs");
      tx.brpop(0, "{q}.empty");
      tx.brpoplpush("{q}.empty", "{q}.other", 0);
      tx.bzpopmin(0, "{q}.zset");
      List<Object> results = tx.exec();
      assertThat(results).hasSize(4);
      assertThat(results.get(0)).isEqualTo(List.of("{q}.jobs", "a"));
      assertThat(results.subList(1, 4)).containsOnlyNulls();
    }
  }

  @Test
  void commandsRedisRefusesInsideATransaction_refusedInItsWords_andExecAborts() {
    try (Jedis jedis = client()) {
      assertThat(call(jedis, "MULTI")).isEqualTo("OK");
      assertThat(call(jedis, "SET", "{s}.k", "v")).isEqualTo("QUEUED");
      for (String command : new String[] {"SAVE", "SHUTDOWN"}) {
        assertThat(error(jedis, command)).isEqualTo("ERR Command not allowed inside a transaction");
      }
      assertThat(error(jedis, "EXEC")).startsWith("EXECABORT");
      assertThat(jedis.exists("{s}.k")).isFalse();
      // outside a transaction BLPOP blocks (here it times out at once)
      assertThat(call(jedis, "BLPOP", "{q}.jobs", "0.01")).isNull();
    }
  }

  private static Object call(Jedis jedis, String... args) {
    Object reply =
        jedis.sendCommand(
            () -> args[0].getBytes(java.nio.charset.StandardCharsets.US_ASCII),
            java.util.Arrays.copyOfRange(args, 1, args.length));
    return reply instanceof byte[] b
        ? new String(b, java.nio.charset.StandardCharsets.UTF_8)
        : reply;
  }

  private static String error(Jedis jedis, String... args) {
    try {
      return "no error: " + call(jedis, args);
    } catch (redis.clients.jedis.exceptions.JedisDataException e) {
      return e.getMessage();
    }
  }

  @Test
  void publishInsideTheTransaction_reachesASubscriber() throws Exception {
    BlockingQueue<String> received = new LinkedBlockingQueue<>();
    JedisPubSub listener =
        new JedisPubSub() {
          @Override
          public void onMessage(String channel, String message) {
            received.add(channel + ":" + message);
          }

          @Override
          public void onSubscribe(String channel, int subscribedChannels) {
            received.add("subscribed");
          }
        };
    ExecutorService pool = Executors.newSingleThreadExecutor();
    try (Jedis subscriber = client();
        Jedis jedis = client()) {
      pool.submit(() -> subscriber.subscribe(listener, "news"));
      assertThat(received.poll(10, TimeUnit.SECONDS)).isEqualTo("subscribed");
      Transaction tx = jedis.multi();
      tx.set("{p}.k", "v");
      tx.publish("news", "hello");
      List<Object> results = tx.exec();
      assertThat(results).containsExactly("OK", 1L);
      assertThat(received.poll(10, TimeUnit.SECONDS)).isEqualTo("news:hello");
      listener.unsubscribe();
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void configSetInsideTheTransaction_runsOnEveryBackendAtExec_itsReplyInItsPlace() {
    try (Jedis jedis = client()) {
      Transaction tx = jedis.multi();
      tx.set("{c}.a", "1");
      tx.sendCommand(Protocol.Command.CONFIG, "SET", "maxmemory", "bla");
      tx.sendCommand(Protocol.Command.CONFIG, "SET", "busy-reply-threshold", "4321");
      tx.sendCommand(Protocol.Command.CONFIG, "SET", "maxclients", "100"); // the proxy's own
      tx.get("{c}.a");
      List<Object> results = texts(tx.exec());
      assertThat(results).hasSize(5);
      assertThat(results.get(0)).isEqualTo("OK");
      assertThat(String.valueOf(results.get(1)))
          .endsWith(
              "ERR CONFIG SET failed (possibly related to argument 'maxmemory')"
                  + " - argument must be a memory value");
      assertThat(results.get(2)).isEqualTo("OK");
      assertThat(String.valueOf(results.get(3))).contains("can't set immutable config");
      assertThat(results.get(4)).isEqualTo("1");
      for (int id = 0; id < 3; id++) {
        try (Jedis direct = redis.server(id).client()) {
          assertThat(direct.configGet("busy-reply-threshold"))
              .as("backend %d", id)
              .containsEntry("busy-reply-threshold", "4321");
          direct.configSet("busy-reply-threshold", "5000");
        }
      }
    }
  }

  @Test
  void configSetAlone_andAnAbortedTransaction_setNothing() {
    try (Jedis jedis = client()) {
      Transaction tx = jedis.multi();
      tx.sendCommand(Protocol.Command.CONFIG, "SET", "busy-reply-threshold", "4000");
      assertThat(texts(tx.exec())).containsExactly("OK");
      jedis.sendCommand(Protocol.Command.MULTI);
      jedis.sendCommand(Protocol.Command.CONFIG, "SET", "busy-reply-threshold", "3000");
      org.assertj.core.api.Assertions.assertThatThrownBy(
              () -> jedis.sendCommand(Protocol.Command.CONFIG, "SET", "busy-reply-threshold"))
          .hasMessageContaining("wrong number of arguments");
      org.assertj.core.api.Assertions.assertThatThrownBy(
              () -> jedis.sendCommand(Protocol.Command.EXEC))
          .hasMessageStartingWith("EXECABORT");
      for (int id = 0; id < 3; id++) {
        try (Jedis direct = redis.server(id).client()) {
          assertThat(direct.configGet("busy-reply-threshold"))
              .containsEntry("busy-reply-threshold", "4000");
          direct.configSet("busy-reply-threshold", "5000");
        }
      }
    }
  }

  @Test
  void unwatchAndAKeylessScriptInsideTheTransaction_eachHasItsPlaceInExec() {
    try (Jedis jedis = client()) {
      Transaction tx = jedis.multi();
      tx.sendCommand(Protocol.Command.UNWATCH, new String[0]);
      tx.set("{u}.a", "1");
      tx.eval("return 7", 0);
      assertThat(texts(tx.exec())).containsExactly("OK", "OK", 7L);
    }
  }
}
