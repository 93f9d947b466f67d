package io.ringlb.server.http;

import static io.ringlb.server.testing.PrometheusText.sum;
import static io.ringlb.server.testing.PrometheusText.value;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ringlb.core.HashRing;
import io.ringlb.server.RespServer;
import io.ringlb.server.ServerConfig;
import io.ringlb.server.User;
import io.ringlb.server.UserRole;
import io.ringlb.server.Users;
import io.ringlb.server.embedded.EmbeddedBackend;
import io.ringlb.server.testing.PrometheusText;
import io.ringlb.server.testing.PrometheusText.Sample;
import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisDataException;

/** The embedded server's HTTP port: metrics against INFO, probes, the API, logins. */
@Timeout(120)
class EmbeddedHttpTest {

  private RespServer server;

  @AfterEach
  void stop() {
    if (server != null) {
      server.close();
    }
  }

  private RespServer start(ServerConfig config, boolean openProbes, int... servers)
      throws Exception {
    server =
        RespServer.start(
            config.withPort(0),
            EmbeddedBackend.create(HashRing.seed(), servers),
            new HttpSettings("127.0.0.1", 0, openProbes));
    return server;
  }

  private Jedis client() {
    return new Jedis("127.0.0.1", server.address().getPort(), 15_000);
  }

  private InetSocketAddress http() {
    return server.httpAddress();
  }

  /** Returns INFO's {@code field} as a number. */
  private static long info(String info, String field) {
    Matcher m = Pattern.compile("(?m)^" + Pattern.quote(field) + ":(\\d+)\\r?$").matcher(info);
    assertThat(m.find()).as(field + " in INFO").isTrue();
    return Long.parseLong(m.group(1));
  }

  /** Keys whose first bytes differ, so that the seed ring's hash spreads them over the ring. */
  static String key(int i) {
    return String.format("%08x:user", io.ringlb.core.Hashes.seedLabel(i + 1));
  }

  private static Map<String, String> labels(String... pairs) {
    Map<String, String> labels = new HashMap<>();
    for (int i = 0; i < pairs.length; i += 2) {
      labels.put(pairs[i], pairs[i + 1]);
    }
    return labels;
  }

  @Test
  void metrics_parsedByPrometheusParser_agreeWithInfo_afterKnownTraffic() throws Exception {
    start(ServerConfig.defaults(), false, 0, 1, 2);
    String info;
    List<Sample> m;
    try (Jedis jedis = client();
        Jedis idle = client()) {
      idle.ping();
      for (int i = 0; i < 50; i++) {
        jedis.set(key(i), "value" + i);
      }
      for (int i = 0; i < 30; i++) {
        assertThat(jedis.get(key(i))).isEqualTo("value" + i);
      }
      for (int i = 0; i < 5; i++) {
        assertThatThrownBy(() -> jedis.incr(key(1))).isInstanceOf(JedisDataException.class);
      }
      for (int i = 0; i < 3; i++) {
        assertThatThrownBy(() -> jedis.sendCommand(() -> "SET".getBytes(), "only-key"))
            .isInstanceOf(JedisDataException.class);
      }
      for (int i = 0; i < 2; i++) {
        assertThatThrownBy(() -> jedis.sendCommand(() -> "NOSUCHCOMMAND".getBytes()))
            .isInstanceOf(JedisDataException.class);
      }
      jedis.sendCommand(() -> "RING".getBytes(), "ADD", "3");
      info = jedis.info("everything");
      m = PrometheusText.parse(Http.get(http(), "/metrics").body());
    }

    String total = "ringlb_commands_total";
    assertThat(value(m, total, labels("command", "set", "result", "ok"))).isEqualTo(50);
    assertThat(value(m, total, labels("command", "get", "result", "ok"))).isEqualTo(30);
    assertThat(value(m, total, labels("command", "incr", "result", "error"))).isEqualTo(5);
    assertThat(value(m, total, labels("command", "set", "result", "rejected"))).isEqualTo(3);
    assertThat(value(m, total, labels("command", "unknown", "result", "rejected"))).isEqualTo(2);
    assertThat(value(m, total, labels("command", "ring|add", "result", "ok"))).isEqualTo(1);
    // INFO counts every command answered before it; the scrape also sees INFO itself.
    assertThat(sum(m, total)).isEqualTo(info(info, "total_commands_processed") + 1);

    assertThat(value(m, "ringlb_connected_clients", Map.of()))
        .isEqualTo(info(info, "connected_clients"))
        .isEqualTo(2);
    assertThat(value(m, "ringlb_connections_received_total", Map.of()))
        .isEqualTo(info(info, "total_connections_received"));
    assertThat(value(m, "ringlb_rejected_connections_total", Map.of())).isZero();
    assertThat(value(m, "ringlb_ring_epoch", Map.of())).isEqualTo(info(info, "ring_epoch"));
    assertThat(value(m, "ringlb_ring_epoch", Map.of())).isEqualTo(2);
    assertThat(value(m, "ringlb_ring_servers", Map.of())).isEqualTo(info(info, "ring_servers"));
    assertThat(value(m, "ringlb_ring_keys", Map.of())).isEqualTo(info(info, "ring_keys"));
    assertThat(value(m, "ringlb_ring_keys", Map.of())).isEqualTo(50);
    assertThat(value(m, "ringlb_keys_moved_total", Map.of()))
        .isEqualTo(info(info, "ring_keys_moved"))
        .isPositive();
    for (int id = 0; id <= 3; id++) {
      Matcher line = Pattern.compile("server" + id + ":labels=(\\d+),keys=(\\d+),").matcher(info);
      assertThat(line.find()).isTrue();
      String server = Integer.toString(id);
      assertThat(value(m, "ringlb_server_keys", labels("server", server)))
          .isEqualTo(Long.parseLong(line.group(2)));
      assertThat(value(m, "ringlb_server_labels", labels("server", server)))
          .isEqualTo(Long.parseLong(line.group(1)));
      assertThat(value(m, "ringlb_server_state", labels("server", server, "state", "serving")))
          .isEqualTo(1);
    }
    assertThat(sum(m, "ringlb_server_memory_bytes")).isEqualTo(info(info, "used_memory_dataset"));
    assertThat(sum(m, "ringlb_server_ring_share"))
        .isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-9));
    assertThat(value(m, "ringlb_migration_running", Map.of())).isZero();
    assertThat(value(m, "ringlb_migration_state", labels("state", "none"))).isEqualTo(1);

    // One command in 16 of each connection is timed, its first one always.
    double timed = sum(m, "ringlb_command_duration_seconds_count");
    assertThat(timed).isGreaterThanOrEqualTo(3).isLessThanOrEqualTo(sum(m, total));
    assertThat(value(m, "ringlb_command_duration_seconds_count", labels("family", "write")))
        .isGreaterThanOrEqualTo(1);
    assertThat(
            value(
                m,
                "ringlb_command_duration_seconds_bucket",
                labels("family", "write", "le", "+Inf")))
        .isEqualTo(value(m, "ringlb_command_duration_seconds_count", labels("family", "write")));
    assertThat(m)
        .filteredOn(s -> s.family().equals("ringlb_command_duration_seconds"))
        .allMatch(s -> s.type().equals("histogram"));
  }

  @Test
  void metrics_inOpenMetrics_whenAsked_parsedByTheStrictParser() throws Exception {
    start(ServerConfig.defaults(), false, 0, 1);
    try (Jedis jedis = client()) {
      jedis.set("a", "1");
    }
    HttpResponse<String> r =
        Http.getAccepting(http(), "/metrics", "application/openmetrics-text; version=1.0.0");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("content-type").orElse(""))
        .startsWith("application/openmetrics-text");
    List<Sample> m = PrometheusText.parseOpenMetrics(r.body());
    assertThat(value(m, "ringlb_commands_total", labels("command", "set", "result", "ok")))
        .isEqualTo(1);
    assertThat(value(m, "ringlb_ring_servers", Map.of())).isEqualTo(2);
  }

  @Test
  void rejectedConnections_countedAsInfoCountsThem() throws Exception {
    start(ServerConfig.defaults().withMaxClients(1), false, 0);
    try (Jedis first = client()) {
      first.ping();
      // Jedis sends CLIENT SETINFO as it connects: the refusal comes then.
      assertThatThrownBy(() -> client().close()).isInstanceOf(JedisConnectionException.class);
      String info = first.info("stats");
      List<Sample> m = PrometheusText.parse(Http.get(http(), "/metrics").body());
      assertThat(value(m, "ringlb_rejected_connections_total", Map.of()))
          .isEqualTo(info(info, "rejected_connections"))
          .isEqualTo(1);
    }
  }

  @Test
  void probes_healthzAlways_readyzWhileTheRingRoutes() throws Exception {
    start(ServerConfig.defaults(), false, 0);
    assertThat(Http.get(http(), "/healthz").statusCode()).isEqualTo(200);
    assertThat(Http.get(http(), "/healthz").body()).isEqualTo("ok\n");
    assertThat(Http.get(http(), "/readyz").statusCode()).isEqualTo(200);
    try (Jedis jedis = client()) {
      jedis.sendCommand(() -> "RING".getBytes(), "ADD", "1");
      jedis.sendCommand(() -> "RING".getBytes(), "REMOVE", "0");
      assertThat(Http.get(http(), "/readyz").statusCode()).isEqualTo(200);
    }
    stop();
    start(ServerConfig.defaults(), false); // no server memory: nothing owns keys
    HttpResponse<String> empty = Http.get(http(), "/readyz");
    assertThat(empty.statusCode()).isEqualTo(503);
    assertThat(empty.body()).isEqualTo("not ready: no server owns keys\n");
    assertThat(Http.get(http(), "/healthz").statusCode()).isEqualTo(200);
  }

  @Test
  void api_ring_describesServersArcsAndTheLastChange() throws Exception {
    start(ServerConfig.defaults(), false, 0, 1, 2);
    try (Jedis jedis = client()) {
      for (int i = 0; i < 300; i++) {
        jedis.set("k" + i, "v");
      }
      jedis.sendCommand(() -> "RING".getBytes(), "ADD", "7");
    }
    HttpResponse<String> r = Http.get(http(), "/api/ring");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("content-type")).hasValue("application/json");
    JsonNode doc = new ObjectMapper().readTree(r.body());
    assertThat(doc.get("mode").asText()).isEqualTo("embedded");
    assertThat(doc.get("epoch").asLong()).isEqualTo(2);
    assertThat(doc.get("ready").asBoolean()).isTrue();
    assertThat(doc.get("keys").asLong()).isEqualTo(300);
    assertThat(doc.get("servers")).extracting(s -> s.get("id").asInt()).containsExactly(0, 1, 2, 7);
    long keys = 0;
    for (JsonNode s : doc.get("servers")) {
      keys += s.get("keys").asLong();
      assertThat(s.get("state").asText()).isEqualTo("serving");
      assertThat(s.get("backend").isNull()).isTrue();
    }
    assertThat(keys).isEqualTo(300);
    JsonNode arcs = doc.get("arcs");
    assertThat(arcs.get(0).get("start").asLong()).isZero();
    assertThat(arcs.get(arcs.size() - 1).get("end").asLong()).isEqualTo(1L << 32);
    for (int i = 1; i < arcs.size(); i++) {
      assertThat(arcs.get(i).get("start").asLong()).isEqualTo(arcs.get(i - 1).get("end").asLong());
      assertThat(arcs.get(i).get("server").asInt())
          .isNotEqualTo(arcs.get(i - 1).get("server").asInt());
    }
    assertThat(arcs).extracting(a -> a.get("server").asInt()).contains(0, 1, 2, 7);
    JsonNode last = doc.get("last_migration");
    assertThat(last.get("kind").asText()).isEqualTo("add");
    assertThat(last.get("server").asInt()).isEqualTo(7);
    assertThat(last.get("state").asText()).isEqualTo("done");
    assertThat(last.get("keys_moved").asLong()).isEqualTo(doc.get("keys_moved_total").asLong());
    assertThat(doc.get("migration").isNull()).isTrue();
    // 300 SETs and RING ADD, after the two CLIENT SETINFO Jedis sends as it connects
    assertThat(doc.get("clients").get("commands_processed").asLong()).isEqualTo(303);
  }

  @Test
  void login_withPasswords_dashboardAndApiAskForAUser_probesToo_unlessLeftOpen() throws Exception {
    Users users = Users.none().with(User.withPassword("viewer", "viewer-secret", UserRole.DATA));
    start(ServerConfig.defaults().withRequirePass("s3cret").withUsers(users), false, 0);
    for (String path : List.of("/", "/api/ring", "/metrics", "/healthz", "/readyz")) {
      HttpResponse<String> none = Http.get(http(), path);
      assertThat(none.statusCode()).as(path).isEqualTo(401);
      assertThat(none.headers().firstValue("www-authenticate"))
          .hasValue("Basic realm=\"ringlb\", charset=\"UTF-8\"");
      assertThat(Http.get(http(), path, "default", "wrong").statusCode()).as(path).isEqualTo(401);
      assertThat(Http.get(http(), path, "default", "s3cret").statusCode()).as(path).isEqualTo(200);
      assertThat(Http.get(http(), path, "viewer", "viewer-secret").statusCode())
          .as(path)
          .isEqualTo(200);
    }
    assertThat(Http.get(http(), "/api/ring", "nobody", "s3cret").statusCode()).isEqualTo(401);
    // The wrong passwords count as failed logins, as on the RESP port.
    try (Jedis jedis = client()) {
      jedis.auth("s3cret");
      assertThat(info(jedis.info("stats"), "acl_access_denied_auth")).isEqualTo(6);
    }
    stop();

    start(ServerConfig.defaults().withRequirePass("s3cret"), true, 0);
    for (String path : List.of("/metrics", "/healthz", "/readyz")) {
      assertThat(Http.get(http(), path).statusCode()).as(path).isEqualTo(200);
    }
    assertThat(Http.get(http(), "/").statusCode()).isEqualTo(401);
    assertThat(Http.get(http(), "/api/ring").statusCode()).isEqualTo(401);
  }

  @Test
  void withoutPasswords_noLogin_unknownPaths404_otherMethods405() throws Exception {
    start(ServerConfig.defaults(), false, 0);
    HttpResponse<String> page = Http.get(http(), "/");
    assertThat(page.statusCode()).isEqualTo(200);
    assertThat(page.headers().firstValue("content-type")).hasValue("text/html; charset=utf-8");
    assertThat(page.body()).contains("<script src=\"/dashboard.js\"").doesNotContain("http");
    assertThat(page.headers().firstValue("content-security-policy").orElse(""))
        .contains("script-src 'self'");
    assertThat(Http.get(http(), "/dashboard.js").statusCode()).isEqualTo(200);
    assertThat(Http.get(http(), "/dashboard.css").statusCode()).isEqualTo(200);
    assertThat(Http.get(http(), "/nothing-here").statusCode()).isEqualTo(404);
    HttpResponse<String> post = Http.send(http(), "/metrics", "POST");
    assertThat(post.statusCode()).isEqualTo(405);
    assertThat(post.headers().firstValue("allow")).hasValue("GET, HEAD");
    HttpResponse<String> head = Http.send(http(), "/healthz", "HEAD");
    assertThat(head.statusCode()).isEqualTo(200);
    assertThat(head.body()).isEmpty();
  }

  @Test
  void withoutHttp_noPort_andNoMetricsKept() throws Exception {
    server =
        RespServer.start(
            ServerConfig.defaults().withPort(0), EmbeddedBackend.create(HashRing.seed(), 0));
    assertThat(server.httpAddress()).isNull();
  }
}
