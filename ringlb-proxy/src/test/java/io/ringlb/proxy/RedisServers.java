package io.ringlb.proxy;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import redis.clients.jedis.Jedis;

/**
 * Real redis-server processes on free loopback ports, for tests: each lives in its own temporary
 * directory, persists nothing, and is stopped by {@link #close} (forcibly as a last resort).
 */
final class RedisServers implements AutoCloseable {

  private static final String REDIS_SERVER = "/usr/bin/redis-server";

  private final Path dir;
  private final List<Instance> instances = new ArrayList<>();

  RedisServers() throws IOException {
    this.dir = Files.createTempDirectory("ringlb-redis");
  }

  /** Returns whether Debian's redis-server is installed, so tests can say why they need it. */
  /**
   * Returns a proxy configuration on an ephemeral port with two I/O threads, a 5 s request
   * timeout, and the first {@code backends} of {@code instances} as backends 0, 1, ...
   */
  static ProxyConfig.Builder proxyConfig(java.util.List<Instance> instances, int backends) {
    ProxyConfig.Builder b = ProxyConfig.builder().port(0).threads(2)
        .requestTimeout(java.time.Duration.ofSeconds(5));
    for (int i = 0; i < backends; i++) {
      b.backend(i + "=" + instances.get(i).address());
    }
    return b;
  }

  /**
   * Returns a new set of redis-servers, or skips the calling test (an assumption) on a machine
   * without Debian's redis-server.
   */
  static RedisServers orSkip() throws IOException {
    assumeTrue(available(), "needs /usr/bin/redis-server (apt-get install redis-server)");
    return new RedisServers();
  }

  /** Starts {@code n} more redis-servers, each answering PING. */
  List<Instance> start(int n) throws IOException, InterruptedException {
    List<Instance> started = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      started.add(start());
    }
    return started;
  }

  static boolean available() {
    return Files.isExecutable(Path.of(REDIS_SERVER));
  }

  /** Starts one more redis-server and returns it once it answers PING. */
  Instance start() throws IOException, InterruptedException {
    IOException last = null;
    for (int attempt = 0; attempt < 5; attempt++) {
      int port = freePort();
      Instance instance = launch(port);
      if (instance.awaitReady(Duration.ofSeconds(10))) {
        instances.add(instance);
        return instance;
      }
      instance.stop();
      last = new IOException("redis-server did not start on port " + port + ": "
          + Files.readString(instance.home.resolve("redis.log")));
    }
    throw last;
  }

  /** Kills {@code old} as kill -9 would, and starts an empty redis-server on its port. */
  Instance restart(Instance old) throws IOException, InterruptedException {
    old.kill();
    Instance instance = launch(old.port);
    if (!instance.awaitReady(Duration.ofSeconds(10))) {
      instance.stop();
      throw new IOException("redis-server did not start again on port " + old.port);
    }
    instances.add(instance);
    return instance;
  }

  private Instance launch(int port) throws IOException {
    Path home = dir.resolve("redis-" + port);
    Files.createDirectories(home);
    Process process =
        new ProcessBuilder(
                REDIS_SERVER,
                "--port", Integer.toString(port),
                "--bind", "127.0.0.1",
                "--save", "",
                "--appendonly", "no",
                "--dir", home.toString(),
                "--protected-mode", "no",
                "--daemonize", "no")
            .redirectErrorStream(true)
            .redirectOutput(home.resolve("redis.log").toFile())
            .start();
    return new Instance(port, process, home);
  }

  /** Writes {@code request} to a new connection to {@code port} and returns all it answers. */
  static String exchange(int port, String request) throws IOException {
    try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
      socket.setSoTimeout(5000);
      socket.getOutputStream().write(request.getBytes(StandardCharsets.UTF_8));
      return new String(socket.getInputStream().readAllBytes(),
          StandardCharsets.UTF_8);
    }
  }

  /** Returns a free ephemeral loopback port (bound then released; the caller retries on a race). */
  static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      socket.setReuseAddress(true);
      return socket.getLocalPort();
    }
  }

  @Override
  public void close() throws IOException {
    for (Instance instance : instances) {
      instance.stop();
    }
    instances.clear();
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
    }
  }

  /** One redis-server process. */
  static final class Instance {
    final int port;
    final Process process;
    final Path home;

    Instance(int port, Process process, Path home) {
      this.port = port;
      this.process = process;
      this.home = home;
    }

    String address() {
      return "127.0.0.1:" + port;
    }

    Jedis client() {
      return new Jedis("127.0.0.1", port, 5000);
    }

    long dbsize() {
      try (Jedis jedis = client()) {
        return jedis.dbSize();
      }
    }

    boolean awaitReady(Duration timeout) throws InterruptedException {
      long deadline = System.nanoTime() + timeout.toNanos();
      while (System.nanoTime() < deadline && process.isAlive()) {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
          socket.setSoTimeout(1000);
          socket.getOutputStream().write("PING\r\n".getBytes());
          byte[] buf = new byte[7];
          int n = socket.getInputStream().read(buf);
          if (n > 0 && buf[0] == '+') {
            return true;
          }
        } catch (IOException notYet) {
          // not listening yet
        }
        Thread.sleep(20);
      }
      return false;
    }

    /** Kills the process at once, as {@code kill -9} would. */
    void kill() throws InterruptedException {
      process.destroyForcibly();
      process.waitFor(10, TimeUnit.SECONDS);
    }

    void stop() {
      process.destroy();
      try {
        if (!process.waitFor(5, TimeUnit.SECONDS)) {
          process.destroyForcibly();
          process.waitFor(5, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        process.destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }
  }
}
