package io.ringlb.server.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Starts real redis-servers (and optionally something in front of them, such as a proxy) for a test
 * class, and stops them after it.
 *
 * <pre>{@code
 * @RegisterExtension
 * static final RedisServersExtension redis =
 *     RedisServersExtension.servers(3).flushBeforeEachTest();
 * }</pre>
 *
 * <p>{@code redis-server} is looked up on {@code PATH} ({@link RedisProgram#REDIS_SERVER}): when it
 * is missing the class fails under {@code CI=true} and is skipped (disabled) elsewhere, with a
 * message naming the binary and its Debian package. Each server listens on a free loopback port,
 * persists nothing ({@code --save ''}, {@code --appendonly no}) and works in its own temporary
 * directory; each is ready (answers PING, within 10 s) before any test runs.
 *
 * <p>By default the servers live for the whole class (started before {@code @BeforeAll} methods,
 * stopped after {@code @AfterAll} methods); {@link #freshForEachTest()} gives every test new ones
 * instead, for tests that kill, freeze or reconfigure them. Register it in a {@code static} field.
 */
public final class RedisServersExtension
    implements BeforeAllCallback,
        AfterAllCallback,
        BeforeEachCallback,
        AfterEachCallback,
        ExecutionCondition {

  private static final Duration READY_TIMEOUT = Duration.ofSeconds(10);
  private static final int PORT_ATTEMPTS = 5;

  private final int count;
  private boolean perTest;
  private boolean flush;
  private final List<FrontHandle<?>> fronts = new ArrayList<>();

  private Path program;
  private Path dir;
  private boolean startedForTest;
  private final List<RedisServer> running = new ArrayList<>();

  private RedisServersExtension(int count) {
    this.count = count;
  }

  /** Returns an extension that starts {@code count} redis-servers. */
  public static RedisServersExtension servers(int count) {
    if (count < 1) {
      throw new IllegalArgumentException("count must be positive: " + count);
    }
    return new RedisServersExtension(count);
  }

  /** Starts new servers before each test and stops them after it, instead of once per class. */
  public RedisServersExtension freshForEachTest() {
    checkConfigurable();
    perTest = true;
    return this;
  }

  /** Deletes every key of every server before each test (FLUSHALL). */
  public RedisServersExtension flushBeforeEachTest() {
    checkConfigurable();
    flush = true;
    return this;
  }

  /**
   * Starts {@code starter} over the servers each time they start, and closes what it returned
   * before they stop; returns the way to reach it while it runs. This is how a proxy is put in
   * front of the servers:
   *
   * <pre>{@code
   * static final Supplier<ProxyServer> proxy =
   *     redis.front(servers -> ProxyServer.start(config(servers)));
   * }</pre>
   */
  public <T extends AutoCloseable> Supplier<T> front(Front<T> starter) {
    checkConfigurable();
    FrontHandle<T> handle = new FrontHandle<>(starter);
    fronts.add(handle);
    return handle;
  }

  /** Returns the servers in start order (a live view: {@link #restart} replaces in place). */
  public List<RedisServer> servers() {
    checkRunning();
    return Collections.unmodifiableList(running);
  }

  /** Returns the server at {@code index}, in start order. */
  public RedisServer server(int index) {
    checkRunning();
    return running.get(index);
  }

  /** Starts one more server, stopped with the others; returns it once it answers PING. */
  public RedisServer start() throws IOException, InterruptedException {
    checkRunning();
    IOException last = null;
    for (int attempt = 0; attempt < PORT_ATTEMPTS; attempt++) {
      int port = freePort();
      RedisServer server = RedisServer.launch(program, port, dir.resolve("redis-" + port));
      if (server.awaitReady(READY_TIMEOUT)) {
        running.add(server);
        return server;
      }
      server.stop(); // most likely another process took the port in between
      last = new IOException("redis-server did not start on port " + port + ": " + server.log());
    }
    throw last;
  }

  /**
   * Kills {@code old} as {@code kill -9} would and starts an empty redis-server on its port, which
   * takes its place in {@link #servers()}; returns it once it answers PING.
   */
  public RedisServer restart(RedisServer old) throws IOException, InterruptedException {
    checkRunning();
    int index = running.indexOf(old);
    if (index < 0) {
      throw new IllegalArgumentException("not one of these servers: " + old);
    }
    old.kill();
    RedisServer server =
        RedisServer.launch(
            program, old.port(), dir.resolve("redis-" + old.port() + "-" + System.nanoTime()));
    if (!server.awaitReady(READY_TIMEOUT)) {
      server.stop();
      throw new IOException(
          "redis-server did not start again on port " + old.port() + ": " + server.log());
    }
    running.set(index, server);
    return server;
  }

  /** Disables the class, with the reason, when the program is missing outside CI. */
  @Override
  public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
    return RedisProgram.REDIS_SERVER.condition();
  }

  @Override
  public void beforeAll(ExtensionContext context) throws Exception {
    program = RedisProgram.REDIS_SERVER.require();
    if (!perTest) {
      startAll();
    }
  }

  @Override
  public void beforeEach(ExtensionContext context) throws Exception {
    if (program == null) { // registered in an instance field: no beforeAll
      program = RedisProgram.REDIS_SERVER.require();
    }
    if (perTest || dir == null) {
      startAll();
      startedForTest = true;
    } else if (flush) {
      for (RedisServer server : running) {
        server.flushAll();
      }
    }
  }

  @Override
  public void afterEach(ExtensionContext context) throws Exception {
    if (startedForTest) {
      startedForTest = false;
      stopAll();
    }
  }

  @Override
  public void afterAll(ExtensionContext context) throws Exception {
    stopAll();
  }

  private void startAll() throws Exception {
    dir = Files.createTempDirectory("ringlb-redis");
    try {
      for (int i = 0; i < count; i++) {
        start();
      }
      List<RedisServer> view = Collections.unmodifiableList(running);
      for (FrontHandle<?> front : fronts) {
        front.open(view);
      }
    } catch (Exception | Error e) {
      try {
        stopAll();
      } catch (Exception suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e;
    }
  }

  /** Closes the fronts (last first), stops the servers, deletes their directory. */
  private void stopAll() throws Exception {
    Exception failure = null;
    for (int i = fronts.size() - 1; i >= 0; i--) {
      try {
        fronts.get(i).close();
      } catch (Exception e) {
        failure = add(failure, e);
      }
    }
    for (RedisServer server : running) {
      server.stop();
    }
    running.clear();
    if (dir != null) {
      try (Stream<Path> files = Files.walk(dir)) {
        files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
      } catch (IOException | UncheckedIOException e) {
        failure = add(failure, e);
      }
      dir = null;
    }
    if (failure != null) {
      throw failure;
    }
  }

  private static Exception add(Exception first, Exception next) {
    if (first == null) {
      return next;
    }
    first.addSuppressed(next);
    return first;
  }

  private void checkConfigurable() {
    if (program != null) {
      throw new IllegalStateException("configure the extension before its tests start");
    }
  }

  private void checkRunning() {
    if (dir == null) {
      throw new IllegalStateException(
          "the redis-servers are not running (not inside a test or "
              + "@BeforeAll/@AfterAll of the class that registers the extension)");
    }
  }

  /** Returns a free ephemeral loopback port (bound then released; the caller retries on a race). */
  static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      socket.setReuseAddress(true);
      return socket.getLocalPort();
    }
  }

  /** Starts something in front of the servers, e.g. a proxy over them. */
  @FunctionalInterface
  public interface Front<T extends AutoCloseable> {
    /** Starts it over {@code servers}, which are running. */
    T start(List<RedisServer> servers) throws Exception;
  }

  /** A front while it runs. */
  private static final class FrontHandle<T extends AutoCloseable> implements Supplier<T> {
    private final Front<T> starter;
    private T value;

    FrontHandle(Front<T> starter) {
      this.starter = starter;
    }

    void open(List<RedisServer> servers) throws Exception {
      value = starter.start(servers);
    }

    void close() throws Exception {
      T v = value;
      value = null;
      if (v != null) {
        v.close();
      }
    }

    @Override
    public T get() {
      if (value == null) {
        throw new IllegalStateException("not running: the front starts with the redis-servers");
      }
      return value;
    }
  }
}
