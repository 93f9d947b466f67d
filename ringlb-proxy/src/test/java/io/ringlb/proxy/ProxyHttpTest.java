package io.ringlb.proxy;

import static io.ringlb.server.testing.PrometheusText.sum;
import static io.ringlb.server.testing.PrometheusText.value;
import static org.assertj.core.api.Assertions.assertThat;

import io.ringlb.server.http.Http;
import io.ringlb.server.http.HttpSettings;
import io.ringlb.server.testing.PrometheusText;
import io.ringlb.server.testing.PrometheusText.Sample;
import io.ringlb.server.testing.RedisServersExtension;
import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisDataException;

/** The proxy's HTTP port over real redis-servers: metrics against INFO, readiness, ejection. */
@Timeout(120)
class ProxyHttpTest {

  /** New servers for each test: one is killed. */
  @RegisterExtension
  static final RedisServersExtension redis = RedisServersExtension.servers(4).freshForEachTest();

  private ProxyServer proxy;

  @AfterEach
  void stop() {
    if (proxy != null) {
      proxy.close();
    }
  }

  private void start(ProxyConfig.Builder config) throws Exception {
    proxy = ProxyServer.start(config.http(new HttpSettings("127.0.0.1", 0, false)).build());
  }

  private Jedis client() {
    return new Jedis("127.0.0.1", proxy.port(), 30_000);
  }

  private InetSocketAddress http() {
    return proxy.httpAddress();
  }

  private List<Sample> scrape() {
    HttpResponse<String> r = Http.get(http(), "/metrics");
    assertThat(r.statusCode()).isEqualTo(200);
    return PrometheusText.parse(r.body());
  }

  private static long info(String info, String field) {
    Matcher m = Pattern.compile("(?m)^" + Pattern.quote(field) + ":(\\d+)\\r?$").matcher(info);
    assertThat(m.find()).as(field + " in INFO").isTrue();
    return Long.parseLong(m.group(1));
  }

  /** Returns {@code field=N} of INFO's line {@code prefix...}. */
  private static long infoPart(String info, String line, String field) {
    Matcher m =
        Pattern.compile("(?m)^" + Pattern.quote(line) + ":.*?\\b" + field + "=(-?\\d+)")
            .matcher(info);
    assertThat(m.find()).as(line + " " + field + " in INFO").isTrue();
    return Long.parseLong(m.group(1));
  }

  private static Object ring(Jedis jedis, String... args) {
    Object reply = jedis.sendCommand(() -> "RING".getBytes(StandardCharsets.US_ASCII), args);
    return reply instanceof byte[] b ? new String(b, StandardCharsets.UTF_8) : reply;
  }

  @Test
  void metrics_parsedByPrometheusParser_agreeWithInfo_backendsAndMigration() throws Exception {
    start(ProxyFixtures.config(redis.servers(), 3));
    String info;
    List<Sample> m;
    try (Jedis jedis = client()) {
      for (int i = 0; i < 200; i++) {
        jedis.set(MigrationTest.key(i), "v" + i);
      }
      for (int i = 0; i < 100; i++) {
        assertThat(jedis.get(MigrationTest.key(i))).isEqualTo("v" + i);
      }
      try {
        jedis.incr(MigrationTest.key(0));
      } catch (JedisDataException expected) {
        // the backend's error reply, counted as an error of INCR
      }
      assertThat(ring(jedis, "ADD", "3", redis.server(3).address())).isEqualTo("OK");
      info = jedis.info("everything");
      m = scrape();
    }
    String total = "ringlb_commands_total";
    assertThat(value(m, total, Map.of("command", "set", "result", "ok"))).isEqualTo(200);
    assertThat(value(m, total, Map.of("command", "get", "result", "ok"))).isEqualTo(100);
    assertThat(value(m, total, Map.of("command", "incr", "result", "error"))).isEqualTo(1);
    assertThat(value(m, total, Map.of("command", "ring|add", "result", "ok"))).isEqualTo(1);
    // The proxy's INFO waits for its backends' key counts, so the figure it shows counts itself.
    assertThat(sum(m, total)).isEqualTo(info(info, "total_commands_processed"));
    assertThat(value(m, "ringlb_ring_epoch", Map.of())).isEqualTo(info(info, "ring_epoch"));
    assertThat(value(m, "ringlb_ring_servers", Map.of())).isEqualTo(info(info, "ring_servers"));
    assertThat(value(m, "ringlb_ring_keys", Map.of())).isEqualTo(200);
    for (int id = 0; id < 4; id++) {
      String line = "backend" + id;
      Map<String, String> server = Map.of("server", Integer.toString(id));
      assertThat(value(m, "ringlb_server_keys", server)).isEqualTo(infoPart(info, line, "keys"));
      // The scrape asked each backend for its DBSIZE once more than INFO had.
      assertThat(value(m, "ringlb_backend_requests_total", server))
          .isEqualTo(infoPart(info, line, "requests") + 1);
      assertThat(value(m, "ringlb_backend_error_replies_total", server))
          .isEqualTo(infoPart(info, line, "error_replies"));
      assertThat(value(m, "ringlb_backend_failures_total", server))
          .isEqualTo(infoPart(info, line, "failures"))
          .isZero();
      assertThat(value(m, "ringlb_backend_timeouts_total", server))
          .isEqualTo(infoPart(info, line, "timeouts"));
      assertThat(value(m, "ringlb_backend_up", server)).isEqualTo(1);
      assertThat(value(m, "ringlb_backend_ejections_total", server)).isZero();
      assertThat(
              value(
                  m,
                  "ringlb_backend_info",
                  Map.of("server", Integer.toString(id), "address", redis.server(id).address())))
          .isEqualTo(1);
    }
    assertThat(sum(m, "ringlb_backend_error_replies_total")).isEqualTo(1);
    assertThat(value(m, "ringlb_keys_moved_total", Map.of()))
        .isEqualTo(infoPart(info, "last_migration", "keys_moved"))
        .isPositive();
    assertThat(value(m, "ringlb_migrations_completed_total", Map.of()))
        .isEqualTo(info(info, "migrations_completed"))
        .isEqualTo(1);
    assertThat(value(m, "ringlb_migration_running", Map.of()))
        .isEqualTo(info(info, "migrations_running"))
        .isZero();
    double timed = sum(m, "ringlb_command_duration_seconds_count");
    assertThat(timed).isGreaterThanOrEqualTo(1).isLessThanOrEqualTo(sum(m, total));

    // Every metric the example Grafana dashboard charts is one ringlb exports.
    String grafana = Files.readString(Path.of("../examples/grafana-dashboard.json"));
    Set<String> charted = new TreeSet<>();
    Matcher names = Pattern.compile("ringlb_[a-z_]+").matcher(grafana);
    while (names.find()) {
      charted.add(names.group());
    }
    Set<String> exported = new TreeSet<>();
    for (Sample sample : m) {
      exported.add(sample.name());
    }
    exported.add("ringlb_server_memory_bytes"); // the embedded server's only
    assertThat(charted).hasSizeGreaterThan(20);
    assertThat(exported).containsAll(charted);
  }

  @Test
  void readyz_503WhileABackendIsDown_healthzStill200() throws Exception {
    start(ProxyFixtures.config(redis.servers(), 3).requestTimeout(Duration.ofSeconds(1)));
    assertThat(Http.get(http(), "/readyz").statusCode()).isEqualTo(200);
    assertThat(Http.get(http(), "/readyz").body()).isEqualTo("ready\n");
    redis.server(1).kill();
    HttpResponse<String> r = Http.get(http(), "/readyz");
    assertThat(r.statusCode()).isEqualTo(503);
    assertThat(r.body())
        .startsWith(
            "not ready: server 1 ("
                + redis.server(1).address()
                + ") owns keys and cannot be reached");
    assertThat(Http.get(http(), "/healthz").statusCode()).isEqualTo(200);
    List<Sample> m = scrape();
    assertThat(value(m, "ringlb_backend_up", Map.of("server", "1"))).isZero();
    assertThat(value(m, "ringlb_backend_up", Map.of("server", "0"))).isEqualTo(1);
    assertThat(value(m, "ringlb_ring_ready", Map.of())).isZero();
  }

  @Test
  void ejectedBackend_ringServesAroundIt_readyAgain_ejectionCounted() throws Exception {
    start(
        ProxyFixtures.config(redis.servers(), 3)
            .requestTimeout(Duration.ofSeconds(1))
            .ejectAfterFailures(1)
            .ejectRetry(Duration.ofSeconds(60)));
    redis.server(2).kill();
    try (Jedis jedis = client()) {
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      int status = 0;
      while (System.nanoTime() < until) {
        for (int i = 0; i < 20; i++) {
          try {
            jedis.set(MigrationTest.key(i), "v"); // fails on backend 2 until it is ejected
          } catch (JedisDataException e) {
            // routed to the dead backend
          }
        }
        status = Http.get(http(), "/readyz").statusCode();
        if (status == 200) {
          break;
        }
        Thread.sleep(50);
      }
      assertThat(status).isEqualTo(200);
    }
    List<Sample> m = scrape();
    assertThat(value(m, "ringlb_backend_ejections_total", Map.of("server", "2"))).isEqualTo(1);
    assertThat(value(m, "ringlb_server_state", Map.of("server", "2", "state", "down")))
        .isEqualTo(1);
    assertThat(value(m, "ringlb_backend_up", Map.of("server", "2"))).isZero();
    assertThat(value(m, "ringlb_ring_ready", Map.of())).isEqualTo(1);
  }
}
