package io.ringlb.server;

import io.netty.handler.codec.redis.RedisMessage;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Locale;

/**
 * {@link CommandMetricsBenchmark}'s three cases timed in this thread's CPU time rather than wall
 * time, for a machine shared with other work, where wall time also counts the time the thread
 * waited for a core: each case runs 20 rounds of 10M commands, alternating, and the median round is
 * printed in ns of CPU per command.
 *
 * <pre>java -cp ringlb-benchmarks/target/benchmarks.jar io.ringlb.server.CommandMetricsCpu</pre>
 */
public final class CommandMetricsCpu {

  private static final int ROUNDS = 20;
  private static final int COMMANDS = 10_000_000;

  private final CommandRecorder recorder = new CommandRecorder();
  private final RedisMessage reply = Replies.OK;
  private final CommandStats stats;
  private CommandStats none;
  private long sink;

  private CommandMetricsCpu() {
    stats =
        new CommandMetrics(new PrometheusRegistry())
            .statsFor("get", CommandSpec.of("get", 2, "readonly fast", 1, 1, 1));
  }

  private void off(int n) {
    for (int i = 0; i < n; i++) {
      CommandStats s = none;
      if (s != null) {
        recorder.begin(s);
      }
      recorder.end(reply);
      sink += i;
    }
  }

  private void on(int n) {
    for (int i = 0; i < n; i++) {
      recorder.begin(stats);
      recorder.end(reply);
      sink += i;
    }
  }

  private void everyCommandTimed(int n) {
    for (int i = 0; i < n; i++) {
      stats.answered(reply, System.nanoTime());
      sink += i;
    }
  }

  /** Runs the three cases and prints the median ns of CPU per command of each. */
  public static void main(String[] args) {
    CommandMetricsCpu b = new CommandMetricsCpu();
    ThreadMXBean cpu = ManagementFactory.getThreadMXBean();
    String[] names = {"off", "on", "everyCommandTimed"};
    double[][] ns = new double[names.length][ROUNDS];
    for (int round = -3; round < ROUNDS; round++) { // three rounds of warm-up
      for (int c = 0; c < names.length; c++) {
        long start = cpu.getCurrentThreadCpuTime();
        switch (c) {
          case 0 -> b.off(COMMANDS);
          case 1 -> b.on(COMMANDS);
          default -> b.everyCommandTimed(COMMANDS);
        }
        long used = cpu.getCurrentThreadCpuTime() - start;
        if (round >= 0) {
          ns[c][round] = (double) used / COMMANDS;
        }
      }
    }
    for (int c = 0; c < names.length; c++) {
      java.util.Arrays.sort(ns[c]);
      System.out.printf(
          Locale.ROOT,
          "%-18s %7.2f ns CPU per command (median of %d rounds; min %.2f, max %.2f)%n",
          names[c],
          (ns[c][ROUNDS / 2 - 1] + ns[c][ROUNDS / 2]) / 2,
          ROUNDS,
          ns[c][0],
          ns[c][ROUNDS - 1]);
    }
    System.out.println("(checksum " + (b.sink & 1) + ")");
  }
}
