package io.ringlb.conformance;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * One redis-server process on a free loopback port, persisting nothing, in its own directory (which
 * the caller removes).
 */
final class RedisProcess implements AutoCloseable {

  /**
   * Debian's redis-server, the oracle and the proxy's backends; the system property {@code
   * conformance.redis-server} names another.
   */
  static final Path BINARY =
      Path.of(System.getProperty("conformance.redis-server", "/usr/bin/redis-server"));

  private static final int ATTEMPTS = 5;
  private static final long READY_MILLIS = 10_000;

  private final Process process;
  private final int port;

  private RedisProcess(Process process, int port) {
    this.process = process;
    this.port = port;
  }

  /** Starts a redis-server under {@code dir} and returns it once it answers PING. */
  static RedisProcess start(Path dir) throws IOException, InterruptedException {
    IOException last = null;
    for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
      int port = freePort();
      Path home = Files.createDirectories(dir.resolve("redis-" + port));
      Path log = home.resolve("redis.log");
      Process process =
          new ProcessBuilder(
                  BINARY.toString(),
                  "--port",
                  Integer.toString(port),
                  "--bind",
                  "127.0.0.1",
                  "--save",
                  "",
                  "--appendonly",
                  "no",
                  "--dir",
                  home.toString(),
                  "--protected-mode",
                  "no",
                  "--daemonize",
                  "no")
              .redirectErrorStream(true)
              .redirectOutput(log.toFile())
              .start();
      RedisProcess redis = new RedisProcess(process, port);
      if (redis.awaitReady()) {
        return redis;
      }
      redis.close();
      last =
          new IOException(
              "redis-server did not answer PING on port "
                  + port
                  + " within "
                  + READY_MILLIS
                  + " ms: "
                  + Files.readString(log));
    }
    throw last;
  }

  /** Where it listens. */
  InetSocketAddress address() {
    return new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
  }

  private boolean awaitReady() throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(READY_MILLIS);
    while (System.nanoTime() < deadline && process.isAlive()) {
      try (Client client = new Client(address(), 1000)) {
        if ("PONG".equals(Client.text(client.command("PING")))) {
          return true;
        }
      } catch (IOException notYet) {
        // not listening yet
      }
      Thread.sleep(20);
    }
    return false;
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  @Override
  public void close() {
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
