package io.ringlb.cli;

import io.ringlb.server.Version;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** The {@code ringlb} command: a consistent-hashing load balancer for key-value data. */
@Command(
    name = "ringlb",
    mixinStandardHelpOptions = true,
    versionProvider = Main.VersionProvider.class,
    description = "A consistent-hashing load balancer for key-value data.",
    subcommands = {
      RunCommand.class,
      ServeCommand.class,
      SimulateCommand.class,
      CommandLine.HelpCommand.class
    })
public final class Main implements Runnable {

  @Spec CommandSpec spec;

  /** Runs the command line and exits with its status. */
  public static void main(String[] args) {
    // `ringlb run FILE` is run directly: it is often timed on small files, and building the
    // picocli model first would cost more than the run. Anything else goes through picocli.
    if (args.length == 2 && args[0].equals("run") && isPlainOperand(args[1])) {
      System.exit(RunCommand.runFile(args[1]));
    }
    System.exit(execute(args));
  }

  /** Whether picocli would take {@code arg} as-is: not an option, not an {@code @file}. */
  static boolean isPlainOperand(String arg) {
    return arg.equals("-") || (!arg.isEmpty() && arg.charAt(0) != '-' && arg.charAt(0) != '@');
  }

  /** Runs the command line and returns its exit status, printing to the standard streams. */
  public static int execute(String... args) {
    return commandLine().execute(args);
  }

  /** Returns the configured command line, for callers that capture its output. */
  public static CommandLine commandLine() {
    CommandLine commandLine = new CommandLine(new Main());
    commandLine.setExecutionExceptionHandler(Main::reportFailure);
    commandLine.setParameterExceptionHandler(Main::reportUsageError);
    return commandLine;
  }

  /**
   * Prints a command-line mistake as one line and a pointer to the help, instead of the whole usage
   * text that would bury the message; exit status 2.
   */
  private static int reportUsageError(CommandLine.ParameterException e, String[] args) {
    CommandLine commandLine = e.getCommandLine();
    PrintWriter err = commandLine.getErr();
    String name = commandLine.getCommandSpec().qualifiedName();
    err.println(name + ": " + e.getMessage());
    err.println("Try '" + name + " --help' for more information.");
    err.flush();
    return ExitCode.UNREADABLE;
  }

  /** Prints a failure as one line naming it, never as a stack trace; exit status 2. */
  private static int reportFailure(
      Exception e, CommandLine commandLine, CommandLine.ParseResult parseResult) {
    PrintWriter err = commandLine.getErr();
    String message = e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    err.println(commandLine.getCommandSpec().qualifiedName() + ": " + message);
    err.flush();
    return ExitCode.UNREADABLE;
  }

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** The exit statuses of ringlb commands. */
  static final class ExitCode {
    /** Every line ran. */
    static final int OK = 0;

    /** At least one line was rejected; the rest ran. */
    static final int REJECTED = 1;

    /** The input could not be read at all, or the command line was wrong. */
    static final int UNREADABLE = 2;

    /** The report of {@code run --report} cannot be written. */
    static final int NO_REPORT = 3;

    private ExitCode() {}
  }

  /** Prints ringlb's {@link Version} and the Java that runs it. */
  static final class VersionProvider implements IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {
        "ringlb " + Version.current(),
        "Java "
            + System.getProperty("java.version")
            + " ("
            + System.getProperty("java.vm.name")
            + ")"
      };
    }
  }
}
