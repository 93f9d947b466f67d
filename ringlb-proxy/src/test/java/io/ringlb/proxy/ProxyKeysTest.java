package io.ringlb.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.ringlb.server.testing.RedisServersExtension;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.exceptions.JedisDataException;

/**
 * The commands about the whole keyspace that the proxy asks of every backend: KEYS, RANDOMKEY and
 * SCRIPT/FUNCTION KILL.
 */
@Timeout(60)
class ProxyKeysTest {

  /** New servers for each test: one test changes the ring, one a backend's configuration. */
  @RegisterExtension
  static final RedisServersExtension redis = RedisServersExtension.servers(4).freshForEachTest();

  private ProxyServer proxy;

  @AfterEach
  void stop() {
    if (proxy != null) {
      proxy.close();
    }
  }

  private Jedis start(ProxyConfig.Builder config) throws Exception {
    proxy = ProxyServer.start(config.build());
    return client();
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

  private static String error(Jedis jedis, String... args) {
    try {
      return "no error: " + command(jedis, args);
    } catch (JedisDataException e) {
      return e.getMessage();
    }
  }

  @Test
  void keys_listsTheMatchingKeysOfEveryBackend_eachOnce() throws Exception {
    try (Jedis jedis = start(ProxyFixtures.config(redis.servers(), 3))) {
      Set<String> all = new HashSet<>();
      for (int i = 0; i < 300; i++) {
        jedis.set(MigrationTest.key(i), "v");
        all.add(MigrationTest.key(i));
      }
      for (int id = 0; id < 3; id++) {
        assertThat(redis.server(id).dbsize()).as("keys on backend %d", id).isPositive();
      }
      List<String> listed = List.copyOf(jedis.keys("*"));
      assertThat(listed).hasSize(all.size()).containsExactlyInAnyOrderElementsOf(all);
      String one = MigrationTest.key(7);
      assertThat(jedis.keys(one)).containsExactly(one);
      assertThat(jedis.keys("no-such-prefix*")).isEmpty();
      assertThat(error(jedis, "KEYS"))
          .isEqualTo("ERR wrong number of arguments for 'keys' command");
    }
  }

  @Test
  void keys_duringRingChanges_listsEveryKeyPresentThroughout() throws Exception {
    // Backends 1, 2, 3; then 0 joins and 3 leaves, the orders in which asking the backends at once
    // could miss a key on its way from one to the other.
    ProxyConfig.Builder config =
        ProxyConfig.builder()
            .port(0)
            .threads(2)
            .migrationBatch(20)
            .migrationRate(100) // slow enough for several KEYS during the changes
            .requestTimeout(Duration.ofSeconds(5))
            .placement("slots")
            .backend("1=" + redis.server(0).address())
            .backend("2=" + redis.server(1).address())
            .backend("3=" + redis.server(2).address());
    ExecutorService pool = Executors.newSingleThreadExecutor();
    try (Jedis jedis = start(config)) {
      Set<String> all = new HashSet<>();
      for (int i = 0; i < 400; i++) {
        jedis.set(MigrationTest.key(i), "v");
        all.add(MigrationTest.key(i));
      }
      Future<?> changes =
          pool.submit(
              () -> {
                try (Jedis admin = client()) {
                  command(admin, "RING", "ADD", "0", redis.server(3).address());
                  command(admin, "RING", "REMOVE", "3");
                }
                return null;
              });
      int calls = 0;
      while (!changes.isDone() && calls < 10_000) {
        List<String> listed = List.copyOf(jedis.keys("*"));
        assertThat(new HashSet<>(listed)).as("KEYS call %d", calls).isEqualTo(all);
        assertThat(listed).as("each key once, call %d", calls).hasSize(all.size());
        calls++;
      }
      changes.get(60, TimeUnit.SECONDS);
      assertThat(calls).as("KEYS calls during the ring changes").isGreaterThan(2);
      assertThat(redis.server(2).dbsize()).as("backend 3 drained").isZero();
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void randomKey_aKeyOfSomeBackend_nilWhenNoneHoldsOne() throws Exception {
    try (Jedis jedis = start(ProxyFixtures.config(redis.servers(), 3))) {
      assertThat(jedis.randomKey()).isNull();
      Set<String> all = new HashSet<>();
      for (int i = 0; i < 30; i++) {
        jedis.set(MigrationTest.key(i), "v");
        all.add(MigrationTest.key(i));
      }
      Set<String> drawn = new HashSet<>();
      for (int i = 0; i < 60; i++) {
        drawn.add(jedis.randomKey());
      }
      assertThat(all).containsAll(drawn);
      assertThat(drawn).as("keys drawn from more than one backend").hasSizeGreaterThan(1);
      assertThat(error(jedis, "RANDOMKEY", "x"))
          .isEqualTo("ERR wrong number of arguments for 'randomkey' command");
    }
  }

  @Test
  void scriptKill_stopsTheBusyScriptOnItsBackend_othersGoOn() throws Exception {
    ExecutorService pool = Executors.newSingleThreadExecutor();
    try (Jedis jedis = start(ProxyFixtures.config(redis.servers(), 3))) {
      assertThat(error(jedis, "SCRIPT", "KILL")).startsWith("NOTBUSY");
      assertThat(error(jedis, "FUNCTION", "KILL")).startsWith("NOTBUSY");
      assertThat(error(jedis, "SCRIPT", "KILL", "x"))
          .isEqualTo("ERR wrong number of arguments for 'script|kill' command");
      // A script is killable once it ran longer than this (Redis 7's busy-reply-threshold).
      assertThat(jedis.configSet("busy-reply-threshold", "50")).isEqualTo("OK");
      Future<String> busy =
          pool.submit(
              () -> {
                try (Jedis runner = client()) {
                  return error(runner, "EVAL", "while true do end", "1", "{busy}k");
                }
              });
      String killed = "";
      for (int i = 0; i < 200 && !killed.equals("OK"); i++) {
        try {
          killed = jedis.scriptKill();
        } catch (JedisDataException e) {
          killed = e.getMessage(); // NOTBUSY until the script runs and passed the threshold
          Thread.sleep(50);
        }
      }
      assertThat(killed).isEqualTo("OK");
      assertThat(busy.get(30, TimeUnit.SECONDS)).contains("Script killed by user");
      assertThat(jedis.set("{busy}k", "after")).isEqualTo("OK");
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void flushallInsideMulti_runsInTheTransaction_thenOnEveryOtherBackend() throws Exception {
    try (Jedis jedis = start(ProxyFixtures.config(redis.servers(), 3))) {
      for (int i = 0; i < 300; i++) {
        jedis.set(MigrationTest.key(i), "v");
      }
      for (int id = 0; id < 3; id++) {
        assertThat(redis.server(id).dbsize()).as("keys on backend %d", id).isPositive();
      }
      redis.clients.jedis.Transaction multi = jedis.multi();
      multi.set("{t}x", "1");
      multi.sendCommand(Protocol.Command.FLUSHALL, new String[0]);
      multi.get("{t}x");
      List<Object> flushed = multi.exec();
      assertThat(flushed).hasSize(3);
      assertThat(flushed.get(0)).isEqualTo("OK");
      assertThat(new String((byte[]) flushed.get(1), java.nio.charset.StandardCharsets.UTF_8))
          .isEqualTo("OK");
      assertThat(flushed.get(2)).isNull();
      for (int id = 0; id < 3; id++) {
        assertThat(redis.server(id).dbsize()).as("keys on backend %d", id).isZero();
      }
      // Refused on the transaction's backend: run nowhere else, the refusal in EXEC's reply.
      jedis.set("{u}y", "v");
      multi = jedis.multi();
      multi.set("{t}x", "1");
      multi.sendCommand(Protocol.Command.FLUSHALL, "NOW");
      List<Object> replies = multi.exec();
      assertThat(replies.get(0)).isEqualTo("OK");
      assertThat(replies.get(1)).isInstanceOf(JedisDataException.class);
      assertThat(jedis.get("{u}y")).isEqualTo("v");
    }
  }
}
