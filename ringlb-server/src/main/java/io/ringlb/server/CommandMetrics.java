package io.ringlb.server;

import io.prometheus.metrics.core.datapoints.DistributionDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.HashMap;
import java.util.Map;

/**
 * The front end's command metrics in a {@link PrometheusRegistry}: {@code ringlb_commands_total} by
 * command and result, and {@code ringlb_command_duration_seconds} by command family; hands each
 * entry of the command table its data points, resolved once, so that counting a command is one
 * increment and no lookup.
 */
final class CommandMetrics {

  /** The command label of requests naming no registered command. */
  static final String UNKNOWN = "unknown";

  /**
   * The latency buckets, in seconds: from 2 µs (an embedded command) to 10 s (a proxied command
   * waiting for a slow backend).
   */
  private static final double[] BUCKETS = {
    0.000002, 0.000005, 0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
    0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10
  };

  private final Counter commands;
  private final Map<String, DistributionDataPoint> families = new HashMap<>();
  private final CommandStats unknown;
  private final ErrorCounts errors = new ErrorCounts();

  /** Registers the command metrics in {@code registry}. */
  CommandMetrics(PrometheusRegistry registry) {
    Counter.Builder counter =
        Counter.builder()
            .name("ringlb_commands_total")
            .help(
                "Commands answered, by command (subcommands as container|sub, unknown names as"
                    + " 'unknown') and result: ok, error (an error reply) or rejected (refused"
                    + " before running: arity, authentication, permission)")
            .labelNames("command", "result");
    counter.withoutExemplars(); // no tracer to sample exemplars from: they would only cost time
    commands = counter.register(registry);
    Histogram.Builder histogram =
        Histogram.builder()
            .name("ringlb_command_duration_seconds")
            .help(
                "Time from a command's dispatch to its reply (a proxied command's until its"
                    + " backend answered), by family; one command in "
                    + CommandRecorder.SAMPLE_EVERY
                    + " of each connection is timed")
            .labelNames("family")
            .classicOnly()
            .classicUpperBounds(BUCKETS);
    histogram.withoutExemplars();
    Histogram latency = histogram.register(registry);
    for (String family : CommandFamily.ALL) {
      families.put(family, latency.labelValues(family));
    }
    unknown = stats(UNKNOWN, CommandFamily.CONNECTION);
  }

  /** Returns the data points of the command or subcommand {@code fullName}. */
  CommandStats statsFor(String fullName, CommandSpec spec) {
    return stats(fullName, CommandFamily.of(fullName, spec));
  }

  /** Returns the data points of requests that name no registered command. */
  CommandStats unknown() {
    return unknown;
  }

  private CommandStats stats(String command, String family) {
    return new CommandStats(commands, command, families.get(family), errors);
  }

  /** Returns the error replies counted by code (INFO errorstats). */
  ErrorCounts errors() {
    return errors;
  }
}
