package io.ringlb.server.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ringlb.core.HashRing;
import io.ringlb.server.RespServer;
import io.ringlb.server.ServerConfig;
import io.ringlb.server.testing.ManualClock;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.Response;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.params.ScanParams;
import redis.clients.jedis.params.SetParams;
import redis.clients.jedis.resps.ScanResult;

/** A real server on an ephemeral loopback port, driven by Jedis. */
@Timeout(60)
class ServerEndToEndTest {

  /** The data side's clock: keys expire when a test moves it, never while it waits. */
  private final ManualClock clock = new ManualClock();

  private EmbeddedBackend backend;
  private RespServer server;
  private Jedis jedis;

  @BeforeEach
  void start() throws Exception {
    backend = EmbeddedBackend.create(clock, HashRing.seed(), 0, 1, 2);
    server = RespServer.start(ServerConfig.defaults().withPort(0), backend);
    jedis = new Jedis("127.0.0.1", server.address().getPort(), 15_000);
  }

  @AfterEach
  void stop() {
    jedis.close();
    server.close();
  }

  @Test
  void strings_asRedis() {
    assertThat(jedis.ping()).isEqualTo("PONG");
    assertThat(jedis.set("k", "v")).isEqualTo("OK");
    assertThat(jedis.get("k")).isEqualTo("v");
    assertThat(jedis.set("k", "w", SetParams.setParams().nx())).isNull();
    assertThat(jedis.set("k2", "w", SetParams.setParams().xx())).isNull();
    assertThat(jedis.setGet("k", "x")).isEqualTo("v");
    assertThat(jedis.get("k")).isEqualTo("x");
    assertThat(jedis.mset("a", "1", "b", "2")).isEqualTo("OK");
    assertThat(jedis.mget("a", "nope", "b")).containsExactly("1", null, "2");
    assertThat(jedis.incr("a")).isEqualTo(2);
    assertThat(jedis.decr("a")).isEqualTo(1);
    assertThat(jedis.incrBy("a", 100)).isEqualTo(101);
    assertThat(jedis.decrBy("a", 1)).isEqualTo(100);
    assertThatThrownBy(() -> jedis.incr("k"))
        .isInstanceOf(JedisDataException.class)
        .hasMessage("ERR value is not an integer or out of range");
    assertThat(jedis.append("k", "yz")).isEqualTo(3);
    assertThat(jedis.strlen("k")).isEqualTo(3);
    assertThat(jedis.exists("k", "a", "nope", "k")).isEqualTo(3);
    assertThat(jedis.del("k", "a", "nope")).isEqualTo(2);
    assertThat(jedis.dbSize()).isEqualTo(1);
    assertThat(jedis.flushAll()).isEqualTo("OK");
    assertThat(jedis.dbSize()).isZero();
    byte[] binary = {0, (byte) 0xFF, '\r', '\n', '"'};
    jedis.set(binary, binary);
    assertThat(jedis.get(binary)).isEqualTo(binary);
  }

  @Test
  void expiry_reallyExpires() {
    jedis.set("short", "v", SetParams.setParams().px(100));
    jedis.set("long", "v", SetParams.setParams().ex(100));
    jedis.set("plain", "v");
    assertThat(jedis.ttl("long")).isEqualTo(100);
    assertThat(jedis.pttl("short")).isEqualTo(100);
    assertThat(jedis.ttl("plain")).isEqualTo(-1);
    assertThat(jedis.ttl("missing")).isEqualTo(-2);
    clock.advance(Duration.ofMillis(99));
    assertThat(jedis.pttl("short")).isEqualTo(1);
    assertThat(jedis.get("short")).isEqualTo("v");
    clock.advance(Duration.ofMillis(2));
    assertThat(jedis.get("short")).isNull(); // lazily, on access
    assertThat(jedis.ttl("long")).isEqualTo(100); // 99.899 s, rounded as Redis does
    assertThat(jedis.expire("plain", 1)).isEqualTo(1);
    assertThat(jedis.persist("plain")).isEqualTo(1);
    assertThat(jedis.ttl("plain")).isEqualTo(-1);
    jedis.pexpire("plain", 50);
    for (int i = 0; i < 100; i++) {
      jedis.set("gone:" + i, "v", SetParams.setParams().px(1000));
    }
    assertThat(jedis.dbSize()).isEqualTo(102);
    clock.advance(Duration.ofMillis(1001));
    // actively, with nobody touching the keys: each cycle deletes expired keys it samples
    for (int cycle = 0; cycle < 100 && jedis.dbSize() > 1; cycle++) {
      backend.activeExpiryCycle();
    }
    assertThat(jedis.dbSize()).isEqualTo(1);
    assertThat(jedis.info("stats")).contains("expired_keys:102");
    assertThat(jedis.ttl("long")).isEqualTo(99);
    assertThat(jedis.expire("long", -1)).isEqualTo(1);
    assertThat(jedis.exists("long")).isFalse();
  }

  @Test
  void expiry_survivesTopologyChanges() {
    jedis.set("t", "v", SetParams.setParams().ex(1000));
    for (int id = 10; id < 30; id++) {
      jedis.sendCommand(() -> "RING".getBytes(), "ADD", Integer.toString(id));
    }
    for (int id = 0; id < 3; id++) {
      jedis.sendCommand(() -> "RING".getBytes(), "REMOVE", Integer.toString(id));
    }
    assertThat(jedis.get("t")).isEqualTo("v");
    assertThat(jedis.ttl("t")).isEqualTo(1000);
  }

  @Test
  void scan_visitsEveryKeyOnce() {
    Set<String> keys = new HashSet<>();
    for (int i = 0; i < 2000; i++) {
      keys.add("user:" + i);
      jedis.set("user:" + i, "v");
    }
    jedis.set("other", "v");
    List<String> seen = new ArrayList<>();
    String cursor = ScanParams.SCAN_POINTER_START;
    int calls = 0;
    do {
      ScanResult<String> page = jedis.scan(cursor, new ScanParams().match("user:*").count(100));
      seen.addAll(page.getResult());
      cursor = page.getCursor();
    } while (!cursor.equals("0") && ++calls < 10_000);
    assertThat(seen).hasSize(2000).containsExactlyInAnyOrderElementsOf(keys);
    assertThat(jedis.keys("user:1??")).hasSize(100);
  }

  @Test
  void ring_administration() {
    for (int i = 0; i < 1000; i++) {
      jedis.set("key" + i, "v" + i);
    }
    String nodes =
        new String(
            (byte[]) jedis.sendCommand(() -> "RING".getBytes(), "NODES"), StandardCharsets.UTF_8);
    assertThat(nodes.lines())
        .hasSize(3)
        .allMatch(
            l ->
                l.matches(
                    "id=\\d+ labels=3 keys=\\d+ keys_share=\\d\\.\\d{4} ring_share=\\d\\.\\d{4}"));
    long moved = (Long) jedis.sendCommand(() -> "RING".getBytes(), "ADD", "7");
    long removed = (Long) jedis.sendCommand(() -> "RING".getBytes(), "REMOVE", "0");
    assertThat(moved + removed).isPositive();
    assertThatThrownBy(() -> jedis.sendCommand(() -> "RING".getBytes(), "ADD", "7"))
        .hasMessage("ERR server 7 is already present");
    assertThatThrownBy(() -> jedis.sendCommand(() -> "RING".getBytes(), "REMOVE", "0"))
        .hasMessage("ERR server 0 is not present");
    @SuppressWarnings("unchecked")
    List<Object> located =
        (List<Object>) jedis.sendCommand(() -> "RING".getBytes(), "LOCATE", "key1");
    assertThat(new String((byte[]) located.get(0))).isEqualTo("hash");
    assertThat(new String((byte[]) located.get(located.size() - 2))).isEqualTo("server");
    String stats = new String((byte[]) jedis.sendCommand(() -> "RING".getBytes(), "STATS"));
    assertThat(stats).contains("ring_servers:3", "ring_adds:1", "ring_removes:1");
    for (int i = 0; i < 1000; i++) {
      assertThat(jedis.get("key" + i)).isEqualTo("v" + i);
    }
    assertThat(jedis.info("ring")).contains("ring_placement:seed", "server7:labels=3");
  }

  @Test
  void ring_removeLastServerHoldingKeys_refused() {
    jedis.set("k", "v");
    jedis.sendCommand(() -> "RING".getBytes(), "REMOVE", "0");
    jedis.sendCommand(() -> "RING".getBytes(), "REMOVE", "1");
    assertThatThrownBy(() -> jedis.sendCommand(() -> "RING".getBytes(), "REMOVE", "2"))
        .hasMessageContaining("last server");
    assertThat(jedis.get("k")).isEqualTo("v");
  }

  @Test
  void info_hasTheSections() {
    String info = jedis.info();
    assertThat(info)
        .contains(
            "# Server",
            "# Clients",
            "# Memory",
            "# Stats",
            "# Keyspace",
            "# Ring",
            "redis_version:",
            "connected_clients:1",
            "total_commands_processed:");
    jedis.set("k", "v");
    assertThat(jedis.info("keyspace")).contains("db0:keys=1,expires=0");
    assertThat(jedis.clientId()).isPositive();
    jedis.clientSetname("me");
    assertThat(jedis.clientGetname()).isEqualTo("me");
    assertThat(jedis.select(0)).isEqualTo("OK");
  }

  @Test
  void pipelining_repliesInOrder() {
    Pipeline p = jedis.pipelined();
    List<Response<String>> gets = new ArrayList<>();
    for (int i = 0; i < 5000; i++) {
      p.set("p" + i, Integer.toString(i));
      gets.add(p.get("p" + i));
    }
    p.sync();
    for (int i = 0; i < 5000; i++) {
      assertThat(gets.get(i).get()).isEqualTo(Integer.toString(i));
    }
  }

  @Test
  void manyConnections_allServed() throws Exception {
    int n = 1200;
    List<Socket> sockets = new ArrayList<>(n);
    try {
      for (int i = 0; i < n; i++) {
        Socket s = new Socket();
        s.connect(new InetSocketAddress("127.0.0.1", server.address().getPort()), 5000);
        s.setSoTimeout(10_000);
        sockets.add(s);
      }
      for (int i = 0; i < n; i++) {
        OutputStream out = sockets.get(i).getOutputStream();
        out.write(
            ("*3\r\n$3\r\nSET\r\n$" + Integer.toString(i).length() + "\r\n" + i + "\r\n$1\r\nv\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        out.flush();
      }
      for (Socket s : sockets) {
        InputStream in = s.getInputStream();
        byte[] reply = in.readNBytes(5);
        assertThat(new String(reply, StandardCharsets.US_ASCII)).isEqualTo("+OK\r\n");
      }
      assertThat(jedis.info("clients")).contains("connected_clients:" + (n + 1));
      assertThat(jedis.dbSize()).isEqualTo(n);
    } finally {
      for (Socket s : sockets) {
        s.close();
      }
    }
  }

  @Test
  @SuppressWarnings("try") // closes a mid-test to free its slot; the try closes it on failure
  void maxclients_refusesTheOneTooMany() throws Exception {
    try (RespServer small =
            RespServer.start(
                ServerConfig.defaults().withPort(0).withMaxClients(2),
                EmbeddedBackend.create(HashRing.seed(), 0));
        Jedis a = new Jedis("127.0.0.1", small.address().getPort(), 15_000);
        Jedis b = new Jedis("127.0.0.1", small.address().getPort(), 15_000);
        // connects lazily, on its first command, so that the refusal shows there
        Jedis c = new Jedis("127.0.0.1", small.address().getPort())) {
      assertThat(a.ping()).isEqualTo("PONG");
      assertThat(b.ping()).isEqualTo("PONG");
      assertThatThrownBy(c::ping).hasMessageContaining("max number of clients reached");
      a.close();
      Thread.sleep(200);
      try (Jedis d = new Jedis("127.0.0.1", small.address().getPort(), 15_000)) {
        assertThat(d.ping()).isEqualTo("PONG");
      }
    }
  }

  @Test
  void requirepass_endToEnd() throws Exception {
    try (RespServer secured =
            RespServer.start(
                ServerConfig.defaults().withPort(0).withRequirePass("s3cret"),
                EmbeddedBackend.create(HashRing.seed(), 0));
        Jedis client = new Jedis("127.0.0.1", secured.address().getPort(), 15_000)) {
      assertThatThrownBy(() -> client.get("k")).hasMessage("NOAUTH Authentication required.");
      assertThatThrownBy(() -> client.auth("wrong")).hasMessageContaining("WRONGPASS");
      assertThat(client.auth("s3cret")).isEqualTo("OK");
      assertThat(client.set("k", "v")).isEqualTo("OK");
    }
  }

  @Test
  void pipeline_clientThatWritesEverythingBeforeReading_isNotDeadlocked() throws Exception {
    io.ringlb.server.testing.UnreadReplies.clientThatWritesEverythingBeforeReading_isNotDeadlocked(
        server.address().getPort());
  }

  @Test
  void malformedClient_doesNotDisturbOthers() throws Exception {
    jedis.set("k", "v");
    try (Socket bad = new Socket("127.0.0.1", server.address().getPort())) {
      bad.setSoTimeout(5000);
      bad.getOutputStream().write("*1\r\n*1\r\n".getBytes(StandardCharsets.US_ASCII));
      byte[] all = bad.getInputStream().readAllBytes(); // ends when the server closes
      assertThat(new String(all, StandardCharsets.US_ASCII))
          .isEqualTo("-ERR Protocol error: expected '$', got '*'\r\n");
    }
    assertThat(jedis.get("k")).isEqualTo("v");
  }

  @Test
  void close_finishesRepliesAndClosesClients() throws Exception {
    Socket s = new Socket("127.0.0.1", server.address().getPort());
    s.setSoTimeout(5000);
    StringBuilder many = new StringBuilder();
    for (int i = 0; i < 1000; i++) {
      many.append("*1\r\n$4\r\nPING\r\n");
    }
    s.getOutputStream().write(many.toString().getBytes(StandardCharsets.US_ASCII));
    byte[] first = s.getInputStream().readNBytes(7);
    assertThat(new String(first, StandardCharsets.US_ASCII)).isEqualTo("+PONG\r\n");
    server.close();
    byte[] rest = s.getInputStream().readAllBytes();
    assertThat(rest.length % 7).isZero();
    s.close();
    assertThatThrownBy(() -> new Socket("127.0.0.1", server.address().getPort()).close())
        .isInstanceOf(java.io.IOException.class);
  }
}
