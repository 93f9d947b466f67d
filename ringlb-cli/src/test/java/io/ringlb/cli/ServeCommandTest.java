package io.ringlb.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import picocli.CommandLine;

/** {@code ringlb serve}: options, the ready line, serving, graceful stop with status 0. */
@Timeout(60)
class ServeCommandTest {

  private static final class Run {
    final ServeCommand command = new ServeCommand();
    final StringWriter out = new StringWriter();
    final StringWriter err = new StringWriter();
    final CommandLine cli = new CommandLine(command);

    Run() {
      cli.setOut(new PrintWriter(out, true));
      cli.setErr(new PrintWriter(err, true));
    }
  }

  @Test
  void serve_printsReadyLine_servesAndStopsWithZero() throws Exception {
    Run run = new Run();
    CompletableFuture<Integer> status =
        CompletableFuture.supplyAsync(
            () ->
                run.cli.execute(
                    "--port",
                    "0",
                    "--servers",
                    "4,5",
                    "--placement",
                    "seed",
                    "--requirepass",
                    "pw"));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (run.command.server() == null || run.out.toString().isEmpty()) {
      assertThat(System.nanoTime()).as("ready in time").isLessThan(deadline);
      assertThat(status).isNotDone();
      Thread.sleep(20);
    }
    int port = run.command.server().address().getPort();
    assertThat(run.out.toString())
        .isEqualTo(
            "ringlb serve: ready on 127.0.0.1:"
                + port
                + " (placement seed, servers 4,5, "
                + run.command.server().transport()
                + ")"
                + System.lineSeparator());
    try (Socket s = new Socket("127.0.0.1", port)) {
      s.setSoTimeout(5000);
      s.getOutputStream()
          .write(
              ("GET k\r\nAUTH pw\r\nSET k v\r\nGET k\r\nRING NODES\r\n"
                      + "RING LOCATE {t}.a\r\nRING LOCATE t\r\nINFO ring\r\nQUIT\r\n")
                  .getBytes(StandardCharsets.US_ASCII));
      InputStream in = s.getInputStream();
      String expected = "-NOAUTH Authentication required.\r\n+OK\r\n+OK\r\n$1\r\nv\r\n";
      assertThat(new String(in.readNBytes(expected.length()), StandardCharsets.US_ASCII))
          .isEqualTo(expected);
      String nodes = new String(in.readAllBytes(), StandardCharsets.US_ASCII);
      assertThat(nodes)
          .contains("id=4 labels=3", "id=5 labels=3", "ring_hash_tag:{}")
          .endsWith("+OK\r\n");
      // the seed ring behind the default hash tag still shows its labels; {t}.a is placed as t
      String[] located = nodes.split("\\*8\r\n");
      assertThat(located).hasSize(3);
      assertThat(located[1])
          .contains("label_index")
          .isEqualTo(located[2].substring(0, located[1].length()));
    }
    run.command.requestStop();
    assertThat(status.get(20, TimeUnit.SECONDS)).isZero();
  }

  @Test
  void serve_withHttp_readyLineNamesIt_andItServes() throws Exception {
    Run run = new Run();
    CompletableFuture<Integer> status =
        CompletableFuture.supplyAsync(
            () -> run.cli.execute("--port", "0", "--http", "127.0.0.1:0", "--servers", "0,1"));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (run.command.server() == null || run.out.toString().isEmpty()) {
      assertThat(System.nanoTime()).as("ready in time").isLessThan(deadline);
      assertThat(status).isNotDone();
      Thread.sleep(20);
    }
    int http = run.command.server().httpAddress().getPort();
    assertThat(run.out.toString())
        .endsWith("); http on http://127.0.0.1:" + http + "/" + System.lineSeparator());
    java.net.http.HttpResponse<String> ready =
        java.net.http.HttpClient.newHttpClient()
            .send(
                java.net.http.HttpRequest.newBuilder(
                        java.net.URI.create("http://127.0.0.1:" + http + "/readyz"))
                    .build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
    assertThat(ready.statusCode()).isEqualTo(200);
    run.command.requestStop();
    assertThat(status.get(20, TimeUnit.SECONDS)).isZero();
  }

  @Test
  void serve_httpOpenProbesWithoutHttp_refused() {
    Run run = new Run();
    assertThat(run.cli.execute("--http-open-probes")).isEqualTo(2);
    assertThat(run.err.toString()).contains("--http-open-probes needs --http");
  }

  @Test
  void serve_maxmemoryClients_boundsTheServersClients() throws Exception {
    Run run = new Run();
    CompletableFuture<Integer> status =
        CompletableFuture.supplyAsync(
            () -> run.cli.execute("--port", "0", "--maxmemory-clients", "16mb"));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (run.command.server() == null) {
      assertThat(System.nanoTime()).as("ready in time").isLessThan(deadline);
      assertThat(status).isNotDone();
      Thread.sleep(20);
    }
    try (Socket s = new Socket("127.0.0.1", run.command.server().address().getPort())) {
      s.setSoTimeout(5000);
      s.getOutputStream()
          .write("CONFIG GET maxmemory-clients\r\nQUIT\r\n".getBytes(StandardCharsets.US_ASCII));
      assertThat(new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII))
          .isEqualTo("*2\r\n$17\r\nmaxmemory-clients\r\n$8\r\n16777216\r\n+OK\r\n");
    }
    run.command.requestStop();
    assertThat(status.get(20, TimeUnit.SECONDS)).isZero();
  }

  @Test
  void serve_defaultPlacementIsSlots() {
    ServeCommand command = new ServeCommand();
    new CommandLine(command).parseArgs();
    assertThat(command.placement).startsWith("slots");
    assertThat(command.port).isEqualTo(6380);
    assertThat(command.bind).isEqualTo("127.0.0.1");
    assertThat(command.servers).isEqualTo("0,1,2");
    assertThat(command.maxClients).isEqualTo(10000);
    assertThat(ServeCommand.parseBytes(command.protoMaxBulkLen)).isEqualTo(512L << 20);
  }

  @Test
  void serve_badOptions_clearMessageAndStatus2() {
    String[][] cases = {
      {"--servers", "0,x", "--servers: 'x' is not a server id"},
      {"--servers", "1,1", "--servers: server 1 is listed twice"},
      {"--placement", "jump", "cannot hold a store"},
      {"--placement", "nope", "unknown placement 'nope'"},
      {"--proto-max-bulk-len", "0", "--proto-max-bulk-len: '0' is not a positive size"},
      {"--proto-max-bulk-len", "1gb", "proto-max-bulk-len must be between 1 and 536870912"},
      {"--maxclients", "0", "maxclients must be at least 1: 0"},
      {"--maxmemory-clients", "150%", "--maxmemory-clients: '150%' is not a percentage"},
      {"--maxmemory-clients", "lots", "--maxmemory-clients: 'lots' is not a size"},
      {"--port", "99999", "port must be between 0 and 65535: 99999"},
      {
        "--http", "nowhere", "--http must be HOST:PORT or PORT (e.g. 127.0.0.1:9121), not 'nowhere'"
      },
    };
    for (String[] c : cases) {
      Run run = new Run();
      int status = run.cli.execute(c[0], c[1]);
      assertThat(status).as(c[0] + " " + c[1]).isEqualTo(2);
      assertThat(run.err.toString())
          .as(c[0] + " " + c[1])
          .contains(c[2])
          .doesNotContain("Exception");
      assertThat(run.out.toString()).isEmpty();
    }
  }

  @Test
  void parseBytes_redisUnits() {
    assertThat(ServeCommand.parseBytes("1024")).isEqualTo(1024);
    assertThat(ServeCommand.parseBytes("64kb")).isEqualTo(65536);
    assertThat(ServeCommand.parseBytes("64k")).isEqualTo(64000);
    assertThat(ServeCommand.parseBytes("512MB")).isEqualTo(512L << 20);
  }

  @Test
  void main_listsServe() {
    StringWriter out = new StringWriter();
    CommandLine cli = Main.commandLine();
    cli.setOut(new PrintWriter(out, true));
    assertThat(cli.execute("--help")).isZero();
    assertThat(out.toString()).contains("serve");
  }
}
