package io.ringlb.cli;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.OutputStream;
import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** bin/ringlb run with a 64 MiB heap skips a 1.1 GiB line read from a pipe, and goes on. */
class LongLineIT {

  @Test
  @Timeout(120)
  void gibibyteLine_fromAPipe_withA64MiBHeap() throws Exception {
    String launcher =
        Objects.requireNonNull(
            System.getProperty("ringlb.launcher"), "ringlb.launcher (set by the failsafe plugin)");
    ProcessBuilder builder = new ProcessBuilder("bash", launcher, "run", "-");
    builder.environment().put("JAVA_HOME", System.getProperty("java.home"));
    builder.environment().put("RINGLB_JAVA_OPTS", "-Xmx64m");
    builder.environment().put("RINGLB_CDS", "0");
    Process process = builder.start();
    CompletableFuture<byte[]> out = readAll(process.getInputStream());
    CompletableFuture<byte[]> err = readAll(process.getErrorStream());
    long fill = 1100L << 20;
    try (OutputStream in = process.getOutputStream()) {
      in.write("add_server 3\nstore \"big\" \"".getBytes(UTF_8));
      byte[] block = new byte[1 << 20];
      Arrays.fill(block, (byte) 'v');
      for (long written = 0; written < fill; written += block.length) {
        in.write(block);
      }
      in.write("\"\nstore \"k\" \"v\"\nretrieve \"big\"\n".getBytes(UTF_8));
    }
    boolean exited = process.waitFor(60, TimeUnit.SECONDS);
    if (!exited) {
      process.destroyForcibly();
    }
    assertThat(exited).as("bin/ringlb run exited within 60 s of its input's end").isTrue();
    String stderr = new String(err.get(10, TimeUnit.SECONDS), UTF_8);
    assertThat(new String(out.get(10, TimeUnit.SECONDS), UTF_8))
        .as(stderr)
        .isEqualTo("Stored v on server 3.\nKey big not present.\n");
    // the default limit under a 64 MiB heap: an eighth of the heap the JVM reports
    assertThat(stderr)
        .matches(
            "ringlb run: <stdin>:2: line longer than [0-9]+ bytes, the limit, skipped;"
                + " it starts 'store \"big\" \"v{27}\\.\\.\\.'\n");
    long limit = Long.parseLong(stderr.replaceAll("(?s).*longer than ([0-9]+) bytes.*", "$1"));
    assertThat(limit).isBetween(4L << 20, 8L << 20);
    assertThat(process.exitValue()).isEqualTo(Main.ExitCode.REJECTED);
  }

  private static CompletableFuture<byte[]> readAll(java.io.InputStream stream) {
    return CompletableFuture.supplyAsync(
        () -> {
          try {
            return stream.readAllBytes();
          } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
          }
        });
  }
}
