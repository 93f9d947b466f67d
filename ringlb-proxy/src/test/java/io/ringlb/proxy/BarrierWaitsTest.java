package io.ringlb.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.ringlb.server.testing.RedisServersExtension;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.Response;

/**
 * INFO migration's barrier waits: a request that arrives while a ring change drains the requests in
 * flight is held, and the time it was held is counted.
 */
@Timeout(120)
class BarrierWaitsTest {

  @RegisterExtension
  static final RedisServersExtension redis = RedisServersExtension.servers(3).freshForEachTest();

  private ProxyServer proxy;

  @AfterEach
  void stop() throws Exception {
    if (proxy != null) {
      proxy.close();
    }
  }

  private Jedis client() {
    return new Jedis("127.0.0.1", proxy.port(), 60_000);
  }

  private static double field(String info, String name) {
    Matcher m = Pattern.compile(name + ":([0-9.]+)").matcher(info);
    assertThat(m.find()).as(name + " in " + info).isTrue();
    return Double.parseDouble(m.group(1));
  }

  @Test
  void requestHeldWhileAChangeDrains_isCountedWithItsWait() throws Exception {
    proxy = ProxyServer.start(ProxyFixtures.config(redis.servers(), 2).build());
    try (Jedis admin = client()) {
      String before = admin.info("migration");
      assertThat(field(before, "barrier_waits")).isZero();
      assertThat(field(before, "barrier_wait_max_ms")).isZero();
    }
    long epoch = proxy.publishedEpoch();

    // A request in flight to a paused backend keeps the next topology from draining.
    redis.server(0).pause();
    Jedis inFlight = client();
    Pipeline p = inFlight.pipelined();
    List<Response<String>> gets = new ArrayList<>();
    for (int i = 0; i < 64; i++) {
      gets.add(p.get("k" + i));
    }
    CompletableFuture<Void> answered = CompletableFuture.runAsync(p::sync);
    Thread.sleep(200);
    CompletableFuture<String> add =
        CompletableFuture.supplyAsync(
            () -> {
              try (Jedis admin = client()) {
                Object reply =
                    admin.sendCommand(
                        () -> "RING".getBytes(StandardCharsets.US_ASCII),
                        "ADD",
                        "2",
                        redis.server(2).address());
                return new String((byte[]) reply, StandardCharsets.UTF_8);
              }
            });
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (proxy.publishedEpoch() == epoch && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    assertThat(proxy.publishedEpoch()).as("RING ADD published its topology").isGreaterThan(epoch);

    long heldFrom = System.nanoTime();
    CompletableFuture<String> held =
        CompletableFuture.supplyAsync(
            () -> {
              try (Jedis c = client()) {
                return c.ping();
              }
            });
    Thread.sleep(500);
    assertThat(held).as("held at the barrier while a request drains").isNotDone();
    redis.server(0).resume();
    assertThat(held.get(30, TimeUnit.SECONDS)).isEqualTo("PONG");
    long heldMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - heldFrom);
    answered.get(30, TimeUnit.SECONDS);
    inFlight.close();
    add.get(60, TimeUnit.SECONDS);

    try (Jedis admin = client()) {
      String info = admin.info("migration");
      assertThat(field(info, "barrier_waits")).isGreaterThanOrEqualTo(1);
      assertThat(field(info, "barrier_wait_max_ms"))
          .as("the held PING's wait")
          .isGreaterThanOrEqualTo(400)
          .isLessThanOrEqualTo(heldMillis + 50);
      assertThat(field(info, "barrier_wait_p99_ms")).isGreaterThan(0);
      admin.configResetStat();
      assertThat(field(admin.info("migration"), "barrier_waits")).isZero();
    }
  }
}
