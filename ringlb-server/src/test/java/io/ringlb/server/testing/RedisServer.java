package io.ringlb.server.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import redis.clients.jedis.Jedis;

/**
 * One redis-server process on a loopback port, started by {@link RedisServersExtension}: no
 * persistence, its own directory, stopped (forcibly as a last resort) when its scope ends.
 */
public final class RedisServer {

  private final int port;
  private final Process process;
  private final Path home;

  private RedisServer(int port, Process process, Path home) {
    this.port = port;
    this.process = process;
    this.home = home;
  }

  /** Launches {@code program} on {@code port} in {@code home}; see {@link #awaitReady}. */
  static RedisServer launch(Path program, int port, Path home) throws IOException {
    return launch(program, port, home, java.util.List.of());
  }

  /** Launches {@code program} on {@code port} in {@code home} with {@code extra} arguments. */
  static RedisServer launch(Path program, int port, Path home, java.util.List<String> extra)
      throws IOException {
    Files.createDirectories(home);
    java.util.List<String> command =
        new java.util.ArrayList<>(
            java.util.List.of(
                program.toString(),
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
                "no"));
    command.addAll(extra);
    Process process =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(home.resolve("redis.log").toFile())
            .start();
    return new RedisServer(port, process, home);
  }

  /** Launches redis-sentinel {@code program} with the configuration file {@code config}. */
  static RedisServer launchSentinel(Path program, int port, Path home, Path config)
      throws IOException {
    Files.createDirectories(home);
    Process process =
        new ProcessBuilder(program.toString(), config.toString())
            .redirectErrorStream(true)
            .redirectOutput(home.resolve("redis.log").toFile())
            .start();
    return new RedisServer(port, process, home);
  }

  /** Returns the port it listens on, on 127.0.0.1. */
  public int port() {
    return port;
  }

  /** Returns {@code 127.0.0.1:port}. */
  public String address() {
    return "127.0.0.1:" + port;
  }

  /** Returns the process id, e.g. to send it signals. */
  public long pid() {
    return process.pid();
  }

  /** Returns whether the process still runs. */
  public boolean isAlive() {
    return process.isAlive();
  }

  /** Returns a new Jedis connection to it, with a 5 s timeout; the caller closes it. */
  public Jedis client() {
    return new Jedis("127.0.0.1", port, 5000);
  }

  /** Returns how many keys it holds. */
  public long dbsize() {
    try (Jedis jedis = client()) {
      return jedis.dbSize();
    }
  }

  /** Deletes every key it holds. */
  public void flushAll() {
    try (Jedis jedis = client()) {
      jedis.flushAll();
    }
  }

  /** Kills the process at once, as {@code kill -9} would, and waits (up to 10 s) for it to end. */
  public void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(10, TimeUnit.SECONDS);
  }

  /** Freezes the process ({@code SIGSTOP}): it keeps its connections but answers nothing. */
  public void pause() throws IOException, InterruptedException {
    signal("STOP");
  }

  /** Lets a {@link #pause paused} process run again ({@code SIGCONT}). */
  public void resume() throws IOException, InterruptedException {
    signal("CONT");
  }

  private void signal(String name) throws IOException, InterruptedException {
    if (process.isAlive()) {
      Process kill =
          new ProcessBuilder("kill", "-" + name, Long.toString(process.pid()))
              .redirectErrorStream(true)
              .start();
      if (!kill.waitFor(5, TimeUnit.SECONDS) || kill.exitValue() != 0) {
        kill.destroyForcibly();
        throw new IOException("kill -" + name + " " + process.pid() + " failed");
      }
    }
  }

  /** Returns whether it answers PING within {@code timeout}; false at once if it exited. */
  boolean awaitReady(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline && process.isAlive()) {
      try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
        socket.setSoTimeout(1000);
        OutputStream out = socket.getOutputStream();
        out.write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
        InputStream in = socket.getInputStream();
        byte[] reply = new byte[7];
        int n = in.read(reply);
        if (n > 0 && reply[0] == '+') {
          return true;
        }
      } catch (IOException notYet) {
        // not listening yet
      }
      Thread.sleep(20);
    }
    return false;
  }

  /** Returns what the server logged, for error messages. */
  public String log() {
    try {
      return Files.readString(home.resolve("redis.log"));
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }

  /** Stops the process: resumes it if paused, SIGTERM, then SIGKILL after 5 s. */
  void stop() {
    try {
      resume();
    } catch (IOException e) {
      // a process that cannot be resumed is killed below
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
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

  @Override
  public String toString() {
    return "redis-server " + address() + (process.isAlive() ? "" : " (exited)");
  }
}
