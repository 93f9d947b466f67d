package io.ringlb.cli;

import io.ringlb.core.Hashes;
import io.ringlb.core.LoadBalancer;
import io.ringlb.placement.Placements;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code ringlb run FILE}: runs a command file of the original design, byte for byte. */
@Command(
    name = "run",
    mixinStandardHelpOptions = true,
    description = {
      "Runs a command file of the original design (add_server, remove_server, store, retrieve)"
          + " and prints its output exactly as the original did.",
      "",
      "Exit status: 0 when every line ran, 1 when a line was rejected (each rejected line gets"
          + " a diagnostic on stderr naming its line number), 2 when FILE cannot be read, 3 when"
          + " the --report file cannot be written."
    })
final class RunCommand implements Callable<Integer> {

  @Parameters(index = "0", paramLabel = "FILE", description = "The command file; '-' reads stdin.")
  String file;

  @Option(
      names = "--summary",
      description =
          "After the run, print a table per server to stderr: id, labels, keys held,"
              + " share of keys, share of the ring.")
  boolean summary;

  @Option(
      names = "--placement",
      paramLabel = "SPEC",
      defaultValue = "seed",
      converter = StorePlacementConverter.class,
      description =
          "How keys are placed on servers (default: ${DEFAULT-VALUE}, the original"
              + " ring; see 'ringlb simulate --help' for the others, e.g. ring:160, ketama, slots)."
              + " Outputs differ from the original design's unless it is seed.")
  String placement = "seed";

  @Option(
      names = "--report",
      paramLabel = "HTML",
      description =
          "After the run, write a self-contained HTML page to HTML: the ring drawn as a circle,"
              + " the keys per server and every add_server/remove_server with the keys it moved."
              + " A path that cannot be written is told before the run, which then does not start.")
  Path report;

  @Override
  public Integer call() {
    return run(
        file,
        summary,
        placement,
        report,
        System.in,
        new FileOutputStream(FileDescriptor.out),
        System.err);
  }

  /** Runs {@code file} ("-" for stdin) with the original ring on the standard streams. */
  static int runFile(String file) {
    return run(
        file, false, "seed", System.in, new FileOutputStream(FileDescriptor.out), System.err);
  }

  /** Runs {@code file} ("-" for {@code stdin}) with the original ring; returns the exit status. */
  static int run(
      String file, boolean summary, InputStream stdin, OutputStream stdout, PrintStream stderr) {
    return run(file, summary, "seed", stdin, stdout, stderr);
  }

  /** Runs {@code file} ("-" for {@code stdin}) with a placement; returns the exit status. */
  static int run(
      String file,
      boolean summary,
      String placement,
      InputStream stdin,
      OutputStream stdout,
      PrintStream stderr) {
    return run(file, summary, placement, null, stdin, stdout, stderr);
  }

  /**
   * Runs {@code file} ("-" for {@code stdin}) with a placement, then writes the HTML report to
   * {@code report} unless it is null; returns the exit status.
   */
  static int run(
      String file,
      boolean summary,
      String placement,
      Path report,
      InputStream stdin,
      OutputStream stdout,
      PrintStream stderr) {
    String name = file.equals("-") ? "<stdin>" : file;
    LoadBalancer.Builder builder = LoadBalancer.builder();
    if (!placement.equals("seed")) {
      builder.placement(Placements.forStore(placement));
    }
    RunRecorder recorder = null;
    if (report != null) {
      String problem = RunReport.problem(report, file.equals("-") ? null : Path.of(file));
      if (problem != null) {
        stderr.println("ringlb run: --report " + report + ": cannot write: " + problem);
        return Main.ExitCode.NO_REPORT;
      }
      recorder = new RunRecorder();
      builder.listener(recorder);
    }
    LoadBalancer balancer = builder.build();
    // the seed ring hashes keys with djb2, which is stateless: the reader thread may hash them
    CommandRunner runner =
        new CommandRunner(
            balancer, stdout, stderr, name, placement.equals("seed") ? Hashes.djb2() : null);
    if (recorder != null) {
      recorder.lines(runner::lineNumber);
    }
    int status;
    try (InputStream in = file.equals("-") ? stdin : Files.newInputStream(Path.of(file))) {
      status = runner.run(in);
    } catch (NoSuchFileException e) {
      stderr.println("ringlb run: " + name + ": no such file");
      return Main.ExitCode.UNREADABLE;
    } catch (AccessDeniedException e) {
      stderr.println("ringlb run: " + name + ": permission denied");
      return Main.ExitCode.UNREADABLE;
    } catch (IOException e) {
      runner.flushQuietly();
      stderr.println("ringlb run: " + name + ": cannot read: " + describe(e));
      return Main.ExitCode.UNREADABLE;
    }
    if (summary) {
      stderr.print(Summary.of(runner.balancer()));
    }
    if (recorder != null) {
      try {
        RunReport.write(report, RunReport.render(name, balancer, recorder));
      } catch (IOException e) {
        stderr.println("ringlb run: --report " + report + ": cannot write: " + describeWrite(e));
        status = Main.ExitCode.NO_REPORT;
      }
    }
    stderr.flush();
    return status;
  }

  private static String describe(IOException e) {
    String message = e.getMessage();
    if (message == null) {
      return e.getClass().getSimpleName();
    }
    return message.endsWith("Is a directory") ? "is a directory" : message;
  }

  private static String describeWrite(IOException e) {
    if (e instanceof AccessDeniedException) {
      return "permission denied";
    }
    if (e instanceof NoSuchFileException) {
      return "no such file or directory";
    }
    if (e instanceof FileSystemException fs && fs.getReason() != null) {
      return fs.getReason();
    }
    return describe(e);
  }

  static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }
}
