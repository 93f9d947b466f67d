package io.ringlb.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ringlb.core.HashRing;
import io.ringlb.core.Placement;
import io.ringlb.server.testing.RedisServersExtension;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisPubSub;
import redis.clients.jedis.Protocol.Command;
import redis.clients.jedis.exceptions.JedisDataException;

/** SUBSCRIBE, PSUBSCRIBE and PUBLISH through the proxy, over real redis-servers. */
class ProxyPubSubTest {

  /** New servers (the fourth joins by RING ADD) and proxy for each test: one is restarted. */
  @RegisterExtension
  static final RedisServersExtension redis = RedisServersExtension.servers(4).freshForEachTest();

  private static final Supplier<ProxyServer> proxy =
      redis.front(servers -> ProxyServer.start(ProxyFixtures.config(servers, 3).build()));

  private Thread listening;

  @AfterEach
  void stop() {
    if (listening != null) {
      listening.interrupt();
    }
  }

  private Jedis client() {
    return new Jedis("127.0.0.1", proxy.get().port(), 10_000);
  }

  private static int owner(String channel, int servers) {
    HashRing ring = HashRing.seed();
    for (int i = 0; i < servers; i++) {
      ring.addServer(i, Placement.MoveListener.NONE);
    }
    return ring.serverFor(ring.hashKey(channel.getBytes(StandardCharsets.UTF_8)));
  }

  /** Subscribes in a thread of its own; messages arrive in {@link #received} as "channel=msg". */
  private final class Listener extends JedisPubSub {
    final BlockingQueue<String> received = new LinkedBlockingQueue<>();
    final CountDownLatch subscribed = new CountDownLatch(1);

    @Override
    public void onMessage(String channel, String message) {
      received.add(channel + "=" + message);
    }

    @Override
    public void onPMessage(String pattern, String channel, String message) {
      received.add(pattern + ":" + channel + "=" + message);
    }

    @Override
    public void onPSubscribe(String pattern, int count) {
      subscribed.countDown();
    }

    Listener listen(String[] channels, String pattern) throws InterruptedException {
      Jedis jedis = client();
      listening =
          new Thread(
              () -> {
                try {
                  jedis.subscribe(this, channels);
                } catch (RuntimeException ignored) {
                  // closed by the test
                } finally {
                  jedis.close();
                }
              });
      listening.start();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (!isSubscribed() && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      psubscribe(pattern);
      assertThat(subscribed.await(10, TimeUnit.SECONDS)).isTrue();
      return this;
    }

    Set<String> take(int n) throws InterruptedException {
      Set<String> out = new HashSet<>();
      for (int i = 0; i < n; i++) {
        String m = received.poll(10, TimeUnit.SECONDS);
        assertThat(m).as("message %d of %d (got %s)", i + 1, n, out).isNotNull();
        out.add(m);
      }
      return out;
    }
  }

  private static String channelOwnedBy(int backend, int servers, String prefix) {
    for (int i = 0; ; i++) {
      String c = prefix + MigrationTest.key(i);
      if (owner(c, servers) == backend) {
        return c;
      }
    }
  }

  @Test
  @Timeout(60)
  void subscribers_receiveEveryMessageOnce_whicheverBackendItWasPublishedTo() throws Exception {
    String[] channels = {
      channelOwnedBy(0, 3, "c"), channelOwnedBy(1, 3, "c"), channelOwnedBy(2, 3, "c")
    };
    Listener listener = new Listener().listen(channels, "news.*");
    try (Jedis publisher = client()) {
      for (String channel : channels) {
        assertThat(publisher.publish(channel, "hello")).as(channel).isEqualTo(1L);
      }
      String[] news = {channelOwnedBy(0, 3, "news."), channelOwnedBy(2, 3, "news.")};
      for (String channel : news) {
        assertThat(publisher.publish(channel, "extra")).isEqualTo(1L);
      }
      Set<String> expected = new HashSet<>();
      for (String channel : channels) {
        expected.add(channel + "=hello");
      }
      for (String channel : news) {
        expected.add("news.*:" + channel + "=extra");
      }
      assertThat(listener.take(5)).isEqualTo(expected);
      assertThat(publisher.pubsubNumSub(channels[0]).get(channels[0])).isEqualTo(1L);

      // a backend that joins gets the subscriptions: messages published to it arrive
      assertThat(
              publisher.sendCommand(
                  () -> "RING".getBytes(StandardCharsets.US_ASCII),
                  "ADD",
                  "3",
                  redis.server(3).address()))
          .isNotNull();
      String moved = channelOwnedBy(3, 4, "c");
      listener.subscribe(moved);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      long receivers = 0;
      while (receivers == 0 && System.nanoTime() < deadline) {
        receivers = publisher.publish(moved, "after");
        Thread.sleep(receivers == 0 ? 20 : 0);
      }
      assertThat(receivers).isEqualTo(1L);
      assertThat(listener.take(1)).containsExactly(moved + "=after");
      try (Jedis direct = redis.server(3).client()) {
        assertThat(direct.pubsubNumSub(channels[0]).get(channels[0]))
            .as("subscribed on the new backend too")
            .isEqualTo(1L);
      }

      listener.unsubscribe();
      listener.punsubscribe();
      deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (listener.isSubscribed() && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      assertThat(listener.isSubscribed()).isFalse();
      assertThat(publisher.publish(channels[0], "gone")).isZero();
    }
  }

  @Test
  @Timeout(30)
  void subscribedClient_onlySubscriptionCommandsAndPing() throws Exception {
    try (Jedis jedis = client()) {
      jedis.getConnection().sendCommand(Command.SUBSCRIBE, "c1", "c2");
      List<Object> first = jedis.getConnection().getObjectMultiBulkReply();
      assertThat(new String((byte[]) first.get(0), StandardCharsets.UTF_8)).isEqualTo("subscribe");
      assertThat(first.get(2)).isEqualTo(1L);
      List<Object> second = jedis.getConnection().getObjectMultiBulkReply();
      assertThat(second.get(2)).isEqualTo(2L);
      jedis.getConnection().sendCommand(Command.GET, "k");
      assertThatThrownBy(() -> jedis.getConnection().getObjectMultiBulkReply())
          .isInstanceOf(JedisDataException.class)
          .hasMessageContaining("Can't execute 'get'");
      jedis.getConnection().sendCommand(Command.PING);
      List<Object> pong = jedis.getConnection().getObjectMultiBulkReply();
      assertThat(new String((byte[]) pong.get(0), StandardCharsets.UTF_8)).isEqualTo("pong");
      jedis.getConnection().sendCommand(Command.UNSUBSCRIBE);
      List<Object> out1 = jedis.getConnection().getObjectMultiBulkReply();
      List<Object> out2 = jedis.getConnection().getObjectMultiBulkReply();
      assertThat(out1.get(2)).isEqualTo(1L);
      assertThat(out2.get(2)).isEqualTo(0L);
      // out of subscribed mode: commands on keys again
      assertThat(jedis.set("k", "v")).isEqualTo("OK");
    }
  }

  @Test
  @Timeout(60)
  void subscribeConfirmed_onlyOnceEveryBackendSubscribed() throws Exception {
    try (Jedis publisher = client()) {
      for (int i = 0; i < 20; i++) {
        // a fresh client each time: its connections to the backends are still being opened
        try (Jedis subscriber = client()) {
          String channel = "fresh" + MigrationTest.key(i);
          subscriber.getConnection().sendCommand(Command.SUBSCRIBE, channel);
          assertThat(subscriber.getConnection().getObjectMultiBulkReply().get(2)).isEqualTo(1L);
          // confirmed: a message published now reaches the subscriber
          assertThat(publisher.publish(channel, "m" + i)).as(channel).isEqualTo(1L);
          List<Object> message = subscriber.getConnection().getObjectMultiBulkReply();
          assertThat(new String((byte[]) message.get(2), StandardCharsets.UTF_8))
              .isEqualTo("m" + i);
        }
      }
    }
  }

  @Test
  @Timeout(60)
  void backendRestarted_subscriptionsMadeAgain() throws Exception {
    String channel = channelOwnedBy(1, 3, "r");
    try (Jedis subscriber = client();
        Jedis publisher = client()) {
      subscriber.getConnection().sendCommand(Command.SUBSCRIBE, channel);
      assertThat(subscriber.getConnection().getObjectMultiBulkReply().get(2)).isEqualTo(1L);
      redis.restart(redis.server(1));
      // the proxy subscribes on the new redis-server by itself: PUBLISH finds the subscriber
      long receivers = 0;
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (receivers == 0 && System.nanoTime() < deadline) {
        try {
          receivers = publisher.publish(channel, "back");
        } catch (JedisDataException e) {
          // the proxy's pooled connection to the killed server: reconnected on a later try
        }
        if (receivers == 0) {
          Thread.sleep(50);
        }
      }
      assertThat(receivers).isEqualTo(1L);
      List<Object> message = subscriber.getConnection().getObjectMultiBulkReply();
      assertThat(new String((byte[]) message.get(2), StandardCharsets.UTF_8)).isEqualTo("back");
    }
  }
}
