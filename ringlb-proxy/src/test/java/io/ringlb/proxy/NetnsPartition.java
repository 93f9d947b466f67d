package io.ringlb.proxy;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Network namespaces for one proxy whose links to etcd and to the backends a test cuts for real
 * ({@code ip link set ... down}), while its clients stay connected.
 *
 * <p>Layout (nothing in the root namespace is touched: no interface, address or route is added
 * there; neither namespace has a physical interface or a default route, so no packet can leave the
 * machine):
 *
 * <ul>
 *   <li>{@code rlbp-proxy}, the proxy's namespace: {@code lo}, and the ends of two veth pairs,
 *       {@code rlbp-pe} 169.254.71.2/30 (towards etcd) and {@code rlbp-pb} 169.254.72.2/30 (towards
 *       the backends). Its {@code /etc/netns/rlbp-proxy/hosts} names 169.254.72.1 {@code
 *       localhost}, so the ring's backend addresses {@code localhost:PORT}, which the proxies of
 *       the root namespace reach on 127.0.0.1, lead this proxy across its veth.
 *   <li>{@code rlbp-world}: {@code lo} and the other ends, {@code rlbp-we} 169.254.71.1/30 and
 *       {@code rlbp-wb} 169.254.72.1/30, where a {@link SocketRelay} process listens on each etcd
 *       member's port (at .71.1) and each backend's port (at .72.1) and forwards every connection
 *       to a Unix socket (a file, seen from every namespace), which this JVM forwards to 127.0.0.1
 *       of the same port in the root namespace, where etcd and the redis-servers run.
 *   <li>The proxy's clients: a relay in this JVM on 127.0.0.1 (root namespace) forwards to a Unix
 *       socket, and a relay process in {@code rlbp-proxy} from it to the proxy's port on that
 *       namespace's 127.0.0.1: not across the veths, so a cut leaves the clients connected.
 * </ul>
 *
 * <p>A cut downs the world's end of a veth: the proxy's end stays up with no carrier, so its
 * packets are dropped silently, as on a cut cable (its connections time out rather than being
 * refused), and TCP retransmits them once the link is up again. Needs {@code ip} (iproute2) and
 * root; without them the test fails under {@code CI=true} and is skipped elsewhere.
 */
final class NetnsPartition implements AutoCloseable {

  static final String PROXY_NS = "rlbp-proxy";
  static final String WORLD_NS = "rlbp-world";
  private static final String ETCD_SIDE = "169.254.71.1";
  private static final String BACKEND_SIDE = "169.254.72.1";

  private final Path sockets;
  private final List<SocketRelay> relays = new ArrayList<>();
  private final List<Process> processes = new ArrayList<>();
  private final List<String> etcdEndpoints = new ArrayList<>();

  private NetnsPartition(Path sockets) {
    this.sockets = sockets;
  }

  /**
   * Makes the namespaces, with the etcd members at {@code etcd} (host:port, on 127.0.0.1) and the
   * redis-servers at {@code backendPorts} reachable from the proxy's; fails under {@code CI=true}
   * and aborts (skips) elsewhere when network namespaces cannot be made here.
   */
  static NetnsPartition create(List<String> etcd, List<Integer> backendPorts) throws Exception {
    String why = unavailable();
    if (why != null) {
      String message = message(why);
      if ("true".equals(System.getenv("CI"))) {
        Assertions.fail(message);
      }
      Assumptions.abort(message);
    }
    removeLeftovers();
    Path sockets = Files.createTempDirectory(Path.of("/tmp"), "rlbp-");
    NetnsPartition n = new NetnsPartition(sockets);
    try {
      n.build(etcd, backendPorts);
    } catch (Exception e) {
      n.close();
      throw e;
    }
    return n;
  }

  /**
   * Disables a test class, with the reason, where namespaces cannot be made, except under {@code
   * CI=true}, where {@link #create} then fails it.
   */
  static final class Available implements ExecutionCondition {
    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
      if ("true".equals(System.getenv("CI"))) {
        return ConditionEvaluationResult.enabled("CI=true: a missing ip netns fails the test");
      }
      String why = unavailable();
      return why == null
          ? ConditionEvaluationResult.enabled("network namespaces can be made")
          : ConditionEvaluationResult.disabled(message(why));
    }
  }

  private static String message(String why) {
    return "network namespaces are needed to partition a proxy for real, and cannot be made here: "
        + why
        + " (run as root on Linux with iproute2's ip)";
  }

  /** Why namespaces cannot be made here, or null when they can. */
  private static String unavailable() {
    try {
      run("ip", "netns", "add", "rlbp-probe");
      run("ip", "netns", "del", "rlbp-probe");
      return null;
    } catch (IOException e) {
      return e.getMessage();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "interrupted";
    }
  }

  /** Deletes this test's namespaces left by a run that did not end cleanly. */
  private static void removeLeftovers() throws InterruptedException {
    for (String ns : List.of(PROXY_NS, WORLD_NS)) {
      try {
        run("ip", "netns", "del", ns);
      } catch (IOException absent) {
        // none left
      }
    }
  }

  private void build(List<String> etcd, List<Integer> backendPorts) throws Exception {
    run("ip", "netns", "add", PROXY_NS);
    run("ip", "netns", "add", WORLD_NS);
    veth("rlbp-pe", "169.254.71.2/30", "rlbp-we", ETCD_SIDE + "/30");
    veth("rlbp-pb", "169.254.72.2/30", "rlbp-wb", BACKEND_SIDE + "/30");
    run("ip", "-n", PROXY_NS, "link", "set", "lo", "up");
    run("ip", "-n", WORLD_NS, "link", "set", "lo", "up");
    Path hosts = Path.of("/etc/netns", PROXY_NS, "hosts");
    Files.createDirectories(hosts.getParent());
    Files.writeString(hosts, BACKEND_SIDE + " localhost\n");

    List<String> world = new ArrayList<>();
    for (String e : etcd) {
      int port = Integer.parseInt(e.substring(e.lastIndexOf(':') + 1));
      world.add("tcp:" + ETCD_SIDE + ":" + port + "=unix:" + toRoot(port));
      etcdEndpoints.add(ETCD_SIDE + ":" + port);
    }
    for (int port : backendPorts) {
      world.add("tcp:" + BACKEND_SIDE + ":" + port + "=unix:" + toRoot(port));
    }
    startRelayProcess(WORLD_NS, world);
  }

  /** The Unix socket this JVM forwards to 127.0.0.1:{@code port} of the root namespace. */
  private Path toRoot(int port) throws IOException {
    Path socket = sockets.resolve(port + ".sock");
    relays.add(
        SocketRelay.start(
            UnixDomainSocketAddress.of(socket), new InetSocketAddress("127.0.0.1", port)));
    return socket;
  }

  private void veth(String proxyEnd, String proxyAddress, String worldEnd, String worldAddress)
      throws IOException, InterruptedException {
    run(
        "ip", "link", "add", proxyEnd, "netns", PROXY_NS, "type", "veth", "peer", "name", worldEnd,
        "netns", WORLD_NS);
    run("ip", "-n", PROXY_NS, "addr", "add", proxyAddress, "dev", proxyEnd);
    run("ip", "-n", WORLD_NS, "addr", "add", worldAddress, "dev", worldEnd);
    run("ip", "-n", PROXY_NS, "link", "set", proxyEnd, "up");
    run("ip", "-n", WORLD_NS, "link", "set", worldEnd, "up");
  }

  /** The etcd endpoints as the proxy's namespace reaches them, across its veth. */
  List<String> etcdEndpoints() {
    return List.copyOf(etcdEndpoints);
  }

  /**
   * Starts a proxy of cluster {@code name} (no --backend list, moving {@code rate} keys/s) in the
   * proxy's namespace; returns it with the port its clients reach it at, on 127.0.0.1 here.
   */
  Proxy startProxy(String name, int rate) throws IOException {
    ClusterProxyProcess p =
        ClusterProxyProcess.start(
            List.of("ip", "netns", "exec", PROXY_NS), new ClusterSpec(name, etcdEndpoints()), rate);
    try {
      Path socket = sockets.resolve("proxy-" + p.port() + ".sock");
      startRelayProcess(PROXY_NS, List.of("unix:" + socket + "=tcp:127.0.0.1:" + p.port()));
      SocketRelay front =
          SocketRelay.start(
              new InetSocketAddress("127.0.0.1", 0), UnixDomainSocketAddress.of(socket));
      relays.add(front);
      return new Proxy(p, front.port());
    } catch (IOException | RuntimeException e) {
      p.close();
      throw e;
    }
  }

  /** A proxy in the namespace, and the port its clients reach it at. */
  record Proxy(ClusterProxyProcess process, int port) implements AutoCloseable {
    @Override
    public void close() {
      process.close();
    }
  }

  private void startRelayProcess(String ns, List<String> pairs) throws IOException {
    String java = ProcessHandle.current().info().command().orElse("java");
    List<String> command =
        new ArrayList<>(
            List.of(
                "ip",
                "netns",
                "exec",
                ns,
                java,
                "-cp",
                System.getProperty("java.class.path"),
                SocketRelay.class.getName()));
    command.addAll(pairs);
    Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    processes.add(p);
    String line =
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))
            .readLine();
    if (!"ready".equals(line)) {
      throw new IOException("the relay in " + ns + " did not start: " + line);
    }
  }

  /** Cuts the proxy's link to etcd. */
  void cutEtcd() throws IOException, InterruptedException {
    run("ip", "-n", WORLD_NS, "link", "set", "rlbp-we", "down");
  }

  /** Brings the proxy's link to etcd back. */
  void healEtcd() throws IOException, InterruptedException {
    run("ip", "-n", WORLD_NS, "link", "set", "rlbp-we", "up");
  }

  /** Cuts the proxy's link to the backends. */
  void cutBackends() throws IOException, InterruptedException {
    run("ip", "-n", WORLD_NS, "link", "set", "rlbp-wb", "down");
  }

  /** Brings the proxy's link to the backends back. */
  void healBackends() throws IOException, InterruptedException {
    run("ip", "-n", WORLD_NS, "link", "set", "rlbp-wb", "up");
  }

  @Override
  public void close() {
    try {
      for (Process p : processes) {
        p.destroyForcibly();
        p.waitFor(30, TimeUnit.SECONDS);
      }
      removeLeftovers();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    for (SocketRelay r : relays) {
      r.close();
    }
    Path hosts = Path.of("/etc/netns", PROXY_NS, "hosts");
    for (Path made : List.of(hosts, hosts.getParent(), hosts.getParent().getParent())) {
      try {
        Files.deleteIfExists(made);
      } catch (IOException notEmpty) {
        break; // /etc/netns holds another namespace's files: left as it was
      }
    }
    try (Stream<Path> files = Files.walk(sockets)) {
      files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
    } catch (IOException e) {
      // left in /tmp
    }
  }

  /** Runs {@code command}, bounded; throws with its output when it fails. */
  private static void run(String... command) throws IOException, InterruptedException {
    Process p;
    try {
      p = new ProcessBuilder(command).redirectErrorStream(true).start();
    } catch (IOException e) {
      throw new IOException(String.join(" ", command) + ": " + e.getMessage(), e);
    }
    if (!p.waitFor(30, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IOException(String.join(" ", command) + " did not end within 30 s");
    }
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    if (p.exitValue() != 0) {
      throw new IOException(
          String.join(" ", command) + " exited with " + p.exitValue() + ": " + out);
    }
  }
}
