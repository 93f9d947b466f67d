package io.ringlb.server;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.redis.ErrorRedisMessage;
import io.netty.handler.codec.redis.RedisMessage;
import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.datapoints.DistributionDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
import java.util.concurrent.atomic.LongAdder;

/**
 * One command's metric data points, each resolved once, when the command first has that result (so
 * that {@code /metrics} lists the commands clients use, not every one registered): its counts by
 * result and its family's latency histogram, which INFO commandstats reads too. Thread-safe;
 * touched once per command on the hot path.
 */
final class CommandStats {

  private final Counter commands;
  private final String command;
  private final DistributionDataPoint latency;
  private final ErrorCounts errors;
  private volatile CounterDataPoint ok;
  private volatile CounterDataPoint error;
  private volatile CounterDataPoint rejected;

  /** Nanoseconds of the timed commands (one in {@link CommandRecorder#SAMPLE_EVERY}), summed. */
  private final LongAdder timedNanos = new LongAdder();

  private final LongAdder timed = new LongAdder();

  // What CONFIG RESETSTAT saw: INFO shows the counts since (the Prometheus counters never go down).
  private volatile long okBase;
  private volatile long errorBase;
  private volatile long rejectedBase;
  private volatile long timedNanosBase;
  private volatile long timedBase;

  CommandStats(
      Counter commands, String command, DistributionDataPoint latency, ErrorCounts errors) {
    this.commands = commands;
    this.command = command;
    this.latency = latency;
    this.errors = errors;
  }

  /** Returns the command's full name, as INFO commandstats names it ({@code config|set}). */
  String command() {
    return command;
  }

  /** Counts a command refused before it ran (arity, authentication, permission) with {@code e}. */
  void rejected(RedisMessage e) {
    CounterDataPoint p = rejected;
    if (p == null) {
      rejected = p = commands.labelValues(command, "rejected");
    }
    p.inc();
    errors.count(e);
  }

  /**
   * Counts a command answered with {@code reply}, timed from {@code startNanos} when it is not 0
   * ({@link CommandRecorder}).
   */
  void answered(RedisMessage reply, long startNanos) {
    boolean failed =
        reply instanceof ErrorRedisMessage
            || (reply instanceof EncodedReply e && ErrorCounts.isError(e.content()));
    if (failed) {
      errors.count(reply);
    }
    answered(failed, startNanos);
  }

  /** As {@link #answered(RedisMessage, long)}, for a reply that came as RESP bytes. */
  void answeredRaw(ByteBuf resp, long startNanos) {
    boolean failed = ErrorCounts.isError(resp);
    if (failed) {
      errors.countRaw(resp);
    }
    answered(failed, startNanos);
  }

  private void answered(boolean failed, long startNanos) {
    CounterDataPoint p;
    if (failed) {
      p = error;
      if (p == null) {
        error = p = commands.labelValues(command, "error");
      }
    } else {
      p = ok;
      if (p == null) {
        ok = p = commands.labelValues(command, "ok");
      }
    }
    p.inc();
    if (startNanos != 0) {
      long nanos = System.nanoTime() - startNanos;
      latency.observe(nanos / 1e9);
      timedNanos.add(nanos);
      timed.increment();
    }
  }

  private static long count(CounterDataPoint p) {
    return p == null ? 0 : p.getLongValue();
  }

  /** Returns the commands run since the last reset, failed or not (Redis's {@code calls}). */
  long calls() {
    return count(ok) - okBase + failedCalls();
  }

  /** Returns the commands run since the last reset that answered an error. */
  long failedCalls() {
    return count(error) - errorBase;
  }

  /** Returns the commands refused before they ran since the last reset. */
  long rejectedCalls() {
    return count(rejected) - rejectedBase;
  }

  /**
   * Returns the microseconds the commands run since the last reset took, estimated as their count
   * times the mean of the timed ones (a connection times one command in {@link
   * CommandRecorder#SAMPLE_EVERY}, the first one always).
   */
  long usec() {
    long n = timed.sum() - timedBase;
    if (n <= 0) {
      return 0;
    }
    double mean = (double) (timedNanos.sum() - timedNanosBase) / n;
    return Math.round(mean * calls() / 1000);
  }

  /** Starts the counts INFO shows again from 0 (CONFIG RESETSTAT). */
  void reset() {
    okBase = count(ok);
    errorBase = count(error);
    rejectedBase = count(rejected);
    timedNanosBase = timedNanos.sum();
    timedBase = timed.sum();
  }
}
