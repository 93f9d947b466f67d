package io.ringlb.server.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opentest4j.AssertionFailedError;
import org.opentest4j.TestAbortedException;

/** Finding redis-server and redis-cli on PATH; failing under CI=true, skipping elsewhere. */
class RedisProgramTest {

  @TempDir Path dir;

  private Path executable(Path where, String name) throws Exception {
    Files.createDirectories(where);
    return Files.createFile(
        where.resolve(name),
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
  }

  @Test
  void find_firstExecutableOnPath() throws Exception {
    Path first = executable(dir.resolve("a"), "redis-server");
    executable(dir.resolve("b"), "redis-server");
    Files.createFile(dir.resolve("plain")); // not executable: passed over
    String path =
        String.join(
            File.pathSeparator,
            "",
            dir.resolve("none").toString(),
            dir.resolve("a").toString(),
            dir.resolve("b").toString());
    assertThat(RedisProgram.find("redis-server", path)).contains(first);
    assertThat(RedisProgram.find("plain", dir.toString())).isEmpty();
    assertThat(RedisProgram.find("redis-cli", path)).isEmpty();
  }

  @Test
  void require_onPath_returnsItsAbsolutePath() throws Exception {
    Path cli = executable(dir, "redis-cli");
    assertThat(RedisProgram.REDIS_CLI.require(Map.of("PATH", dir.toString(), "CI", "true")))
        .isEqualTo(cli);
  }

  @Test
  void require_missingUnderCi_failsNamingTheBinaryAndThePackage() {
    Map<String, String> ci = Map.of("PATH", dir.toString(), "CI", "true");
    assertThatThrownBy(() -> RedisProgram.REDIS_SERVER.require(ci))
        .isInstanceOf(AssertionFailedError.class)
        .hasMessage(
            "redis-server is not on PATH ("
                + dir
                + ") and CI=true requires it; install"
                + " Debian's redis-server package: apt-get install redis-server");
    assertThatThrownBy(() -> RedisProgram.REDIS_CLI.require(Map.of("CI", "TRUE")))
        .isInstanceOf(AssertionFailedError.class)
        .hasMessageContaining("redis-cli is not on PATH ()")
        .hasMessageContaining("apt-get install redis-tools");
  }

  @Test
  void require_missingElsewhere_skipsWithTheSameMessage() {
    for (Map<String, String> env :
        List.of(Map.of("PATH", dir.toString()), Map.of("PATH", dir.toString(), "CI", "false"))) {
      assertThatThrownBy(() -> RedisProgram.REDIS_SERVER.require(env))
          .isInstanceOf(TestAbortedException.class)
          .hasMessage(
              "redis-server is not on PATH ("
                  + dir
                  + "); install Debian's redis-server"
                  + " package: apt-get install redis-server (skipped here; under CI=true this fails)");
    }
  }

  @Test
  void condition_disablesOnlyWhenMissingOutsideCi() throws Exception {
    String empty = dir.toString();
    assertThat(RedisProgram.REDIS_SERVER.condition(Map.of("PATH", empty)).isDisabled()).isTrue();
    assertThat(RedisProgram.REDIS_SERVER.condition(Map.of("PATH", empty)).getReason())
        .contains(
            "redis-server is not on PATH ("
                + empty
                + "); install Debian's redis-server"
                + " package: apt-get install redis-server (skipped here; under CI=true this fails)");
    assertThat(
            RedisProgram.REDIS_SERVER.condition(Map.of("PATH", empty, "CI", "true")).isDisabled())
        .as("under CI the class runs, and fails")
        .isFalse();
    executable(dir, "redis-server");
    assertThat(RedisProgram.REDIS_SERVER.condition(Map.of("PATH", empty)).isDisabled()).isFalse();
  }
}
