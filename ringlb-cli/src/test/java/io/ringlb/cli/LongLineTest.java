package io.ringlb.cli;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.ringlb.core.Hashes;
import io.ringlb.core.LoadBalancer;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import org.junit.jupiter.api.Test;

/** Lines longer than the limit are skipped while read, with a diagnostic, and the run goes on. */
class LongLineTest {

  /** Produces {@code head}, then {@code fill} repeated {@code count} times, then {@code tail}. */
  static final class HugeLine extends InputStream {
    private final byte[] head;
    private final byte fill;
    private final byte[] tail;
    private long left;
    private int headAt;
    private int tailAt;

    HugeLine(String head, byte fill, long count, String tail) {
      this.head = head.getBytes(UTF_8);
      this.fill = fill;
      this.left = count;
      this.tail = tail.getBytes(UTF_8);
    }

    @Override
    public int read() {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
    }

    @Override
    public int read(byte[] b, int off, int len) {
      if (len == 0) {
        return 0;
      }
      if (headAt < head.length) {
        int n = Math.min(len, head.length - headAt);
        System.arraycopy(head, headAt, b, off, n);
        headAt += n;
        return n;
      }
      if (left > 0) {
        int n = (int) Math.min(len, left);
        java.util.Arrays.fill(b, off, off + n, fill);
        left -= n;
        return n;
      }
      if (tailAt < tail.length) {
        int n = Math.min(len, tail.length - tailAt);
        System.arraycopy(tail, tailAt, b, off, n);
        tailAt += n;
        return n;
      }
      return -1;
    }
  }

  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private int run(InputStream input, int maxLine) throws Exception {
    CommandRunner runner =
        new CommandRunner(
            LoadBalancer.seed(),
            out,
            new PrintStream(err, true, UTF_8),
            "f",
            Hashes.djb2(),
            maxLine);
    return runner.run(input);
  }

  @Test
  void lineOverTheLimit_skippedWithADiagnostic_andTheRunGoesOn() throws Exception {
    // a valid store of a 300 MiB value, read through a 64 KiB limit
    InputStream input =
        new HugeLine(
            "add_server 1\nstore \"k\" \"",
            (byte) 'x',
            300L << 20,
            "\"\nstore \"k2\" \"v\"\nretrieve \"k\"\n");
    int status = run(input, 64 << 10);
    assertThat(status).isEqualTo(Main.ExitCode.REJECTED);
    assertThat(out.toString(UTF_8)).isEqualTo("Stored v on server 1.\nKey k not present.\n");
    assertThat(err.toString(UTF_8))
        .isEqualTo(
            "ringlb run: f:2: line longer than 65536 bytes, the limit, skipped; it starts"
                + " 'store \"k\" \""
                + "x".repeat(29)
                + "...'\n");
  }

  @Test
  void lineOverTheLimit_atTheEndWithoutNewline() throws Exception {
    InputStream input = new HugeLine("add_server 1\n", (byte) '\u001b', 1 << 20, "");
    assertThat(run(input, 1024)).isEqualTo(Main.ExitCode.REJECTED);
    assertThat(out.toString(UTF_8)).isEmpty();
    assertThat(err.toString(UTF_8))
        .startsWith("ringlb run: f:2: line longer than 1024 bytes, the limit, skipped; it starts")
        .contains("'\\x1b\\x1b")
        .doesNotContain("\u001b");
  }

  @Test
  void severalLongLines_inARow_andLinesUpToTheLimit() throws Exception {
    String atLimit = "store \"a\" \"" + "y".repeat(1024 - 12) + "\"";
    assertThat(atLimit).hasSize(1024);
    StringBuilder file = new StringBuilder("add_server 7\n");
    for (int i = 0; i < 5; i++) {
      file.append("store \"k\" \"").append("z".repeat(3000 + i)).append("\"\n");
      file.append(atLimit).append('\n');
    }
    int status = run(new java.io.ByteArrayInputStream(file.toString().getBytes(UTF_8)), 1024);
    assertThat(status).isEqualTo(Main.ExitCode.REJECTED);
    String stored = "Stored " + "y".repeat(1024 - 12) + " on server 7.\n";
    assertThat(out.toString(UTF_8)).isEqualTo(stored.repeat(5));
    assertThat(err.toString(UTF_8).lines())
        .hasSize(5)
        .allMatch(line -> line.contains("line longer than 1024 bytes"));
    assertThat(err.toString(UTF_8)).contains(":2: ", ":4: ", ":6: ", ":8: ", ":10: ");
  }

  @Test
  void diagnostics_escapeControlBytes() throws Exception {
    byte[] file = "add_server 1\nbad\u001b[31m\u0007 x\nadd_server \u009b2\n".getBytes(UTF_8);
    assertThat(run(new java.io.ByteArrayInputStream(file), 1 << 20))
        .isEqualTo(Main.ExitCode.REJECTED);
    assertThat(err.toString(UTF_8))
        .isEqualTo(
            "ringlb run: f:2: unknown command 'bad\\x1b[31m\\x07'\n"
                + "ringlb run: f:3: add_server: server id '\\u009b2' is not a number\n");
  }

  @Test
  void defaultLineLimit_boundedByTheHeap() {
    long heap = Runtime.getRuntime().maxMemory();
    assertThat((long) CommandRunner.defaultLineLimit())
        .isLessThanOrEqualTo(Math.max(64 << 10, heap / 8))
        .isLessThanOrEqualTo(CommandRunner.DEFAULT_LINE_LIMIT);
  }
}
