package io.ringlb.server;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.redis.ErrorRedisMessage;
import io.netty.handler.codec.redis.RedisMessage;
import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.datapoints.DistributionDataPoint;
import io.prometheus.metrics.core.metrics.Counter;

/**
 * One command's metric data points, each resolved once, when the command first has that result (so
 * that {@code /metrics} lists the commands clients use, not every one registered): its counts by
 * result and its family's latency histogram. Thread-safe; touched once per command on the hot path.
 */
final class CommandStats {

  private final Counter commands;
  private final String command;
  private final DistributionDataPoint latency;
  private volatile CounterDataPoint ok;
  private volatile CounterDataPoint error;
  private volatile CounterDataPoint rejected;

  CommandStats(Counter commands, String command, DistributionDataPoint latency) {
    this.commands = commands;
    this.command = command;
    this.latency = latency;
  }

  /** Counts a command refused before it ran (arity, authentication, permission). */
  void rejected() {
    CounterDataPoint p = rejected;
    if (p == null) {
      rejected = p = commands.labelValues(command, "rejected");
    }
    p.inc();
  }

  /**
   * Counts a command answered with {@code reply}, timed from {@code startNanos} when it is not 0
   * ({@link CommandRecorder}).
   */
  void answered(RedisMessage reply, long startNanos) {
    answered(reply instanceof ErrorRedisMessage, startNanos);
  }

  /** As {@link #answered(RedisMessage, long)}, for a reply that came as RESP bytes. */
  void answeredRaw(ByteBuf resp, long startNanos) {
    answered(resp.isReadable() && resp.getByte(resp.readerIndex()) == '-', startNanos);
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
      latency.observe((System.nanoTime() - startNanos) / 1e9);
    }
  }
}
