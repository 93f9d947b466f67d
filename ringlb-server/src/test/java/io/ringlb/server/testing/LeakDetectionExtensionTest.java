package io.ringlb.server.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.launcher.EngineFilter;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;

/** The leak extension finds a ByteBuf never released and fails the test that dropped it. */
class LeakDetectionExtensionTest {

  private static final String HINT = "leaked on purpose by LeakDetectionExtensionTest";
  private static final Duration TIMEOUT = Duration.ofSeconds(10);
  private static final String FIXTURES = "ringlb.testing.fixtures";

  /** Allocates a tracked buffer, writes to it and drops it without releasing it. */
  static void leakOneBuffer(String where) {
    ByteBuf leaked = PooledByteBufAllocator.DEFAULT.buffer(16);
    leaked.writeLong(42);
    leaked.touch(HINT + " in " + where);
  }

  @Test
  void check_reportsABufferNeverReleased_once() throws Exception {
    assertThat(LeakRecorder.INSTANCE.detect(TIMEOUT)).isEmpty(); // nothing left by others
    leakOneBuffer("check_reportsABufferNeverReleased_once");
    List<String> leaks = LeakRecorder.INSTANCE.detect(TIMEOUT);
    assertThat(leaks)
        .singleElement()
        .asString()
        .startsWith("LEAK: ByteBuf.release() was not called")
        .contains(HINT + " in check_reportsABufferNeverReleased_once")
        .contains("leakOneBuffer"); // where it was allocated
    assertThat(LeakRecorder.INSTANCE.detect(TIMEOUT)).isEmpty();
  }

  @Test
  void check_findsNothingWhenEveryBufferWasReleased() throws Exception {
    for (int i = 0; i < 100; i++) {
      ByteBuf buf = PooledByteBufAllocator.DEFAULT.directBuffer(64);
      buf.writeInt(i);
      buf.release();
    }
    assertThat(LeakRecorder.INSTANCE.detect(TIMEOUT)).isEmpty();
    LeakDetectionExtension.check("a test that released everything"); // does not throw
  }

  @Test
  void extension_failsTheTestThatLeaked_andOnlyIt() {
    Map<String, TestExecutionResult> results = new ConcurrentHashMap<>();
    TestExecutionListener listener =
        new TestExecutionListener() {
          @Override
          public void executionFinished(TestIdentifier id, TestExecutionResult result) {
            if (id.isTest()) {
              results.put(id.getDisplayName(), result);
            }
          }
        };
    LauncherFactory.create()
        .execute(
            LauncherDiscoveryRequestBuilder.request()
                .selectors(selectClass(LeakingFixture.class))
                .filters(EngineFilter.includeEngines("junit-jupiter"))
                .configurationParameter(FIXTURES, "run")
                .build(),
            listener);

    assertThat(results).containsOnlyKeys("leaks()", "releases()");
    assertThat(results.get("releases()").getStatus())
        .isEqualTo(TestExecutionResult.Status.SUCCESSFUL);
    TestExecutionResult leaks = results.get("leaks()");
    assertThat(leaks.getStatus()).isEqualTo(TestExecutionResult.Status.FAILED);
    assertThat(leaks.getThrowable())
        .get()
        .isInstanceOf(AssertionError.class)
        .asString()
        .contains("1 resource leak(s) found after this test by Netty's leak detector")
        .contains(HINT + " in LeakingFixture.leaks");
  }

  /** Runs the fixtures only inside the launcher of the test above. */
  static final class OnlyWhenLaunchedByTheTest implements ExecutionCondition {
    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
      return context.getConfigurationParameter(FIXTURES).filter("run"::equals).isPresent()
          ? ConditionEvaluationResult.enabled("launched by LeakDetectionExtensionTest")
          : ConditionEvaluationResult.disabled("a fixture of LeakDetectionExtensionTest");
    }
  }

  /** One test that leaks a buffer, one that does not; the extension is autodetected. */
  @ExtendWith(OnlyWhenLaunchedByTheTest.class)
  static final class LeakingFixture {
    @Test
    void leaks() {
      leakOneBuffer("LeakingFixture.leaks");
    }

    @Test
    void releases() {
      ByteBuf buf = PooledByteBufAllocator.DEFAULT.buffer(16);
      buf.writeLong(7);
      assertThat(buf.release()).isTrue();
    }
  }
}
