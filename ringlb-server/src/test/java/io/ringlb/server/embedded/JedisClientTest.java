package io.ringlb.server.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import io.ringlb.core.HashRing;
import io.ringlb.server.RespServer;
import io.ringlb.server.ServerConfig;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisPubSub;
import redis.clients.jedis.Response;
import redis.clients.jedis.Transaction;

/** Jedis's transactions and publish/subscribe against a real embedded server on loopback. */
@Timeout(60)
class JedisClientTest {

  private RespServer server;
  private Jedis jedis;
  private Jedis other;

  @BeforeEach
  void start() throws Exception {
    server =
        RespServer.start(
            ServerConfig.defaults().withPort(0), EmbeddedBackend.create(HashRing.seed(), 0, 1, 2));
    jedis = connect();
    other = connect();
  }

  private Jedis connect() {
    return new Jedis("127.0.0.1", server.address().getPort(), 15_000);
  }

  @AfterEach
  void stop() {
    jedis.close();
    other.close();
    server.close();
  }

  @Test
  void transaction_runsAsOne() {
    Transaction t = jedis.multi();
    Response<String> set = t.set("k", "1");
    Response<Long> incr = t.incrBy("k", 41);
    Response<String> get = t.get("k");
    List<Object> results = t.exec();
    assertThat(results).hasSize(3);
    assertThat(set.get()).isEqualTo("OK");
    assertThat(incr.get()).isEqualTo(42);
    assertThat(get.get()).isEqualTo("42");
  }

  @Test
  void watchedKeyChangedByAnotherClient_execAnswersNull() {
    jedis.set("balance", "10");
    jedis.watch("balance");
    other.set("balance", "5");
    Transaction t = jedis.multi();
    t.decrBy("balance", 10);
    assertThat(t.exec()).isNull();
    assertThat(jedis.get("balance")).isEqualTo("5");
  }

  @Test
  void discard_dropsTheQueue() {
    Transaction t = jedis.multi();
    t.set("k", "v");
    assertThat(t.discard()).isEqualTo("OK");
    assertThat(jedis.exists("k")).isFalse();
  }

  @Test
  void subscriber_receivesPublishedMessages() throws Exception {
    BlockingQueue<String> received = new LinkedBlockingQueue<>();
    CountDownLatch subscribed = new CountDownLatch(2);
    JedisPubSub listener =
        new JedisPubSub() {
          @Override
          public void onMessage(String channel, String message) {
            received.add(channel + "=" + message);
          }

          @Override
          public void onPMessage(String pattern, String channel, String message) {
            received.add(pattern + ":" + channel + "=" + message);
          }

          @Override
          public void onSubscribe(String channel, int count) {
            subscribed.countDown();
          }

          @Override
          public void onPSubscribe(String pattern, int count) {
            subscribed.countDown();
            subscribe("news");
          }
        };
    Thread thread =
        new Thread(
            () -> {
              try (Jedis subscriber = connect()) {
                subscriber.psubscribe(listener, "n*");
              }
            });
    thread.start();
    assertThat(subscribed.await(30, TimeUnit.SECONDS)).isTrue();
    assertThat(other.publish("news", "hello")).isEqualTo(2);
    assertThat(List.of(received.poll(30, TimeUnit.SECONDS), received.poll(30, TimeUnit.SECONDS)))
        .containsExactlyInAnyOrder("news=hello", "n*:news=hello");
    assertThat(other.pubsubNumSub("news")).containsEntry("news", 1L);
    listener.punsubscribe();
    listener.unsubscribe();
    thread.join(30_000);
    assertThat(thread.isAlive()).isFalse();
    assertThat(other.publish("news", "again")).isZero();
  }
}
