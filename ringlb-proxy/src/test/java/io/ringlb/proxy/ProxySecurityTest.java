package io.ringlb.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ringlb.server.User;
import io.ringlb.server.UserRole;
import io.ringlb.server.testing.RedisServer;
import io.ringlb.server.testing.RedisServersExtension;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.exceptions.JedisDataException;

/**
 * Operating the proxy safely: backends only where allowed, users and roles with Redis's NOPERM, no
 * password in CONFIG GET, and wrong passwords slowed down.
 */
class ProxySecurityTest {

  /** Backends 0 and 1, a third redis-server to join, a fourth as Redis's own ACL oracle. */
  @RegisterExtension
  static final RedisServersExtension redis = RedisServersExtension.servers(4).flushBeforeEachTest();

  private static ProxyConfig.Builder config() {
    return ProxyFixtures.config(redis.servers(), 2)
        .user(User.withPassword("app", "app-secret", UserRole.DATA))
        .user(User.withPassword("ops", "ops-secret", UserRole.ADMIN));
  }

  private static Object command(Jedis jedis, String... args) {
    Object reply =
        jedis.sendCommand(
            () -> args[0].getBytes(StandardCharsets.US_ASCII),
            java.util.Arrays.copyOfRange(args, 1, args.length));
    return reply instanceof byte[] b ? new String(b, StandardCharsets.UTF_8) : reply;
  }

  private static String error(Jedis jedis, String... args) {
    try {
      Object reply = command(jedis, args);
      return "no error: " + reply;
    } catch (JedisDataException e) {
      return e.getMessage();
    }
  }

  @Test
  @Timeout(30)
  void ringAdd_toAnAddressNotAllowed_isRefusedBeforeAnyConnection() throws Exception {
    ProxyConfig.Builder b = config().backendPassword(null);
    b.allowBackend(redis.server(0).address()).allowBackend(redis.server(1).address());
    b.allowBackend(redis.server(2).address());
    try (ServerSocket fake = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        ProxyServer proxy = ProxyServer.start(b.build());
        Jedis ops = new Jedis("127.0.0.1", proxy.port(), 5000)) {
      AtomicInteger accepted = new AtomicInteger();
      fake.setSoTimeout(50);
      ops.auth("ops", "ops-secret");
      String fakeAddress = "127.0.0.1:" + fake.getLocalPort();
      assertThat(error(ops, "RING", "ADD", "5", fakeAddress))
          .contains("backend " + fakeAddress + " (address 127.0.0.1) is not allowed by")
          .contains("allow-backends [")
          .contains("--allow-backend");
      try {
        fake.accept().close();
        accepted.incrementAndGet();
      } catch (SocketTimeoutException expected) {
        // nothing connected
      }
      assertThat(accepted).hasValue(0);
      // An allowed one joins.
      assertThat(command(ops, "RING", "ADD", "2", redis.server(2).address())).isEqualTo("OK");
    }
  }

  @Test
  @Timeout(30)
  void ringAdd_byDefault_onlyTheStartingBackendsHosts() throws Exception {
    try (ProxyServer proxy = ProxyServer.start(config().build());
        Jedis ops = new Jedis("127.0.0.1", proxy.port(), 5000)) {
      ops.auth("ops", "ops-secret");
      assertThat(error(ops, "RING", "ADD", "5", "192.0.2.1:6379"))
          .contains("backend 192.0.2.1:6379 (address 192.0.2.1) is not allowed by the default")
          .contains("[127.0.0.1]");
    }
  }

  @Test
  @Timeout(30)
  void dataUser_isRefusedAdministration_withRedisNoperm() throws Exception {
    RedisServer oracle = redis.server(3);
    try (Jedis root = oracle.client()) {
      root.sendCommand(
          Protocol.Command.ACL,
          "SETUSER",
          "app",
          "on",
          ">app-secret",
          "~*",
          "&*",
          "+@all",
          "-@admin",
          "-flushall");
    }
    try (ProxyServer proxy = ProxyServer.start(config().build());
        Jedis app = new Jedis("127.0.0.1", proxy.port(), 5000);
        Jedis real = oracle.client()) {
      assertThat(app.auth("app", "app-secret")).isEqualTo("OK");
      real.auth("app", "app-secret");
      assertThat(app.set("k", "v")).isEqualTo("OK");
      assertThat(app.get("k")).isEqualTo("v");
      assertThat(command(app, "ACL", "WHOAMI")).isEqualTo("app");
      assertThat(command(app, "CLIENT", "ID")).isInstanceOf(Long.class);
      for (String[] cmd :
          List.of(
              new String[] {"FLUSHALL"},
              new String[] {"CLIENT", "KILL", "ID", "999"},
              new String[] {"CONFIG", "GET", "port"},
              new String[] {"ACL", "LIST"})) {
        assertThat(error(app, cmd)).as(String.join(" ", cmd)).isEqualTo(error(real, cmd));
      }
      assertThat(error(app, "RING", "ADD", "2", redis.server(2).address()))
          .isEqualTo("NOPERM this user has no permissions to run the 'ring|add' command");
      assertThat(error(app, "RING", "ABORT"))
          .isEqualTo("NOPERM this user has no permissions to run the 'ring|abort' command");
      assertThat(error(app, "SCRIPT", "FLUSH"))
          .isEqualTo("NOPERM this user has no permissions to run the 'script|flush' command");
      assertThat(error(app, "FUNCTION", "FLUSH"))
          .isEqualTo("NOPERM this user has no permissions to run the 'function|flush' command");
      assertThat(error(app, "SHUTDOWN"))
          .isEqualTo("NOPERM this user has no permissions to run the 'shutdown' command");
      assertThat(app.get("k")).as("nothing was flushed").isEqualTo("v");
      assertThat(command(app, "SCRIPT", "LOAD", "return 1")).asString().hasSize(40);
    }
  }

  @Test
  @Timeout(30)
  void adminUser_andTheDefaultUser_mayAdministrate_butNeverSeeAPassword() throws Exception {
    try (ProxyServer proxy = ProxyServer.start(config().requirePass("root-secret").build());
        Jedis ops = new Jedis("127.0.0.1", proxy.port(), 5000);
        Jedis root = new Jedis("127.0.0.1", proxy.port(), 5000)) {
      assertThatThrownBy(() -> ops.auth("ops", "wrong")).hasMessageContaining("WRONGPASS");
      ops.auth("ops", "ops-secret");
      root.auth("root-secret");
      assertThat(command(root, "ACL", "WHOAMI")).isEqualTo("default");
      assertThat(root.configGet("requirepass")).containsEntry("requirepass", "");
      @SuppressWarnings("unchecked")
      List<byte[]> acl = (List<byte[]>) ops.sendCommand(Protocol.Command.ACL, "LIST");
      String lines =
          String.join("\n", acl.stream().map(b -> new String(b, StandardCharsets.UTF_8)).toList());
      assertThat(lines)
          .contains("user app on #" + sha256Hex("app-secret") + " ~* &* +@all -acl|list ")
          .contains(" -client|kill ", " -flushall ", " -ring|add ", " -script|flush ")
          .contains("\nuser default on #" + sha256Hex("root-secret") + " ~* &* +@all\n")
          .endsWith("\nuser ops on #" + sha256Hex("ops-secret") + " ~* &* +@all")
          .doesNotContain("app-secret")
          .doesNotContain("root-secret");
      ops.set("k", "v");
      assertThat(ops.flushAll()).isEqualTo("OK");
      assertThat(root.get("k")).isNull();
    }
  }

  @Test
  @Timeout(30)
  void helloAuth_asANamedUser() throws Exception {
    try (ProxyServer proxy = ProxyServer.start(config().build())) {
      String reply =
          ProxyFixtures.exchange(
              proxy.port(), "GET k\r\nHELLO 2 AUTH app app-secret\r\nACL WHOAMI\r\nQUIT\r\n");
      assertThat(reply)
          .startsWith("-NOAUTH Authentication required.\r\n*14\r\n")
          .endsWith("$3\r\napp\r\n+OK\r\n");
    }
  }

  @Test
  @Timeout(30)
  void wrongPasswords_slowedDown_withoutBlockingOthers_andCounted() throws Exception {
    try (ProxyServer proxy = ProxyServer.start(config().threads(1).build());
        Socket attacker = new Socket(InetAddress.getLoopbackAddress(), proxy.port());
        Jedis warm = new Jedis("127.0.0.1", proxy.port(), 5000)) {
      warm.auth("app", "app-secret");
      assertThat(warm.ping()).isEqualTo("PONG");
      attacker.setSoTimeout(10_000);
      int attempts = 8;
      String guess = "*3\r\n$4\r\nAUTH\r\n$3\r\nops\r\n$5\r\nguess\r\n";
      long start = System.nanoTime();
      OutputStream out = attacker.getOutputStream();
      out.write(guess.repeat(attempts).getBytes(StandardCharsets.US_ASCII));
      out.flush();
      // While the delayed replies are pending, another client logs in and is served at once.
      long otherStart = System.nanoTime();
      try (Jedis app = new Jedis("127.0.0.1", proxy.port(), 5000)) {
        app.auth("app", "app-secret");
        assertThat(app.ping()).isEqualTo("PONG");
      }
      long otherMillis = (System.nanoTime() - otherStart) / 1_000_000;
      String expected =
          "-WRONGPASS invalid username-password pair or user is disabled.\r\n".repeat(attempts);
      byte[] got = readExactly(attacker.getInputStream(), expected.length());
      long millis = (System.nanoTime() - start) / 1_000_000;
      assertThat(new String(got, StandardCharsets.US_ASCII)).isEqualTo(expected);
      // Failures 4..8 wait 10, 20, 40, 80 and 160 ms, one after the other.
      assertThat(millis).as("ms for %d wrong passwords", attempts).isGreaterThanOrEqualTo(300);
      assertThat(otherMillis).as("ms for a correct login meanwhile").isLessThan(millis);
      try (Jedis ops = new Jedis("127.0.0.1", proxy.port(), 5000)) {
        ops.auth("ops", "ops-secret");
        String stats = ops.info("stats");
        assertThat(stats)
            .contains("acl_access_denied_auth:" + attempts + "\r\n")
            .contains("auth_failures_delayed:" + (attempts - 3) + "\r\n")
            .contains("auth_failure_addresses:1\r\n");
      }
    }
  }

  private static byte[] readExactly(InputStream in, int n) throws java.io.IOException {
    byte[] buf = new byte[n];
    int off = 0;
    while (off < n) {
      int r = in.read(buf, off, n - off);
      if (r < 0) {
        break;
      }
      off += r;
    }
    return java.util.Arrays.copyOf(buf, off);
  }

  private static String sha256Hex(String password) throws Exception {
    return java.util.HexFormat.of()
        .formatHex(
            java.security.MessageDigest.getInstance("SHA-256")
                .digest(password.getBytes(StandardCharsets.UTF_8)));
  }
}
