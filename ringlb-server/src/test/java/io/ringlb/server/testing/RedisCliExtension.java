package io.ringlb.server.testing;

import java.nio.file.Path;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Finds {@code redis-cli} on {@code PATH} before a test class runs: when it is missing the class
 * fails under {@code CI=true} and is skipped (disabled, with the reason) elsewhere ({@link
 * RedisProgram#REDIS_CLI}).
 *
 * <pre>{@code
 * @RegisterExtension
 * static final RedisCliExtension redisCli = new RedisCliExtension();
 * ... new ProcessBuilder(redisCli.path().toString(), "-p", port, "PING") ...
 * }</pre>
 */
public final class RedisCliExtension
    implements BeforeAllCallback, BeforeEachCallback, ExecutionCondition {

  private Path path;

  /** Disables the class, with the reason, when the program is missing outside CI. */
  @Override
  public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
    return RedisProgram.REDIS_CLI.condition();
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    path = RedisProgram.REDIS_CLI.require();
  }

  @Override
  public void beforeEach(ExtensionContext context) {
    if (path == null) { // registered in an instance field: no beforeAll
      path = RedisProgram.REDIS_CLI.require();
    }
  }

  /** Returns the absolute path of redis-cli. */
  public Path path() {
    if (path == null) {
      throw new IllegalStateException("redis-cli is looked up before the tests of the class run");
    }
    return path;
  }
}
