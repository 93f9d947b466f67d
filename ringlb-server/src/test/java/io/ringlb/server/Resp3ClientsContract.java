package io.ringlb.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.lettuce.core.ClientOptions;
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
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisPubSub;
import redis.clients.jedis.RedisProtocol;
import redis.clients.jedis.Response;
import redis.clients.jedis.Transaction;

/**
 * Lettuce and Jedis asking for RESP3 (and Jedis in RESP2 beside them) against a data side on
 * loopback: strings, a transaction, a watched key, publish/subscribe, CONFIG GET's map. A subclass
 * starts the server ({@link #startServer()}); keys share the hash tag {@code {t}}.
 */
@Timeout(120)
public abstract class Resp3ClientsContract {

  private RedisClient lettuce;
  private StatefulRedisConnection<String, String> connection;
  private RedisCommands<String, String> resp3;
  private int port;

  /** Starts the server under test for one test; returns its port. */
  protected abstract int startServer() throws Exception;

  /** Stops what {@link #startServer()} started. */
  protected abstract void stopServer() throws Exception;

  private int port() {
    return port;
  }

  @BeforeEach
  void connectLettuce() throws Exception {
    port = startServer();
    lettuce =
        RedisClient.create(
            RedisURI.builder()
                .withHost("127.0.0.1")
                .withPort(port())
                .withTimeout(Duration.ofSeconds(30))
                .build());
    lettuce.setOptions(ClientOptions.builder().protocolVersion(ProtocolVersion.RESP3).build());
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

  private Jedis jedis(RedisProtocol protocol) {
    return new Jedis(
        "127.0.0.1",
        port(),
        DefaultJedisClientConfig.builder().protocol(protocol).timeoutMillis(30_000).build());
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
  void lettuceResp3_transactionAndWatch() {
    resp3.set("{t}n", "1");
    resp3.multi();
    resp3.incrby("{t}n", 41);
    resp3.get("{t}n");
    resp3.get("{t}missing");
    TransactionResult result = resp3.exec();
    assertThat(result.wasDiscarded()).isFalse();
    assertThat((Long) result.get(0)).isEqualTo(42L);
    assertThat((String) result.get(1)).isEqualTo("42");
    Object third = result.get(2);
    assertThat(third).isNull();

    resp3.watch("{t}n");
    try (Jedis other = jedis(RedisProtocol.RESP3)) {
      other.set("{t}n", "0");
    }
    resp3.multi();
    resp3.incr("{t}n");
    assertThat(resp3.exec().wasDiscarded()).as("the watched key changed").isTrue();
    assertThat(resp3.get("{t}n")).isEqualTo("0");
  }

  @Test
  void lettuceResp3_pubSub_andOtherCommandsWhileSubscribed() throws Exception {
    BlockingQueue<String> received = new LinkedBlockingQueue<>();
    try (StatefulRedisPubSubConnection<String, String> sub = lettuce.connectPubSub()) {
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
      assertThat(sub.sync().ping()).as("PONG in RESP3 while subscribed").isEqualTo("PONG");
      assertThat(sub.sync().get("{t}missing")).isNull();
      assertThat(resp3.publish("news", "hello")).isEqualTo(2L);
      assertThat(List.of(received.poll(30, TimeUnit.SECONDS), received.poll(30, TimeUnit.SECONDS)))
          .containsExactlyInAnyOrder("news=hello", "n*:news=hello");
      sub.sync().unsubscribe("news");
      sub.sync().punsubscribe("n*");
      assertThat(resp3.publish("news", "again")).isZero();
    }
  }

  @Test
  void lettuceResp3_configGetIsAMap() {
    Map<String, String> timeout = resp3.configGet("timeout");
    assertThat(timeout).containsEntry("timeout", "0");
  }

  @Test
  void jedisResp3_stringsAndTransaction() {
    try (Jedis jedis = jedis(RedisProtocol.RESP3)) {
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
      assertThat(jedis.configGet("timeout")).containsEntry("timeout", "0");
    }
  }

  @Test
  void jedisResp3AndResp2_pubSub() throws Exception {
    for (RedisProtocol protocol : new RedisProtocol[] {RedisProtocol.RESP3, RedisProtocol.RESP2}) {
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
