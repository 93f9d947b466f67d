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
   * does, so the entry is removed then. Most are the two front ends disagreeing, which the one
   * shared front end ends; the rest are both sides disagreeing with redis-server.
   */
  static final Map<String, String> KNOWN_DRIFT = Map.ofEntries(
      // the two front ends disagree: the proxy answers its own way
      drift("connection/hello-3", "the proxy words its refusal of RESP3 its own way"),
      drift("connection/hello-4", "the proxy answers an unknown version with ERR, not NOPROTO"),
      drift("connection/hello-0", "the proxy answers an unknown version with ERR, not NOPROTO"),
      drift("connection/select-not-integer", "the proxy does not say the index is no integer"),
      drift("connection/auth-too-many", "the proxy counts AUTH's arguments as an arity error"),
      drift("connection/client-setname-space", "the proxy does not check client names"),
      drift("connection/client-setname-newline", "the proxy does not check client names"),
      drift("connection/client-getname-arity", "the proxy does not check CLIENT GETNAME's arity"),
      drift("connection/client-id-arity", "the proxy does not check CLIENT ID's arity"),
      drift("connection/config-get-arity", "the proxy does not check CONFIG GET's arity"),
      drift("connection/time-arity", "the proxy does not check TIME's arity"),
      drift("errors/unknown-command-long-name", "the proxy does not cut the name at 128 bytes"),
      drift("errors/unknown-command-many-args", "the proxy quotes 7 arguments, not 128 bytes' worth"),
      drift("protocol/negative-bulk-length", "the proxy words protocol errors its own way"),
      drift("protocol/bulk-length-not-a-number", "the proxy words protocol errors its own way"),
      drift("protocol/multibulk-length-not-a-number", "the proxy words protocol errors its own way"),
      drift("protocol/bulk-length-too-big", "the proxy words protocol errors its own way"),
      drift("protocol/expected-dollar", "the proxy words protocol errors its own way"),
      drift("protocol/bulk-null-length", "the proxy words protocol errors its own way"),
      drift("protocol/bulk-not-followed-by-crlf", "the proxy words protocol errors its own way"),
      drift("protocol/after-protocol-error-nothing-runs",
          "the proxy words protocol errors its own way"),
      // each side its own way, neither as redis-server
      drift("connection/hello-auth-no-password-configured",
          "without a password set, redis-server takes any for user default; the embedded"
              + " server refuses with AUTH's one-argument text, the proxy with WRONGPASS"),
      drift("connection/client-info", "each side has its own fields; the embedded server's"
          + " cmd=NULL should be client|info"),
      drift("errors/unknown-command-long-arg", "the embedded server cuts an argument at 127"
          + " bytes, the proxy not at all (redis-server: 128)"),
      drift("errors/unknown-command-binary", "the embedded server quotes bytes as UTF-8 with"
          + " U+FFFD; the proxy copies CR LF into its error line, which breaks the reply"),
      // both sides alike, not as redis-server
      drift("connection/auth-user-no-password-configured",
          "without a password set, redis-server takes AUTH default ANY; both sides refuse"),
      // the embedded server alone
      drift("strings/set-ex-twice", "the embedded server refuses EX given twice; redis-server"
          + " takes the last"));

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
