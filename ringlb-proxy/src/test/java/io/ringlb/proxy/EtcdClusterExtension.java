package io.ringlb.proxy;

import io.ringlb.server.testing.RedisProgram;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Starts a three-member etcd cluster (Debian's {@code etcd}) on free loopback ports for a test
 * class, each member with its own data directory under {@code target/}, and stops it after the
 * class. Missing {@code etcd} fails the class under {@code CI=true} and skips it elsewhere.
 */
final class EtcdClusterExtension
    implements BeforeAllCallback, AfterAllCallback, ExecutionCondition {

  private static final int MEMBERS = 3;
  private static final Duration READY_TIMEOUT = Duration.ofSeconds(60);

  private final List<Member> members = new ArrayList<>();
  private Path program;
  private Path dir;
  private String token;

  /** One etcd member: its name, ports, data directory and process (null while stopped). */
  static final class Member {
    private final String name;
    private final int clientPort;
    private final int peerPort;
    private final Path dataDir;
    private Process process;

    private Member(String name, int clientPort, int peerPort, Path dataDir) {
      this.name = name;
      this.clientPort = clientPort;
      this.peerPort = peerPort;
      this.dataDir = dataDir;
    }

    /** The member's client endpoint, host:port. */
    String endpoint() {
      return "127.0.0.1:" + clientPort;
    }

    boolean running() {
      return process != null && process.isAlive();
    }
  }

  @Override
  public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
    return RedisProgram.ETCD.condition();
  }

  @Override
  public void beforeAll(ExtensionContext context) throws Exception {
    program = RedisProgram.ETCD.require();
    dir =
        Files.createDirectories(Path.of("target", "etcd")).resolve("cluster-" + System.nanoTime());
    Files.createDirectories(dir);
    // A free port found here may be taken by another process before etcd binds it (other test
    // runs share the machine): then the cluster starts again on other ports, a bounded number of
    // times.
    for (int attempt = 1; ; attempt++) {
      token = dir.getFileName().toString() + "-" + attempt;
      members.clear();
      for (int i = 0; i < MEMBERS; i++) {
        members.add(new Member("m" + i, freePort(), freePort(), dir.resolve(attempt + "-m" + i)));
      }
      try {
        for (Member m : members) {
          launch(m);
        }
        for (Member m : members) {
          awaitHealthy(m);
        }
        return;
      } catch (IOException e) {
        for (Member m : members) {
          kill(m);
        }
        if (attempt == 3 || !String.valueOf(e.getMessage()).contains("address already in use")) {
          throw e;
        }
      }
    }
  }

  @Override
  public void afterAll(ExtensionContext context) throws Exception {
    for (Member m : members) {
      kill(m);
    }
    if (dir != null) {
      try (Stream<Path> files = Files.walk(dir)) {
        files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
      } catch (IOException | UncheckedIOException e) {
        // target/ is cleaned by the build anyway
      }
    }
  }

  /** The client endpoints of every member, host:port, comma-separated. */
  String endpoints() {
    return members.stream().map(Member::endpoint).collect(Collectors.joining(","));
  }

  /** The endpoints as a list. */
  List<String> endpointList() {
    return members.stream().map(Member::endpoint).toList();
  }

  Member member(int index) {
    return members.get(index);
  }

  /** Kills member {@code index} as kill -9 would; its data stays for {@link #restart}. */
  void kill(int index) throws InterruptedException {
    kill(members.get(index));
  }

  /** Starts member {@code index} again on its ports and data, and waits until it is healthy. */
  void restart(int index) throws IOException, InterruptedException {
    Member m = members.get(index);
    if (!m.running()) {
      launch(m);
    }
  }

  /** Waits until every running member reports healthy (quorum reached). */
  void awaitHealthy() throws IOException, InterruptedException {
    for (Member m : members) {
      if (m.running()) {
        awaitHealthy(m);
      }
    }
  }

  private static void kill(Member m) throws InterruptedException {
    if (m.process != null) {
      m.process.destroyForcibly();
      m.process.waitFor();
      m.process = null;
    }
  }

  private void launch(Member m) throws IOException {
    String cluster =
        members.stream()
            .map(o -> o.name + "=http://127.0.0.1:" + o.peerPort)
            .collect(Collectors.joining(","));
    Files.createDirectories(dir);
    ProcessBuilder pb =
        new ProcessBuilder(
                program.toString(),
                "--name",
                m.name,
                "--data-dir",
                m.dataDir.toString(),
                "--listen-client-urls",
                "http://127.0.0.1:" + m.clientPort,
                "--advertise-client-urls",
                "http://127.0.0.1:" + m.clientPort,
                "--listen-peer-urls",
                "http://127.0.0.1:" + m.peerPort,
                "--initial-advertise-peer-urls",
                "http://127.0.0.1:" + m.peerPort,
                "--initial-cluster",
                cluster,
                "--initial-cluster-state",
                "new",
                "--initial-cluster-token",
                token,
                // a loaded machine stalls for hundreds of milliseconds: elect less eagerly
                "--heartbeat-interval",
                "200",
                "--election-timeout",
                "2000")
            .redirectErrorStream(true)
            .redirectOutput(
                ProcessBuilder.Redirect.appendTo(
                    dir.resolve(m.dataDir.getFileName() + ".log").toFile()));
    m.process = pb.start();
  }

  private void awaitHealthy(Member m) throws IOException, InterruptedException {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
    HttpRequest health =
        HttpRequest.newBuilder(URI.create("http://" + m.endpoint() + "/health"))
            .timeout(Duration.ofSeconds(2))
            .build();
    long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
    String last = "no answer";
    while (System.nanoTime() < deadline) {
      if (!m.running()) {
        throw new IOException("etcd " + m.name + " exited: " + log(m));
      }
      try {
        HttpResponse<String> r = http.send(health, HttpResponse.BodyHandlers.ofString());
        last = r.body();
        if (r.statusCode() == 200 && last.contains("\"true\"")) {
          return;
        }
      } catch (IOException e) {
        last = e.toString();
      }
      Thread.sleep(100);
    }
    throw new IOException("etcd " + m.name + " not healthy within " + READY_TIMEOUT + ": " + last);
  }

  private String log(Member m) {
    try {
      return Files.readString(dir.resolve(m.dataDir.getFileName() + ".log"));
    } catch (IOException e) {
      return e.toString();
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }
}
