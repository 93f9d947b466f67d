package io.ringlb.cli;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.ringlb.server.testing.NonReadingClient;
import io.ringlb.server.testing.RedisServersExtension;
import io.ringlb.server.testing.UnreadReplies;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.Jedis;

/**
 * bin/ringlb serve as a proxy over two redis-servers with a 64 MiB heap, and so 64 MiB of direct
 * memory: eight clients that pipeline GETs of a 1 MB value and never read do not take it down.
 */
class ClientMemoryIT {

  @RegisterExtension static final RedisServersExtension redis = RedisServersExtension.servers(2);

  @Test
  @Timeout(180)
  void eightClientsThatNeverRead_64MiBHeap_proxyStaysUpAndServes(@TempDir Path dir)
      throws Exception {
    String launcher =
        Objects.requireNonNull(
            System.getProperty("ringlb.launcher"), "ringlb.launcher (set by the failsafe plugin)");
    // A request timeout no loaded machine reaches: every GET gets its value, none an error.
    Path config = dir.resolve("proxy.yaml");
    Files.writeString(
        config,
        "timeouts: {request: 120s}\nbackends:\n  0: "
            + redis.server(0).address()
            + "\n  1: "
            + redis.server(1).address()
            + "\n");
    ProcessBuilder builder =
        new ProcessBuilder("bash", launcher, "serve", "--config", config.toString(), "--port", "0");
    builder.environment().put("JAVA_HOME", System.getProperty("java.home"));
    builder.environment().put("RINGLB_JAVA_OPTS", "-Xmx64m");
    builder.environment().put("RINGLB_CDS", "0");
    Process process = builder.start();
    CompletableFuture<String> err = readAll(process);
    try {
      int port = port(process);
      try (Jedis jedis = new Jedis("127.0.0.1", port, 30_000)) {
        // the default: a quarter of the 64 MiB the JVM has for buffers
        assertThat(UnreadReplies.field(jedis.info("memory"), "maxmemory_clients"))
            .isBetween(12L << 20, 16L << 20);
      }
      UnreadReplies.manyNonReadingClients(port, 8);
      assertThat(process.isAlive()).isTrue();
    } finally {
      process.destroy(); // SIGTERM: a graceful stop
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    }
    String stderr = err.get(10, TimeUnit.SECONDS);
    assertThat(stderr).contains("disconnecting client id=").doesNotContain("OutOfMemoryError");
    assertThat(process.exitValue()).as(stderr).isZero();
  }

  /**
   * The embedded server with a 64 MiB heap and no {@code maxmemory-clients}: twelve clients GET an
   * 8 MB value and read nothing until all have asked, more than the 64 MiB of direct memory holds.
   * Those whose reply could not be buffered are closed, one log line each, never left waiting; the
   * others get their replies; the server serves throughout and stops with status 0.
   */
  @Test
  @Timeout(180)
  void directMemoryExhausted_theClientsWithoutABufferAreClosed_theServerGoesOn() throws Exception {
    String launcher =
        Objects.requireNonNull(
            System.getProperty("ringlb.launcher"), "ringlb.launcher (set by the failsafe plugin)");
    ProcessBuilder builder =
        new ProcessBuilder("bash", launcher, "serve", "--port", "0", "--maxmemory-clients", "0");
    builder.environment().put("JAVA_HOME", System.getProperty("java.home"));
    builder.environment().put("RINGLB_JAVA_OPTS", "-Xmx64m");
    builder.environment().put("RINGLB_CDS", "0");
    Process process = builder.start();
    CompletableFuture<String> err = readAll(process);
    int value = 8 << 20;
    long whole = value + ("$" + value + "\r\n\r\n").length() + "+OK\r\n".length();
    int served = 0;
    int closed = 0;
    try {
      int port = port(process);
      try (Jedis jedis = new Jedis("127.0.0.1", port, 60_000)) {
        byte[] big = new byte[value];
        java.util.Arrays.fill(big, (byte) 'v');
        jedis.set("big".getBytes(UTF_8), big);
        java.util.List<NonReadingClient> clients = new java.util.ArrayList<>();
        try {
          for (int i = 0; i < 12; i++) {
            NonReadingClient c = NonReadingClient.connect(port);
            clients.add(c);
            c.sendGetsThenQuit("big", 1);
          }
          assertThat(jedis.ping()).isEqualTo("PONG");
          for (NonReadingClient c : clients) {
            long n = c.readToEnd(java.time.Duration.ofSeconds(60)).length;
            if (n == whole) {
              served++;
            } else {
              assertThat(n).as("a closed client's bytes").isLessThan(value);
              closed++;
            }
          }
        } finally {
          for (NonReadingClient c : clients) {
            c.close();
          }
        }
        assertThat(jedis.strlen("big")).isEqualTo(value);
      }
      assertThat(process.isAlive()).isTrue();
    } finally {
      process.destroy();
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    }
    String stderr = err.get(10, TimeUnit.SECONDS);
    assertThat(closed).as(stderr).isPositive();
    assertThat(served).as(stderr).isPositive();
    assertThat(stderr.lines().filter(l -> l.contains(": no memory for its buffers: ")).count())
        .as(stderr)
        .isEqualTo(closed);
    assertThat(process.exitValue()).as(stderr).isZero();
  }

  /** Returns the port of the ready line {@code ringlb serve} prints. */
  private static int port(Process process) throws java.io.IOException {
    BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), UTF_8));
    String ready = out.readLine();
    Matcher m =
        Pattern.compile("ringlb serve: ready on 127\\.0\\.0\\.1:(\\d+) .*")
            .matcher(String.valueOf(ready));
    assertThat(m.matches()).as("ready line: " + ready).isTrue();
    return Integer.parseInt(m.group(1));
  }

  private static CompletableFuture<String> readAll(Process process) {
    return CompletableFuture.supplyAsync(
        () -> {
          try {
            return new String(process.getErrorStream().readAllBytes(), UTF_8);
          } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
          }
        });
  }
}
