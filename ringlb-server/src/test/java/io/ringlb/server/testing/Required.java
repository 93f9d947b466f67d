package io.ringlb.server.testing;

import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * What a test does when a program it runs is missing: fails under {@code CI=true}, as for {@link
 * RedisProgram}, and is skipped (an aborted assumption) elsewhere.
 */
final class Required {

  private Required() {}

  /** Fails or aborts the calling test with {@code what} is missing and {@code install}. */
  static <T> T missing(String what, String install) {
    if (RedisProgram.isCi(System.getenv())) {
      return Assertions.fail(what + " and CI=true requires it; " + install);
    }
    Assumptions.abort(what + "; " + install + " (skipped here; under CI=true this fails)");
    throw new AssertionError("unreachable");
  }
}
