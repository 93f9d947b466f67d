package io.ringlb.server.testing;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;

/**
 * A Redis program the tests run, found on {@code PATH}: missing, it fails the tests that need it
 * when the environment says {@code CI=true}, and skips them (an assumption) elsewhere.
 */
public enum RedisProgram {
  /** The server, from Debian's {@code redis-server} package. */
  REDIS_SERVER("redis-server", "redis-server"),
  /** The command-line client, from Debian's {@code redis-tools} package. */
  REDIS_CLI("redis-cli", "redis-tools"),
  /** Redis Sentinel, from Debian's {@code redis-sentinel} package. */
  REDIS_SENTINEL("redis-sentinel", "redis-sentinel"),
  /** The etcd server, from Debian's {@code etcd-server} package (the proxy's cluster tests). */
  ETCD("etcd", "etcd-server");

  private final String binary;
  private final String debianPackage;

  RedisProgram(String binary, String debianPackage) {
    this.binary = binary;
    this.debianPackage = debianPackage;
  }

  /** Returns the program's file name, e.g. {@code redis-server}. */
  public String binary() {
    return binary;
  }

  /** Returns the Debian package that installs the program. */
  public String debianPackage() {
    return debianPackage;
  }

  /**
   * Returns the absolute path of the program on this process's {@code PATH}; fails the calling test
   * (under {@code CI=true}) or aborts it (elsewhere) when it is not there.
   */
  public Path require() {
    return require(System.getenv());
  }

  /** As {@link #require()}, reading {@code PATH} and {@code CI} from {@code environment}. */
  Path require(Map<String, String> environment) {
    Optional<Path> found = find(binary, environment.getOrDefault("PATH", ""));
    if (found.isPresent()) {
      return found.get();
    }
    if (isCi(environment)) {
      return Assertions.fail(missing(environment));
    }
    Assumptions.abort(missing(environment));
    throw new AssertionError("unreachable");
  }

  /**
   * Returns whether a test class that needs the program runs: disabled, with the reason, when the
   * program is missing outside CI, so that the build reports its tests as skipped; enabled
   * otherwise (under {@code CI=true} the class then fails in {@link #require()}).
   */
  public ConditionEvaluationResult condition() {
    return condition(System.getenv());
  }

  /** As {@link #condition()}, reading {@code PATH} and {@code CI} from {@code environment}. */
  ConditionEvaluationResult condition(Map<String, String> environment) {
    if (isCi(environment) || find(binary, environment.getOrDefault("PATH", "")).isPresent()) {
      return ConditionEvaluationResult.enabled(binary + " is required");
    }
    return ConditionEvaluationResult.disabled(missing(environment));
  }

  /** Returns the message for the program missing: where it was looked for, how to install it. */
  private String missing(Map<String, String> environment) {
    String install =
        "install Debian's " + debianPackage + " package: apt-get install " + debianPackage;
    String notFound = binary + " is not on PATH (" + environment.getOrDefault("PATH", "") + ")";
    return isCi(environment)
        ? notFound + " and CI=true requires it; " + install
        : notFound + "; " + install + " (skipped here; under CI=true this fails)";
  }

  /** Returns whether {@code environment} is a CI run ({@code CI=true}, in any case). */
  static boolean isCi(Map<String, String> environment) {
    return "true".equalsIgnoreCase(environment.get("CI"));
  }

  /** Returns the first executable file named {@code binary} in the directories of {@code path}. */
  static Optional<Path> find(String binary, String path) {
    Objects.requireNonNull(binary, "binary");
    for (String dir : Objects.requireNonNull(path, "path").split(File.pathSeparator)) {
      if (dir.isEmpty()) {
        continue; // an empty entry means the working directory: never where the tests look
      }
      Path candidate = Path.of(dir, binary).toAbsolutePath();
      if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
        return Optional.of(candidate);
      }
    }
    return Optional.empty();
  }
}
