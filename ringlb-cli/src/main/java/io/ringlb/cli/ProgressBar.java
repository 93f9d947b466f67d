package io.ringlb.cli;

import io.ringlb.simulator.Simulator;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * A one-line progress bar on stderr, redrawn in place; it appears only once a run has taken half a
 * second, so short runs print nothing.
 */
final class ProgressBar implements Simulator.Progress {

  private static final long DELAY_NANOS = 500_000_000L;
  private static final int BAR = 30;

  private final PrintStream err;
  private final int width;
  private final long start = System.nanoTime();
  private boolean drawn;

  ProgressBar(PrintStream err, int width) {
    this.err = err;
    this.width = Math.max(40, width);
  }

  /** Returns a bar on {@code System.err} if it is a terminal, else null. */
  static ProgressBar forStderr() {
    if (!stderrIsTerminal()) {
      return null;
    }
    int columns = 80;
    String env = System.getenv("COLUMNS");
    if (env != null) {
      try {
        columns = Integer.parseInt(env.trim());
      } catch (NumberFormatException ignored) {
        // keep 80
      }
    }
    return new ProgressBar(System.err, columns);
  }

  /** Whether file descriptor 2 is a terminal (Linux: a tty or pts device; elsewhere: unknown). */
  static boolean stderrIsTerminal() {
    if ("dumb".equals(System.getenv("TERM"))) {
      return false;
    }
    try {
      Path target = Files.readSymbolicLink(Path.of("/proc/self/fd/2"));
      String name = target.toString();
      return name.startsWith("/dev/pts/") || name.startsWith("/dev/tty");
    } catch (Exception e) {
      return false;
    }
  }

  @Override
  public void update(String phase, double fraction) {
    if (!drawn && System.nanoTime() - start < DELAY_NANOS) {
      return;
    }
    drawn = true;
    int filled = (int) Math.round(Math.max(0, Math.min(1, fraction)) * BAR);
    String line =
        String.format(
            Locale.ROOT,
            "[%s%s] %3d%% %s",
            "#".repeat(filled),
            ".".repeat(BAR - filled),
            Math.round(fraction * 100),
            phase);
    if (line.length() > width - 1) {
      line = line.substring(0, width - 1);
    }
    err.print("\r" + line + " ".repeat(width - 1 - line.length()));
    err.flush();
  }

  /** Erases the bar, if it was drawn. */
  void finish() {
    if (drawn) {
      err.print("\r" + " ".repeat(width - 1) + "\r");
      err.flush();
    }
  }
}
