package io.ringlb.cli;

import io.ringlb.simulator.Simulation;
import io.ringlb.simulator.Simulator;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code ringlb simulate}: compares placement strategies on balance, movement and speed. */
@Command(
    name = "simulate",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Places the same random keys with each strategy on N servers and reports: peak-to-average"
          + " keys per server, standard deviation of load, keys moved when one server is added"
          + " and when one arbitrary server is removed (fractions of all keys, beside the optimal"
          + " 1/(N+1) and 1/N), and lookup cost in ns.",
      "",
      "Strategies (default: all): seed, ring[:labels], ketama[:libketama|twemproxy], jump,"
          + " rendezvous, maglev[:prime table size], bounded[:epsilon[:labels]],"
          + " multiprobe[:probes], memento, slots[:power of two].",
      ""
    })
final class SimulateCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Option(
      names = "--servers",
      paramLabel = "N",
      defaultValue = "100",
      description = "Number of servers, 2..99999 (default: ${DEFAULT-VALUE}).")
  int servers;

  @Option(
      names = "--keys",
      paramLabel = "K",
      defaultValue = "1000000",
      description = "Number of keys, 1..20000000 (default: ${DEFAULT-VALUE}).")
  int keys;

  @Option(
      names = "--strategy",
      paramLabel = "SPEC",
      split = ",",
      description = "Strategies to compare, comma-separated, e.g. ring:160,maglev,slots.")
  List<String> strategies;

  @Option(
      names = "--seed",
      paramLabel = "S",
      defaultValue = "1",
      description = "Seed of the keys and of the removed server (default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(names = "--json", description = "Print a JSON array, one object per strategy.")
  boolean json;

  @Option(
      names = "--report",
      paramLabel = "FILE.html",
      description = "Also write a self-contained HTML page with charts.")
  Path report;

  @Option(names = "--csv", paramLabel = "FILE", description = "Also write the results as CSV.")
  Path csv;

  @Override
  public Integer call() {
    PrintWriter err = spec.commandLine().getErr();
    try {
      Simulator.Builder builder = Simulator.builder();
      option("--servers", () -> builder.servers(servers));
      option("--keys", () -> builder.keys(keys));
      if (strategies != null) {
        option("--strategy", () -> builder.strategies(strategies));
      }
      builder.seed(seed);
      checkWritable("--report", report);
      checkWritable("--csv", csv);
      ProgressBar bar = ProgressBar.forStderr();
      if (bar != null) {
        builder.progress(bar);
      }
      Simulation simulation = builder.build().run();
      if (bar != null) {
        bar.finish();
      }
      PrintWriter out = spec.commandLine().getOut();
      out.print(json ? simulation.toJson() : simulation.toTable());
      out.flush();
      write(report, simulation.toHtml());
      write(csv, simulation.toCsv());
      return Main.ExitCode.OK;
    } catch (UsageException | OutputException e) {
      err.println("ringlb simulate: " + e.getMessage());
      if (e instanceof UsageException) {
        err.println("Try 'ringlb simulate --help' for the options and strategies.");
      }
      err.flush();
      return Main.ExitCode.UNREADABLE;
    }
  }

  /** Applies a builder setting, turning its IllegalArgumentException into a usage error. */
  private static void option(String name, Runnable apply) {
    try {
      apply.run();
    } catch (IllegalArgumentException e) {
      throw new UsageException("invalid " + name + ": " + e.getMessage());
    }
  }

  /** Fails before the run, rather than after it, when an output file cannot be created. */
  private static void checkWritable(String option, Path file) {
    if (file == null) {
      return;
    }
    Path parent = file.toAbsolutePath().getParent();
    if (parent == null || !Files.isDirectory(parent)) {
      throw new UsageException("invalid " + option + ": no such directory: " + parent);
    }
    if (Files.isDirectory(file)) {
      throw new UsageException("invalid " + option + ": " + file + " is a directory");
    }
    if (!Files.isWritable(parent) || (Files.exists(file) && !Files.isWritable(file))) {
      throw new UsageException("invalid " + option + ": cannot write " + file);
    }
  }

  private static void write(Path file, String content) {
    if (file == null) {
      return;
    }
    try {
      Files.writeString(file, content, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new OutputException("cannot write " + file + ": " + reason(e));
    }
  }

  private static String reason(IOException e) {
    if (e instanceof java.nio.file.NoSuchFileException) {
      return "no such directory";
    }
    if (e instanceof java.nio.file.AccessDeniedException) {
      return "permission denied";
    }
    return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
  }

  /** The command line asked for something impossible. */
  private static final class UsageException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    UsageException(String message) {
      super(message, null, false, false);
    }
  }

  /** A result file could not be written. */
  private static final class OutputException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    OutputException(String message) {
      super(message, null, false, false);
    }
  }
}
