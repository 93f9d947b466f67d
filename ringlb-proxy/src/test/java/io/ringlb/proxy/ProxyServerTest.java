package io.ringlb.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ringlb.core.HashRing;
import io.ringlb.core.Placement;
import io.ringlb.server.testing.RedisServer;
import io.ringlb.server.testing.RedisServersExtension;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.exceptions.JedisDataException;

class ProxyServerTest {

  @RegisterExtension
  static final RedisServersExtension redis = RedisServersExtension.servers(3).flushBeforeEachTest();

  private static final Supplier<ProxyServer> proxy =
      redis.front(
          servers -> {
            ProxyConfig.Builder config = ProxyConfig.builder().port(0).threads(2);
            for (int i = 0; i < servers.size(); i++) {
              config.backend(i + "=" + servers.get(i).address());
            }
            return ProxyServer.start(config.build());
          });

  private static Jedis client() {
    return new Jedis("127.0.0.1", proxy.get().port(), 5000);
  }

  private static Placement ring() {
    HashRing ring = HashRing.seed();
    for (int i = 0; i < 3; i++) {
      ring.addServer(i, Placement.MoveListener.NONE);
    }
    return ring;
  }

  @Test
  void set_storesOnTheOwner() {
    Placement ring = ring();
    try (Jedis jedis = client()) {
      for (int i = 0; i < 200; i++) {
        assertThat(jedis.set(MigrationTest.key(i), "v" + i)).isEqualTo("OK");
      }
      for (int i = 0; i < 200; i++) {
        String key = MigrationTest.key(i);
        int owner = ring.serverFor(ring.hashKey(key.getBytes(StandardCharsets.UTF_8)));
        try (Jedis direct = redis.server(owner).client()) {
          assertThat(direct.get(key)).isEqualTo("v" + i);
        }
        assertThat(jedis.get(key)).isEqualTo("v" + i);
      }
      assertThat(jedis.dbSize()).isEqualTo(200);
      long sum = redis.servers().stream().mapToLong(RedisServer::dbsize).sum();
      assertThat(sum).isEqualTo(200);
      assertThat(redis.servers()).allSatisfy(b -> assertThat(b.dbsize()).isPositive());
    }
  }

  @Test
  void multiKey_splitAndReassembledInOrder() {
    try (Jedis jedis = client()) {
      String[] kv = new String[200];
      for (int i = 0; i < 100; i++) {
        kv[2 * i] = "m" + i;
        kv[2 * i + 1] = "value" + i;
      }
      assertThat(jedis.mset(kv)).isEqualTo("OK");
      String[] keys = new String[101];
      for (int i = 0; i < 100; i++) {
        keys[i] = "m" + i;
      }
      keys[100] = "absent";
      List<String> values = jedis.mget(keys);
      for (int i = 0; i < 100; i++) {
        assertThat(values.get(i)).isEqualTo("value" + i);
      }
      assertThat(values.get(100)).isNull();
      assertThat(jedis.exists(keys)).isEqualTo(100);
      assertThat(jedis.del("m1", "m2", "m3", "nothing")).isEqualTo(3);
      assertThat(jedis.exists("m1", "m4")).isEqualTo(1);
    }
  }

  @Test
  void pipeline_repliesInRequestOrder() {
    try (Jedis jedis = client()) {
      Pipeline p = jedis.pipelined();
      for (int i = 0; i < 1000; i++) {
        p.set("p" + i, Integer.toString(i));
      }
      List<redis.clients.jedis.Response<String>> gets = new ArrayList<>();
      for (int i = 0; i < 1000; i++) {
        gets.add(p.get("p" + i));
      }
      p.sync();
      for (int i = 0; i < 1000; i++) {
        assertThat(gets.get(i).get()).isEqualTo(Integer.toString(i));
      }
    }
  }

  @Test
  void commands_otherTypesAndErrorsPassThrough() {
    try (Jedis jedis = client()) {
      assertThat(jedis.ping()).isEqualTo("PONG");
      assertThat(jedis.incr("counter")).isEqualTo(1);
      assertThat(jedis.incrBy("counter", 5)).isEqualTo(6);
      jedis.hset("h", "f", "v");
      assertThat(jedis.hget("h", "f")).isEqualTo("v");
      assertThat(jedis.lpush("l", "a", "b")).isEqualTo(2);
      assertThatThrownBy(() -> jedis.get("h"))
          .isInstanceOf(JedisDataException.class)
          .hasMessageStartingWith("WRONGTYPE");
      assertThatThrownBy(() -> jedis.sendCommand(() -> "NOSUCH".getBytes(), "a"))
          .hasMessageStartingWith("ERR unknown command 'NOSUCH'");
      assertThatThrownBy(() -> jedis.sendCommand(() -> "GET".getBytes()))
          .hasMessage("ERR wrong number of arguments for 'get' command");
      jedis.setex("ttl", 100, "x");
      assertThat(jedis.ttl("ttl")).isBetween(90L, 100L);
    }
  }

  @Test
  void scan_visitsEveryBackend() {
    try (Jedis jedis = client()) {
      for (int i = 0; i < 300; i++) {
        jedis.set("s" + i, "x");
      }
      java.util.Set<String> seen = new java.util.HashSet<>();
      String cursor = "0";
      int rounds = 0;
      do {
        var page = jedis.scan(cursor);
        seen.addAll(page.getResult());
        cursor = page.getCursor();
      } while (!cursor.equals("0") && ++rounds < 10_000);
      assertThat(seen).hasSize(300);
    }
  }

  @Test
  void ringNodes_showsAddressStateAndKeys() {
    try (Jedis jedis = client()) {
      jedis.set("a", "1");
      String nodes = new String((byte[]) jedis.sendCommand(() -> "RING".getBytes(), "NODES"));
      assertThat(nodes.lines()).hasSize(3);
      assertThat(nodes)
          .contains("address=" + redis.server(0).address())
          .contains("state=serving")
          .contains("keys=1");
    }
  }

  private static String exchange(String request) throws Exception {
    return ProxyFixtures.exchange(proxy.get().port(), request);
  }

  @Test
  void malformedInput_protocolErrorAndClose_othersUnaffected() throws Exception {
    try (Jedis other = client()) {
      other.set("still", "here");
      assertThat(exchange("*2\r\n$3\r\nGET\r\n:12\r\n")).startsWith("-ERR Protocol error: ");
      assertThat(exchange("*1\r\n$600000000\r\n")).startsWith("-ERR Protocol error: ");
      assertThat(exchange("PING\r\nQUIT\r\nPING\r\n")).isEqualTo("+PONG\r\n+OK\r\n");
      assertThat(exchange("CLIENT REPLY OFF\r\nGET still\r\nCLIENT REPLY ON\r\nPING\r\nQUIT\r\n"))
          .isEqualTo("+OK\r\n+PONG\r\n+OK\r\n");
      assertThat(other.get("still")).isEqualTo("here");
    }
  }

  @Test
  void pipeline_clientThatWritesEverythingBeforeReading_doesNotDeadlock() throws Exception {
    // 64000 GETs of a 250-byte key holding 512 bytes: 17 MB of requests and 33 MB of replies,
    // more than the socket buffers hold either way, written before any reply is read.
    String key = "k".repeat(250);
    try (Jedis jedis = client()) {
      jedis.set(key, "x".repeat(512));
    }
    StringBuilder request = new StringBuilder();
    for (int i = 0; i < 64_000; i++) {
      request.append("*2\r\n$3\r\nGET\r\n$250\r\n").append(key).append("\r\n");
    }
    request.append("*1\r\n$4\r\nQUIT\r\n");
    try (java.net.Socket socket = new java.net.Socket("127.0.0.1", proxy.get().port())) {
      socket.setSoTimeout(60_000);
      long[] read = {0};
      Thread reader =
          new Thread(
              () -> {
                try {
                  // Starts reading only once every request is written, like a naive pipelining
                  // client.
                  synchronized (read) {
                    while (read[0] == 0) {
                      read.wait();
                    }
                  }
                  byte[] buf = new byte[1 << 16];
                  long n = 0;
                  for (int r; (r = socket.getInputStream().read(buf)) > 0; ) {
                    n += r;
                  }
                  synchronized (read) {
                    read[0] = n;
                  }
                } catch (Exception e) {
                  synchronized (read) {
                    read[0] = -1;
                  }
                }
              });
      reader.start();
      java.util.concurrent.ExecutorService writer =
          java.util.concurrent.Executors.newSingleThreadExecutor();
      var written =
          writer.submit(
              () -> {
                socket.getOutputStream().write(request.toString().getBytes(StandardCharsets.UTF_8));
                return true;
              });
      boolean done;
      try {
        // A deadlock never ends; 60 s leaves room for paranoid leak tracking on a loaded machine.
        done = written.get(60, java.util.concurrent.TimeUnit.SECONDS);
      } catch (java.util.concurrent.TimeoutException e) {
        done = false;
      } finally {
        writer.shutdownNow();
      }
      synchronized (read) {
        read[0] = done ? -2 : -3;
        read.notifyAll();
      }
      assertThat(done).as("all requests written while no reply was read").isTrue();
      reader.join(60_000);
      synchronized (read) {
        assertThat(read[0]).isEqualTo(64_000L * ("$512\r\n".length() + 512 + 2) + 5);
      }
    }
  }

  private static long field(String info, String name) {
    java.util.regex.Matcher m =
        java.util.regex.Pattern.compile("(?m)^" + name + ":(\\d+)\r?$").matcher(info);
    assertThat(m.find()).as(name + " in " + info).isTrue();
    return Long.parseLong(m.group(1));
  }

  private static long backendSum(String ring, String counter) {
    java.util.regex.Matcher m =
        java.util.regex.Pattern.compile("," + counter + "=(\\d+)").matcher(ring);
    long sum = 0;
    int n = 0;
    while (m.find()) {
      sum += Long.parseLong(m.group(1));
      n++;
    }
    assertThat(n).as(counter + " of every backend in " + ring).isEqualTo(3);
    return sum;
  }

  @Test
  void info_countsCommandsAndWhatTheBackendsAnswered() throws Exception {
    try (Jedis jedis = client()) {
      long commands = field(jedis.info("stats"), "total_commands_processed");
      String ring = jedis.info("ring");
      long requests = backendSum(ring, "requests");
      long errors = backendSum(ring, "error_replies");
      for (int i = 0; i < 100; i++) {
        jedis.set(MigrationTest.key(i), "v");
      }
      assertThatThrownBy(() -> jedis.lpush(MigrationTest.key(0), "x"))
          .isInstanceOf(JedisDataException.class)
          .hasMessageContaining("WRONGTYPE");
      // 100 SETs, the LPUSH and two INFOs (this one counted before it answers)
      assertThat(field(jedis.info("stats"), "total_commands_processed")).isEqualTo(commands + 103);
      ring = jedis.info("ring");
      // the SETs, the LPUSH, and the DBSIZE this INFO ring asks each backend for its keys
      // (INFO stats asks none)
      assertThat(backendSum(ring, "requests") - requests).isEqualTo(104);
      assertThat(backendSum(ring, "error_replies") - errors).isEqualTo(1);
      assertThat(ring).contains("ring_hash_tag:{}");
      // instantaneous_ops_per_sec is sampled every 100 ms: busy for a while, then it shows
      long ops = 0;
      long deadline = System.nanoTime() + 5_000_000_000L;
      while (ops == 0 && System.nanoTime() < deadline) {
        for (int i = 0; i < 200; i++) {
          jedis.get(MigrationTest.key(i));
        }
        ops = field(jedis.info("stats"), "instantaneous_ops_per_sec");
      }
      assertThat(ops).isPositive();
      assertThat(field(jedis.info("stats"), "rejected_connections")).isZero();
    }
  }

  @Test
  void info_showsTheBackendsVersionAndAllocator() throws Exception {
    String version;
    String allocator;
    try (Jedis direct = redis.server(0).client()) {
      version = infoField(direct.info("server"), "redis_version");
      allocator = infoField(direct.info("memory"), "mem_allocator");
    }
    try (Jedis jedis = client()) {
      // Asked of a backend in the background: INFO shows it once that backend answered.
      String shown = null;
      for (int i = 0; i < 100 && !version.equals(shown); i++) {
        shown = infoField(jedis.info("server"), "redis_version");
        if (!version.equals(shown)) {
          Thread.sleep(100);
        }
      }
      assertThat(shown).isEqualTo(version);
      assertThat(infoField(jedis.info("memory"), "mem_allocator")).isEqualTo(allocator);
      String cpu = jedis.info("cpu");
      assertThat(cpu).startsWith("# CPU\r\n").contains("used_cpu_user:", "used_cpu_sys:");
    }
  }

  private static String infoField(String info, String name) {
    java.util.regex.Matcher m =
        java.util.regex.Pattern.compile("(?m)^" + name + ":(.*?)\r?$").matcher(info);
    assertThat(m.find()).as(name + " in " + info).isTrue();
    String value = m.group(1);
    assertThat(m.find()).as(name + " once in " + info).isFalse();
    return value;
  }

  @Test
  void command_describesTheCommandsTheProxyServes() throws Exception {
    try (Jedis jedis = client()) {
      long count =
          (Long) jedis.sendCommand(() -> "COMMAND".getBytes(StandardCharsets.US_ASCII), "COUNT");
      assertThat(count).isGreaterThan(150);
      List<?> info =
          (List<?>)
              jedis.sendCommand(
                  () -> "COMMAND".getBytes(StandardCharsets.US_ASCII),
                  "INFO",
                  "get",
                  "blpop",
                  "rename");
      assertThat(info).hasSize(3);
      List<?> get = (List<?>) info.get(0);
      assertThat(new String((byte[]) get.get(0), StandardCharsets.UTF_8)).isEqualTo("get");
      assertThat(get.get(1)).isEqualTo(2L); // arity, from redis-server
      assertThat(info.get(1)).as("BLPOP is served by the proxy").isNotNull();
      assertThat(info.get(2)).isNotNull();
      List<?> all =
          (List<?>) jedis.sendCommand(() -> "COMMAND".getBytes(StandardCharsets.US_ASCII));
      List<String> names = new ArrayList<>();
      for (Object entry : all) {
        names.add(new String((byte[]) ((List<?>) entry).get(0), StandardCharsets.UTF_8));
      }
      assertThat(names)
          .contains("get", "mset", "eval", "multi", "subscribe", "keys", "blpop")
          .doesNotContain("wait", "ssubscribe");
      List<String> listed = new ArrayList<>();
      for (Object name :
          (List<?>)
              jedis.sendCommand(() -> "COMMAND".getBytes(StandardCharsets.US_ASCII), "LIST")) {
        listed.add(new String((byte[]) name, StandardCharsets.UTF_8));
      }
      assertThat(listed)
          .as("COMMAND LIST: what a client may run through the proxy")
          .contains("get", "ring", "client", "multi", "keys", "blpop")
          .doesNotContain("wait", "ssubscribe");
      assertThat(count).as("COMMAND COUNT counts what COMMAND LIST lists").isEqualTo(listed.size());
      List<?> keys =
          (List<?>)
              jedis.sendCommand(
                  () -> "COMMAND".getBytes(StandardCharsets.US_ASCII),
                  "GETKEYS",
                  "MSET",
                  "a",
                  "1",
                  "b",
                  "2");
      assertThat(keys).hasSize(2);
      List<?> docs =
          (List<?>)
              jedis.sendCommand(
                  () -> "COMMAND".getBytes(StandardCharsets.US_ASCII), "DOCS", "get", "wait");
      assertThat(docs).hasSize(2); // get and its docs; wait left out
    }
  }

  @Test
  void client_listInfoAndKill() throws Exception {
    try (Jedis a = client();
        Jedis b = client()) {
      a.clientSetname("worker-a");
      long idA = a.clientId();
      long idB = b.clientId();
      b.get("x");
      String list = a.clientList();
      assertThat(list)
          .contains("id=" + idA + " ", "name=worker-a", "id=" + idB + " ", "cmd=get", "db=0");
      assertThat(list.lines().filter(l -> l.startsWith("id=" + idB + " ")).findFirst().get())
          .contains("flags=N", "multi=-1", "user=default")
          .containsPattern("addr=127\\.0\\.0\\.1:\\d+");
      assertThat(a.clientInfo()).startsWith("id=" + idA + " ").contains("cmd=client");
      assertThat(
              a.clientKill(
                  new redis.clients.jedis.params.ClientKillParams().id(Long.toString(idB))))
          .isEqualTo(1);
      assertThatThrownBy(() -> b.get("x"))
          .isInstanceOf(redis.clients.jedis.exceptions.JedisConnectionException.class);
      assertThat(a.clientKill(new redis.clients.jedis.params.ClientKillParams().id("999999")))
          .isZero();
      assertThatThrownBy(() -> a.clientKill("10.1.2.3:4"))
          .isInstanceOf(JedisDataException.class)
          .hasMessage("ERR No such client");
      long deadline = System.nanoTime() + 5_000_000_000L;
      while (a.clientList().contains("id=" + idB + " ") && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      assertThat(a.clientList()).doesNotContain("id=" + idB + " ");
    }
  }
}
