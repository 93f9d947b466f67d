package io.ringlb.conformance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.ringlb.conformance.Targets.Target;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Runs every exchange of {@code src/test/resources/conformance} on redis-server, the embedded
 * server and the proxy, and fails each one where a ringlb side answers other than redis-server
 * and other than docs/CONFORMANCE.md lists; see that document.
 */
class ConformanceTest {

  /**
   * Exchanges where ringlb today answers other than it should, not on purpose: each passes while
   * it still differs (the suite's output shows the three replies) and fails once it no longer
   * does, so the entry is removed then. The two sides share one front end, so most are both
   * sides answering alike, not as redis-server.
   */
  static final Map<String, String> KNOWN_DRIFT = Map.of();

  private static Map.Entry<String, String> drift(String exchange, String why) {
    return Map.entry(exchange, why);
  }

  /** How long one reply may take. */
  static final int REPLY_TIMEOUT_MILLIS = 2000;

  /** The whole suite's budget: past it, the exchanges left fail at once. */
  static final long BUDGET_MILLIS = 90_000;

  /** The oracle's versions whose replies the exchanges and the table were checked against. */
  static final String REDIS_VERSION = "7.0.";

  private static Targets targets;
  private static Differences differences;
  private static long deadline;
  private static final Map<String, Comparison> drifting = new LinkedHashMap<>();
  private static int identical;
  private static int asListed;

  /** Why the suite is skipped (a missing prerequisite, outside CI), or {@code null}. */
  private static String skipped;

  @BeforeAll
  static void start() throws Exception {
    if (!require(Files.isExecutable(RedisProcess.BINARY), RedisProcess.BINARY
        + " is missing (apt-get install redis-server): the conformance suite compares ringlb's"
        + " replies with redis-server's")) {
      return;
    }
    differences = differences();
    targets = Targets.start();
    require(targets.redisVersion().startsWith(REDIS_VERSION), RedisProcess.BINARY + " is "
        + targets.redisVersion() + "; the exchanges were checked against " + REDIS_VERSION + "x");
    deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(BUDGET_MILLIS);
  }

  /**
   * Returns {@code condition}; when it is false, fails under CI, and elsewhere records why the
   * tests are skipped, which each test then reports as its assumption.
   */
  private static boolean require(boolean condition, String message) {
    if (!condition) {
      if ("true".equals(System.getenv("CI"))) {
        throw new AssertionError(message);
      }
      skipped = message;
    }
    return condition;
  }

  private static void assumeRunnable() {
    assumeTrue(skipped == null, skipped);
  }

  @AfterAll
  static void stop() throws IOException {
    try {
      if (targets != null && skipped == null) {
        String report = report();
        System.out.print(report);
        Path out = Path.of("target", "conformance-report.txt");
        if (Files.isDirectory(out.getParent())) {
          Files.writeString(out, report);
        }
      }
    } finally {
      if (targets != null) {
        targets.close();
      }
    }
  }

  @Test
  void everyTarget_answersPing() throws IOException {
    assumeRunnable();
    for (Target t : Target.values()) {
      try (Client client = new Client(targets.address(t), REPLY_TIMEOUT_MILLIS)) {
        assertThat(client.command("PING").rendered()).as(t.label).isEqualTo("+PONG\\r\\n");
      }
    }
  }

  @TestFactory
  Stream<DynamicNode> exchanges() throws IOException {
    assumeRunnable();
    Map<String, List<DynamicNode>> families = new LinkedHashMap<>();
    for (Exchange exchange : exchangeFiles()) {
      String family = exchange.id().substring(0, exchange.id().indexOf('/'));
      families.computeIfAbsent(family, k -> new ArrayList<>())
          .add(DynamicTest.dynamicTest(exchange.id(), () -> check(exchange)));
    }
    return families.entrySet().stream()
        .map(e -> DynamicContainer.dynamicContainer(e.getKey(), e.getValue()));
  }

  private static void check(Exchange exchange) throws IOException {
    if (System.nanoTime() > deadline) {
      fail("the suite's budget of " + BUDGET_MILLIS + " ms is spent; " + exchange.id()
          + " was not run");
    }
    targets.flushAll();
    Map<Target, List<String>> replies = new EnumMap<>(Target.class);
    for (Target t : Target.values()) {
      replies.put(t, Client.run(exchange, targets.address(t), REPLY_TIMEOUT_MILLIS));
    }
    Comparison c = new Comparison(exchange, replies, differences.of(exchange.id()));
    String drift = KNOWN_DRIFT.get(exchange.id());
    if (drift != null) {
      if (c.conforms()) {
        fail(exchange.id() + " (" + exchange.source() + ") is in KNOWN_DRIFT (\"" + drift
            + "\") but no longer drifts: remove it from ConformanceTest.KNOWN_DRIFT\n"
            + c.transcript());
      }
      synchronized (drifting) {
        drifting.put(exchange.id(), c);
      }
      return;
    }
    if (!c.conforms()) {
      fail(exchange.id() + " (" + exchange.source() + "):\n  " + String.join("\n  ",
          c.problems()) + "\n" + c.transcript());
    }
    synchronized (drifting) {
      if (differences.of(exchange.id()).isEmpty()) {
        identical++;
      } else {
        asListed++;
      }
    }
  }

  private static String report() {
    StringBuilder sb = new StringBuilder();
    synchronized (drifting) {
      sb.append(String.format("%nringlb conformance against redis-server %s: %d identical,"
          + " %d as docs/CONFORMANCE.md lists, %d known drift (ConformanceTest.KNOWN_DRIFT)%n",
          targets.redisVersion(), identical, asListed, drifting.size()));
      for (Comparison c : drifting.values()) {
        String id = c.exchange().id();
        sb.append("  DRIFT ").append(id).append(" (").append(c.exchange().source())
            .append("): ").append(KNOWN_DRIFT.get(id)).append('\n')
            .append(c.sideBySide());
        c.problems().stream().filter(p -> p.contains("docs/CONFORMANCE.md"))
            .forEach(p -> sb.append("    - ").append(p).append('\n'));
      }
    }
    return sb.toString();
  }

  /** Every exchange of the resource folder {@code conformance}. */
  static List<Exchange> exchangeFiles() throws IOException {
    try {
      return ExchangeFile.readAll(
          Path.of(ConformanceTest.class.getResource("/conformance").toURI()));
    } catch (URISyntaxException e) {
      throw new IOException(e);
    }
  }

  /** The table of docs/CONFORMANCE.md (the path is the system property conformance.doc). */
  static Differences differences() throws IOException {
    Path doc = Path.of(System.getProperty("conformance.doc", "../docs/CONFORMANCE.md"));
    return Differences.parse(doc.toString(), Files.readString(doc, StandardCharsets.UTF_8));
  }
}
