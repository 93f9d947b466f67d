package io.ringlb.proxy;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A proxy of a cluster in a process of its own, for tests that kill it with SIGKILL: {@link #main}
 * starts it, prints {@code port=N}, and exits when its standard input closes.
 */
final class ClusterProxyProcess implements AutoCloseable {

  private final Process process;
  private final int port;

  private ClusterProxyProcess(Process process, int port) {
    this.process = process;
    this.port = port;
  }

  /** Starts a proxy of {@code cluster} moving {@code rate} keys/s, with no --backend list. */
  static ClusterProxyProcess start(ClusterSpec cluster, int rate) throws IOException {
    return start(List.of(), cluster, rate);
  }

  /**
   * As {@link #start(ClusterSpec, int)}, the command run by {@code prefix} (for example {@code ip
   * netns exec NS}).
   */
  static ClusterProxyProcess start(List<String> prefix, ClusterSpec cluster, int rate)
      throws IOException {
    return start(prefix, cluster, rate, List.of());
  }

  /**
   * As {@link #start(List, ClusterSpec, int)}, following the Redis Sentinels at {@code sentinels}
   * (for a ring of Sentinel-managed shards).
   */
  static ClusterProxyProcess start(
      List<String> prefix, ClusterSpec cluster, int rate, List<String> sentinels)
      throws IOException {
    String java = ProcessHandle.current().info().command().orElse("java");
    List<String> command = new ArrayList<>(prefix);
    command.addAll(
        List.of(
            java,
            "-cp",
            System.getProperty("java.class.path"),
            ClusterProxyProcess.class.getName(),
            cluster.name(),
            String.join(",", cluster.etcd()),
            Integer.toString(rate),
            String.join(",", sentinels)));
    Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    BufferedReader out =
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    String line = out.readLine(); // the child prints its port or exits
    if (line == null || !line.startsWith("port=")) {
      p.destroyForcibly();
      throw new IOException("the proxy process did not start: " + line);
    }
    return new ClusterProxyProcess(p, Integer.parseInt(line.substring("port=".length())));
  }

  int port() {
    return port;
  }

  /** The proxy's process id (its cluster id is {@code proxy-PID-...} on an ephemeral port). */
  long pid() {
    return process.pid();
  }

  /** Sends {@code signal} (STOP, CONT) to the proxy's process. */
  void signal(String signal) throws IOException, InterruptedException {
    Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid())).start();
    if (!kill.waitFor(30, TimeUnit.SECONDS) || kill.exitValue() != 0) {
      throw new IOException("kill -" + signal + " " + process.pid() + " failed");
    }
  }

  /** SIGKILL: the proxy stops with no cleanup (its etcd lease expires by itself). */
  void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(30, TimeUnit.SECONDS);
  }

  @Override
  public void close() {
    process.destroyForcibly();
  }

  public static void main(String[] args) throws Exception {
    List<String> etcd = Arrays.asList(args[1].split(","));
    ProxyConfig.Builder b =
        ProxyConfig.builder()
            .port(0)
            .threads(1)
            .requestTimeout(Duration.ofSeconds(5))
            .cluster(new ClusterSpec(args[0], etcd))
            .migrationRate(Integer.parseInt(args[2]));
    if (args.length > 3 && !args[3].isEmpty()) {
      for (String s : args[3].split(",")) {
        b.sentinel(s);
      }
    }
    ProxyConfig config = b.build();
    try (ProxyServer p = ProxyServer.start(config)) {
      System.out.println("port=" + p.port());
      System.out.flush();
      while (System.in.read() >= 0) {
        // runs until the test closes the pipe or kills the process
      }
    }
  }
}
