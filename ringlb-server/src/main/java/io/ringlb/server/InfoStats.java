package io.ringlb.server;

import java.util.Locale;
import java.util.Map;

/**
 * The INFO sections read from the command table's counts: {@code commandstats} (calls, time,
 * rejected and failed calls of each command run since the last CONFIG RESETSTAT) and {@code
 * errorstats} (error replies by code), as redis-server writes them.
 */
final class InfoStats {

  private InfoStats() {}

  /**
   * Appends {@code
   * cmdstat_NAME:calls=..,usec=..,usec_per_call=..,rejected_calls=..,failed_calls=..} for every
   * command with a count since the last reset.
   */
  static void commandStats(CommandTable commands, StringBuilder out) {
    for (CommandStats s : commands.allStats()) {
      long calls = s.calls();
      long rejected = s.rejectedCalls();
      if (calls == 0 && rejected == 0) {
        continue;
      }
      long usec = s.usec();
      out.append("cmdstat_")
          .append(s.command())
          .append(":calls=")
          .append(calls)
          .append(",usec=")
          .append(usec)
          .append(",usec_per_call=")
          .append(String.format(Locale.ROOT, "%.2f", calls == 0 ? 0.0 : (double) usec / calls))
          .append(",rejected_calls=")
          .append(rejected)
          .append(",failed_calls=")
          .append(s.failedCalls())
          .append("\r\n");
    }
  }

  /** Appends {@code errorstat_CODE:count=..} for every error code replied since the last reset. */
  static void errorStats(CommandTable commands, StringBuilder out) {
    CommandMetrics metrics = commands.metrics();
    if (metrics == null) {
      return;
    }
    for (Map.Entry<String, Long> e : metrics.errors().byCode().entrySet()) {
      out.append("errorstat_")
          .append(e.getKey())
          .append(":count=")
          .append(e.getValue())
          .append("\r\n");
    }
  }

  /** Returns the error replies since the last reset ({@code total_error_replies}). */
  static long totalErrorReplies(CommandTable commands) {
    CommandMetrics metrics = commands.metrics();
    return metrics == null ? 0 : metrics.errors().total();
  }

  /** Starts every count of both sections again from 0 (CONFIG RESETSTAT). */
  static void reset(CommandTable commands) {
    for (CommandStats s : commands.allStats()) {
      s.reset();
    }
    CommandMetrics metrics = commands.metrics();
    if (metrics != null) {
      metrics.errors().reset();
    }
  }
}
