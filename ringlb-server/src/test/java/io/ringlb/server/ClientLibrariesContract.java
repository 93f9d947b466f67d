package io.ringlb.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.KeyValue;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.TransactionResult;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.protocol.ProtocolVersion;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisPubSub;
import redis.clients.jedis.RedisProtocol;
import redis.clients.jedis.Response;
import redis.clients.jedis.Transaction;

/**
 * Lettuce and Jedis, each in RESP2 and in RESP3, against a data side on loopback: strings, a
 * transaction with a watched key, publish/subscribe, a blocking pop, CONFIG GET's map. A subclass
 * starts the server ({@link #startServer()}) and says whether it serves lists ({@link
 * #servesLists()}); keys share the hash tag {@code {t}}.
 */
@Timeout(120)
public abstract class ClientLibrariesContract {

  private RedisClient lettuce;
  private StatefulRedisConnection<String, String> connection;
  private RedisCommands<String, String> resp3;
  private int port;

  /** Starts the server under test for one test; returns its port. */
  protected abstract int startServer() throws Exception;

  /** Stops what {@link #startServer()} started. */
  protected abstract void stopServer() throws Exception;

  /**
   * Whether the data side serves lists (and so BLPOP); one that does not must refuse BLPOP with
   * Redis's unknown-command error.
   */
  protected abstract boolean servesLists();

  @BeforeEach
  void connectLettuce() throws Exception {
    port = startServer();
    lettuce =
        RedisClient.create(
            RedisURI.builder()
                .withHost("127.0.0.1")
                .withPort(port)
                .withTimeout(Duration.ofSeconds(30))
                .build());
    lettuce.setOptions(options(ProtocolVersion.RESP3));
    connection = lettuce.connect();
    resp3 = connection.sync();
  }

  @AfterEach
  void closeLettuce() throws Exception {
    try {
      connection.close();
      lettuce.shutdown(0, 10, TimeUnit.SECONDS);
    } finally {
      stopServer();
    }
  }

  private static ClientOptions options(ProtocolVersion protocol) {
    return ClientOptions.builder().protocolVersion(protocol).build();
  }

  private Jedis jedis(RedisProtocol protocol) {
    return new Jedis(
        "127.0.0.1",
        port,
        DefaultJedisClientConfig.builder().protocol(protocol).timeoutMillis(30_000).build());
  }

  /** A Lettuce connection speaking {@code protocol}, on the test's client. */
  private StatefulRedisConnection<String, String> lettuce(ProtocolVersion protocol) {
    lettuce.setOptions(options(protocol));
    try {
      return lettuce.connect();
    } finally {
      lettuce.setOptions(options(ProtocolVersion.RESP3));
    }
  }

  @Test
  void lettuceResp3_speaksResp3_andGetsAndSets() {
    assertThat(resp3.set("{t}k", "v")).isEqualTo("OK");
    assertThat(resp3.get("{t}k")).isEqualTo("v");
    assertThat(resp3.get("{t}missing")).isNull();
    assertThat(resp3.mget("{t}k", "{t}missing"))
        .extracting(kv -> kv.getValueOrElse(null))
        .containsExactly("v", null);
    assertThat(resp3.clientInfo()).contains(" resp=3");
  }

  @Test
  void lettuceResp3_configGetIsAMap() {
    Map<String, String> timeout = resp3.configGet("timeout");
    assertThat(timeout).containsEntry("timeout", "0");
  }

  @ParameterizedTest
  @EnumSource(ProtocolVersion.class)
  void lettuce_transactionAndWatch(ProtocolVersion protocol) {
    try (StatefulRedisConnection<String, String> c = lettuce(protocol)) {
      RedisCommands<String, String> r = c.sync();
      assertThat(r.clientInfo())
          .contains(protocol == ProtocolVersion.RESP3 ? " resp=3" : " resp=2");
      r.set("{t}n", "1");
      r.multi();
      r.incrby("{t}n", 41);
      r.get("{t}n");
      r.get("{t}missing");
      TransactionResult result = r.exec();
      assertThat(result.wasDiscarded()).isFalse();
      assertThat((Long) result.get(0)).isEqualTo(42L);
      assertThat((String) result.get(1)).isEqualTo("42");
      Object third = result.get(2);
      assertThat(third).isNull();

      r.watch("{t}n");
      try (Jedis other = jedis(RedisProtocol.RESP2)) {
        other.set("{t}n", "0");
      }
      r.multi();
      r.incr("{t}n");
      assertThat(r.exec().wasDiscarded()).as("the watched key changed").isTrue();
      assertThat(r.get("{t}n")).isEqualTo("0");

      r.multi();
      r.set("{t}n", "kept");
      r.discard();
      assertThat(r.get("{t}n")).as("DISCARD ran nothing").isEqualTo("0");
    }
  }

  @ParameterizedTest
  @EnumSource(RedisProtocol.class)
  void jedis_transactionAndWatch(RedisProtocol protocol) {
    try (Jedis jedis = jedis(protocol)) {
      assertThat(jedis.set("{t}j", "v")).isEqualTo("OK");
      assertThat(jedis.get("{t}j")).isEqualTo("v");
      assertThat(jedis.get("{t}missing")).isNull();
      Transaction t = jedis.multi();
      Response<String> set = t.set("{t}j", "1");
      Response<Long> incr = t.incrBy("{t}j", 41);
      Response<String> missing = t.get("{t}missing");
      assertThat(t.exec()).hasSize(3);
      assertThat(set.get()).isEqualTo("OK");
      assertThat(incr.get()).isEqualTo(42L);
      assertThat(missing.get()).isNull();

      jedis.watch("{t}j");
      try (Jedis other = jedis(RedisProtocol.RESP2)) {
        other.set("{t}j", "0");
      }
      Transaction watched = jedis.multi();
      watched.incr("{t}j");
      assertThat(watched.exec()).as("the watched key changed").isNull();
      assertThat(jedis.get("{t}j")).isEqualTo("0");
      assertThat(jedis.configGet("timeout")).containsEntry("timeout", "0");
      assertThat(jedis.clientInfo())
          .contains(protocol == RedisProtocol.RESP3 ? " resp=3" : " resp=2");
    }
  }

  @ParameterizedTest
  @EnumSource(ProtocolVersion.class)
  void lettuce_pubSub_andOtherCommandsWhileSubscribed(ProtocolVersion protocol) throws Exception {
    BlockingQueue<String> received = new LinkedBlockingQueue<>();
    lettuce.setOptions(options(protocol));
    try (StatefulRedisPubSubConnection<String, String> sub = lettuce.connectPubSub()) {
      lettuce.setOptions(options(ProtocolVersion.RESP3));
      sub.addListener(
          new RedisPubSubAdapter<>() {
            @Override
            public void message(String channel, String message) {
              received.add(channel + "=" + message);
            }

            @Override
            public void message(String pattern, String channel, String message) {
              received.add(pattern + ":" + channel + "=" + message);
            }
          });
      sub.sync().subscribe("news");
      sub.sync().psubscribe("n*");
      // RESP2 answers a subscribed PING with ["pong", ""], of which Lettuce returns the "".
      assertThat(sub.sync().ping())
          .as("PING while subscribed")
          .isEqualTo(protocol == ProtocolVersion.RESP3 ? "PONG" : "");
      if (protocol == ProtocolVersion.RESP3) {
        assertThat(sub.sync().get("{t}missing")).as("RESP3 serves any command").isNull();
      }
      assertThat(resp3.publish("news", "hello")).isEqualTo(2L);
      assertThat(List.of(received.poll(30, TimeUnit.SECONDS), received.poll(30, TimeUnit.SECONDS)))
          .containsExactlyInAnyOrder("news=hello", "n*:news=hello");
      sub.sync().unsubscribe("news");
      sub.sync().punsubscribe("n*");
      assertThat(resp3.publish("news", "again")).isZero();
    }
  }

  @ParameterizedTest
  @EnumSource(RedisProtocol.class)
  void jedis_pubSub(RedisProtocol protocol) throws Exception {
    BlockingQueue<String> received = new LinkedBlockingQueue<>();
    CountDownLatch subscribed = new CountDownLatch(1);
    JedisPubSub listener =
        new JedisPubSub() {
          @Override
          public void onMessage(String channel, String message) {
            received.add(channel + "=" + message);
          }

          @Override
          public void onSubscribe(String channel, int count) {
            subscribed.countDown();
          }
        };
    Thread thread =
        new Thread(
            () -> {
              try (Jedis subscriber = jedis(protocol)) {
                subscriber.subscribe(listener, "jnews");
              }
            });
    thread.start();
    assertThat(subscribed.await(30, TimeUnit.SECONDS)).as(protocol.name()).isTrue();
    try (Jedis publisher = jedis(RedisProtocol.RESP2)) {
      assertThat(publisher.publish("jnews", "hi")).isEqualTo(1L);
      assertThat(received.poll(30, TimeUnit.SECONDS)).isEqualTo("jnews=hi");
      listener.unsubscribe();
      thread.join(30_000);
      assertThat(thread.isAlive()).isFalse();
      assertThat(publisher.publish("jnews", "again")).isZero();
    }
  }

  @ParameterizedTest
  @EnumSource(ProtocolVersion.class)
  void lettuce_blockingPop(ProtocolVersion protocol) throws Exception {
    try (StatefulRedisConnection<String, String> c = lettuce(protocol)) {
      RedisCommands<String, String> blocked = c.sync();
      if (!servesLists()) {
        assertThatThrownBy(() -> blocked.blpop(1, "{t}list"))
            .hasMessageContaining("unknown command 'BLPOP'");
        return;
      }
      String list = "{t}list-" + protocol;
      resp3.del(list);
      CompletableFuture<KeyValue<String, String>> pop =
          CompletableFuture.supplyAsync(() -> blocked.blpop(30, list));
      awaitBlockedClients(1);
      assertThat(resp3.rpush(list, "a", "b")).isEqualTo(2L);
      KeyValue<String, String> popped = pop.get(30, TimeUnit.SECONDS);
      assertThat(popped.getKey()).isEqualTo(list);
      assertThat(popped.getValue()).isEqualTo("a");
      assertThat(resp3.lrange(list, 0, -1)).containsExactly("b");
      assertThat(blocked.blpop(0.05, "{t}empty")).as("timed out: a null reply").isNull();
    }
  }

  @ParameterizedTest
  @EnumSource(RedisProtocol.class)
  void jedis_blockingPop(RedisProtocol protocol) throws Exception {
    try (Jedis blocked = jedis(protocol)) {
      if (!servesLists()) {
        assertThatThrownBy(() -> blocked.blpop(1, "{t}jlist"))
            .hasMessageContaining("unknown command 'BLPOP'");
        assertThat(blocked.ping()).as("the connection goes on").isEqualTo("PONG");
        return;
      }
      String list = "{t}jlist-" + protocol;
      resp3.del(list);
      CompletableFuture<List<String>> pop =
          CompletableFuture.supplyAsync(() -> blocked.blpop(30, list));
      awaitBlockedClients(1);
      try (Jedis producer = jedis(RedisProtocol.RESP2)) {
        assertThat(producer.rpush(list, "x")).isEqualTo(1L);
      }
      assertThat(pop.get(30, TimeUnit.SECONDS)).containsExactly(list, "x");
      assertThat(blocked.blpop(1, "{t}empty")).as("timed out: a null reply").isNull();
    }
  }

  /** Waits (at most 30 s) until INFO clients counts {@code n} blocked clients. */
  private void awaitBlockedClients(int n) throws InterruptedException {
    String wanted = "blocked_clients:" + n;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    for (int i = 0; i < 3_000 && System.nanoTime() < deadline; i++) {
      if (resp3.info("clients").contains(wanted)) {
        return;
      }
      Thread.sleep(10);
    }
    assertThat(resp3.info("clients")).as("a client blocked in BLPOP").contains(wanted);
  }

  @Test
  void jedisResp2_stillGetsResp2() {
    try (Jedis jedis = jedis(RedisProtocol.RESP2)) {
      jedis.set("{t}r2", "v");
      assertThat(jedis.get("{t}r2")).isEqualTo("v");
      assertThat(jedis.get("{t}missing")).isNull();
      assertThat(jedis.configGet("timeout")).containsEntry("timeout", "0");
      assertThat(jedis.clientInfo()).contains(" resp=2");
    }
  }
}
