package io.ringlb.server.testing;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Fails the test (or the test class, for what its {@code @BeforeAll}/{@code @AfterAll} leaked)
 * after which Netty's leak detector finds a leaked {@code ByteBuf} or other tracked resource.
 *
 * <p>Registered for every test through JUnit's extension autodetection ({@code
 * junit.jupiter.extensions.autodetection.enabled=true} and {@code
 * META-INF/services/org.junit.jupiter.api.extension.Extension} in a module's test resources), so
 * that it is loaded, and installs its {@link LeakRecorder}, before any test allocates a buffer.
 * After each test it forces detection (bounded: {@value #TIMEOUT_SECONDS} s) when anything was
 * tracked during it. A leak is found once its buffer is unreachable: one held in a field of the
 * test instance is reported after the class ({@code afterAll}) rather than after its test.
 */
public final class LeakDetectionExtension implements AfterEachCallback, AfterAllCallback {

  static final long TIMEOUT_SECONDS = 10;

  static {
    LeakRecorder.install();
  }

  @Override
  public void afterEach(ExtensionContext context) throws Exception {
    check("this test");
  }

  @Override
  public void afterAll(ExtensionContext context) throws Exception {
    check("this test class (its fixtures, or a test whose instance held the leak)");
  }

  /** Throws an AssertionError with every leak found now, blaming {@code culprit}. */
  static void check(String culprit) throws InterruptedException {
    List<String> leaks = LeakRecorder.INSTANCE.detect(Duration.ofSeconds(TIMEOUT_SECONDS));
    if (!leaks.isEmpty()) {
      throw new AssertionError(
          leaks.size()
              + " resource leak(s) found after "
              + culprit
              + " by Netty's leak detector:\n"
              + String.join("\n", leaks));
    }
  }
}
