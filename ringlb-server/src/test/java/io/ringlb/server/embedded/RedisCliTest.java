package io.ringlb.server.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import io.ringlb.core.HashRing;
import io.ringlb.server.RespServer;
import io.ringlb.server.ServerConfig;
import io.ringlb.server.testing.RedisCliExtension;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Drives the real redis-cli (Debian's redis-tools) against the server; without it on PATH the class
 * fails under CI=true and is skipped elsewhere.
 */
@Timeout(60)
class RedisCliTest {

  @RegisterExtension static final RedisCliExtension redisCli = new RedisCliExtension();

  private RespServer server;

  @BeforeEach
  void start() throws Exception {
    server =
        RespServer.start(
            ServerConfig.defaults().withPort(0).withRequirePass("pw"),
            EmbeddedBackend.create(HashRing.seed(), 0, 1, 2));
  }

  @AfterEach
  void stop() {
    if (server != null) {
      server.close();
    }
  }

  private String cli(String stdin, String... args) throws Exception {
    List<String> command =
        new ArrayList<>(
            List.of(
                redisCli.path().toString(),
                "-p",
                Integer.toString(server.address().getPort()),
                "-a",
                "pw",
                "--no-auth-warning"));
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
      mass.append("*3\r\n$3\r\nSET\r\n$")
          .append(("m" + i).length())
          .append("\r\nm")
          .append(i)
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
