package io.ringlb.conformance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.ringlb.conformance.Targets.Target;
import io.ringlb.server.testing.RedisServersExtension;
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
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Runs every exchange of {@code src/test/resources/conformance} on redis-server, the embedded
 * server and the proxy, and fails each one where a ringlb side answers other than redis-server and
 * other than docs/CONFORMANCE.md lists; see that document.
 */
class ConformanceTest {

  /** How long one reply may take. */
  static final int REPLY_TIMEOUT_MILLIS = 2000;

  /** The whole suite's budget: past it, the exchanges left fail at once. */
  static final long BUDGET_MILLIS = 90_000;

  /** The oracle's versions whose replies the exchanges and the table were checked against. */
  static final String REDIS_VERSION = "7.0.";

  /** The oracle, then the proxy's three backends. */
  @RegisterExtension static final RedisServersExtension redis = RedisServersExtension.servers(4);

  private static final Supplier<Targets> targets = redis.front(Targets::start);

  private static Differences differences;
  private static long deadline;
  private static final AtomicInteger identical = new AtomicInteger();
  private static final AtomicInteger asListed = new AtomicInteger();

  @BeforeAll
  static void start() throws IOException {
    String version = targets.get().redisVersion();
    if (!version.startsWith(REDIS_VERSION)) {
      String message =
          "redis-server is "
              + version
              + "; the exchanges were checked against "
              + REDIS_VERSION
              + "x";
      if ("true".equalsIgnoreCase(System.getenv("CI"))) {
        fail(message);
      }
      Assumptions.abort(message);
    }
    differences = differences();
    deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(BUDGET_MILLIS);
  }

  @AfterAll
  static void report() throws IOException {
    if (differences == null) {
      return; // aborted before any exchange ran
    }
    String report =
        String.format(
            "%nringlb conformance against redis-server %s: %d identical,"
                + " %d as docs/CONFORMANCE.md lists%n",
            targets.get().redisVersion(), identical.get(), asListed.get());
    System.out.print(report);
    Path out = Path.of("target", "conformance-report.txt");
    if (Files.isDirectory(out.getParent())) {
      Files.writeString(out, report);
    }
  }

  @Test
  void everyTarget_answersPing() throws IOException {
    for (Target t : Target.values()) {
      try (Client client = new Client(targets.get().address(t), REPLY_TIMEOUT_MILLIS)) {
        assertThat(client.command("PING").rendered()).as(t.label).isEqualTo("+PONG\\r\\n");
      }
    }
  }

  @TestFactory
  Stream<DynamicNode> exchanges() throws IOException {
    Map<String, List<DynamicNode>> families = new LinkedHashMap<>();
    for (Exchange exchange : exchangeFiles()) {
      String family = exchange.id().substring(0, exchange.id().indexOf('/'));
      families
          .computeIfAbsent(family, k -> new ArrayList<>())
          .add(DynamicTest.dynamicTest(exchange.id(), () -> check(exchange)));
    }
    return families.entrySet().stream()
        .map(e -> DynamicContainer.dynamicContainer(e.getKey(), e.getValue()));
  }

  private static void check(Exchange exchange) throws IOException {
    if (System.nanoTime() > deadline) {
      fail(
          "the suite's budget of "
              + BUDGET_MILLIS
              + " ms is spent; "
              + exchange.id()
              + " was not run");
    }
    Targets all = targets.get();
    all.flushAll();
    Map<Target, List<String>> replies = new EnumMap<>(Target.class);
    for (Target t : Target.values()) {
      replies.put(t, Client.run(exchange, all.address(t), REPLY_TIMEOUT_MILLIS));
    }
    Comparison c = new Comparison(exchange, replies, differences.of(exchange.id()));
    if (!c.conforms()) {
      fail(
          exchange.id()
              + " ("
              + exchange.source()
              + "):\n  "
              + String.join("\n  ", c.problems())
              + "\n"
              + c.transcript());
    }
    (differences.of(exchange.id()).isEmpty() ? identical : asListed).incrementAndGet();
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
