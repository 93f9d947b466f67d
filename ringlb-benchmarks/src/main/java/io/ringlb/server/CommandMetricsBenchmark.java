package io.ringlb.server;

import io.netty.handler.codec.redis.RedisMessage;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What the command metrics add to one command on the front end's hot path, with the real classes
 * {@code CommandTable.dispatch} uses: without an HTTP port ({@code off}: the null check), with one
 * ({@code on}: a counter increment, one command in 16 timed), and timing every command ({@code
 * everyCommandTimed}, the design not taken).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class CommandMetricsBenchmark {

  private final CommandRecorder recorder = new CommandRecorder();
  private final RedisMessage reply = Replies.OK;
  private CommandStats stats;
  private CommandStats none;

  /** Registers the metrics and resolves GET's data points, as the table does once. */
  @Setup
  public void setUp() {
    stats =
        new CommandMetrics(new PrometheusRegistry())
            .statsFor("get", CommandSpec.of("get", 2, "readonly fast", 1, 1, 1));
    none = null;
  }

  /** No HTTP port: the entry has no stats. */
  @Benchmark
  public RedisMessage off() {
    CommandStats s = none;
    if (s != null) {
      recorder.begin(s);
    }
    recorder.end(reply);
    return reply;
  }

  /** With an HTTP port: what dispatch does for a command answered at once. */
  @Benchmark
  public RedisMessage on() {
    recorder.begin(stats);
    recorder.end(reply);
    return reply;
  }

  /** Every command timed: two clock reads and a histogram observation each. */
  @Benchmark
  public RedisMessage everyCommandTimed() {
    stats.answered(reply, System.nanoTime());
    return reply;
  }
}
