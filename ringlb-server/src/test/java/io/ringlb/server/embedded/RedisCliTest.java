package io.ringlb.server.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.ringlb.core.HashRing;
import io.ringlb.server.RespServer;
import io.ringlb.server.ServerConfig;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Drives the real redis-cli (Debian's redis-tools) against the server; skipped without it. */
@Timeout(60)
class RedisCliTest {

  private RespServer server;

  @BeforeEach
  void start() throws Exception {
    assumeTrue(onPath("redis-cli"), "redis-cli is not installed (apt-get install redis-tools)");
    server = RespServer.start(ServerConfig.defaults().withPort(0).withRequirePass("pw"),
        EmbeddedBackend.create(HashRing.seed(), 0, 1, 2));
  }

  @AfterEach
  void stop() {
    if (server != null) {
      server.close();
    }
  }

  private static boolean onPath(String tool) {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      if (new File(dir, tool).canExecute()) {
        return true;
      }
    }
    return false;
  }

  private String cli(String stdin, String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of("redis-cli", "-p",
        Integer.toString(server.address().getPort()), "-a", "pw", "--no-auth-warning"));
    command.addAll(List.of(args));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
    return out;
  }

  @Test
  void redisCli_commandsAndScanAndPipe() throws Exception {
    assertThat(cli("", "PING")).isEqualTo("PONG\n");
    assertThat(cli("", "SET", "greeting", "hello world")).isEqualTo("OK\n");
    assertThat(cli("", "GET", "greeting")).isEqualTo("hello world\n");
    assertThat(cli("", "GET", "missing")).isEqualTo("\n");
    assertThat(cli("", "INCRBY", "n", "5")).isEqualTo("5\n");
    assertThat(cli("", "FOO")).startsWith("ERR unknown command 'FOO'");
    assertThat(cli("SET a 1\nSET b 2\nMGET a b\n")).isEqualTo("OK\nOK\n1\n2\n");
    StringBuilder mass = new StringBuilder();
    for (int i = 0; i < 500; i++) {
      mass.append("*3\r\n$3\r\nSET\r\n$").append(("m" + i).length()).append("\r\nm").append(i)
          .append("\r\n$1\r\nx\r\n");
    }
    assertThat(cli(mass.toString(), "--pipe")).contains("errors: 0, replies: 500");
    assertThat(cli("", "--scan", "--pattern", "m*").lines().count()).isEqualTo(500);
    assertThat(cli("", "DBSIZE")).isEqualTo("504\n");
    assertThat(cli("", "RING", "ADD", "5")).matches("\\d+\n");
    assertThat(cli("", "RING", "NODES").lines().filter(l -> l.startsWith("id=")).count())
        .isEqualTo(4);
    assertThat(cli("", "INFO", "ring")).contains("ring_servers:4");
  }
}
