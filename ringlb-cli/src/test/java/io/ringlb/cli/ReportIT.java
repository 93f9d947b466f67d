package io.ringlb.cli;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** bin/ringlb run --report: the same bytes on stdout as without it, and the page written. */
class ReportIT {

  private static final String SHOP = Path.of("../examples/shop.txt").toString();

  @TempDir Path dir;

  @Test
  void shop_sameOutput_pageWritten() throws Exception {
    Run plain = ringlb("run", SHOP);
    Path report = dir.resolve("ring.html");
    Run reported = ringlb("run", SHOP, "--report", report.toString());
    Run optionFirst = ringlb("run", "--report", dir.resolve("again.html").toString(), SHOP);
    assertThat(plain.status).isZero();
    assertThat(plain.stdout).isNotEmpty();
    assertThat(reported.stdout).isEqualTo(plain.stdout);
    assertThat(optionFirst.stdout).isEqualTo(plain.stdout);
    assertThat(reported.stderr).isEqualTo(plain.stderr).isEmpty();
    assertThat(reported.status).isZero();
    assertThat(Files.readString(report, UTF_8)).startsWith("<!DOCTYPE html>").contains("server-7");
    assertThat(Files.readString(dir.resolve("again.html"), UTF_8))
        .isEqualTo(Files.readString(report, UTF_8));
  }

  @Test
  void missingDirectory_oneLine_status3() throws Exception {
    String report = dir.resolve("absent/ring.html").toString();
    Run run = ringlb("run", SHOP, "--report", report);
    assertThat(run.status).isEqualTo(Main.ExitCode.NO_REPORT);
    assertThat(run.stdout).isEmpty();
    assertThat(new String(run.stderr, UTF_8))
        .isEqualTo(
            "ringlb run: --report "
                + report
                + ": cannot write: no such directory "
                + dir.resolve("absent")
                + "\n");
  }

  private Run ringlb(String... args) throws IOException, InterruptedException {
    String launcher =
        Objects.requireNonNull(
            System.getProperty("ringlb.launcher"), "ringlb.launcher (set by the failsafe plugin)");
    List<String> command = new ArrayList<>(List.of("bash", launcher));
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command);
    builder.environment().put("JAVA_HOME", System.getProperty("java.home"));
    Path out = Files.createTempFile(dir, "out", ".txt");
    Path err = Files.createTempFile(dir, "err", ".txt");
    builder.redirectOutput(out.toFile()).redirectError(err.toFile());
    Process process = builder.start();
    boolean exited = process.waitFor(60, TimeUnit.SECONDS);
    if (!exited) {
      process.destroyForcibly();
    }
    assertThat(exited).as("bin/ringlb exited within 60 s").isTrue();
    return new Run(process.exitValue(), Files.readAllBytes(out), Files.readAllBytes(err));
  }

  private record Run(int status, byte[] stdout, byte[] stderr) {}
}
