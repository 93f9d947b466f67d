package io.ringlb.proxy;

import io.netty.channel.EventLoop;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * The proxy's counters for INFO: commands, connections received and refused, commands per
 * second, and the migrations completed.
 */
final class ProxyStats {

  private final long startedMillis = System.currentTimeMillis();
  /** Commands received from clients. */
  private final LongAdder commands = new LongAdder();
  private final AtomicLong connectionsReceived = new AtomicLong();
  /** Connections refused because {@code maxclients} were connected. */
  private final AtomicLong rejectedConnections = new AtomicLong();
  /** Commands per second in the last 16 intervals of 100 ms, as Redis samples them. */
  private final long[] opsSamples = new long[16];
  private int opsSample;
  private long lastCommands;
  private long lastSampleNanos = System.nanoTime();
  private volatile long opsPerSecond;
  private final AtomicLong migrationsCompleted = new AtomicLong();
  private volatile Migration lastMigration;

  /** Samples the commands per second every 100 ms on {@code loop}. */
  void start(EventLoop loop) {
    // On an I/O thread, not the control thread, which a migration keeps busy for its whole run.
    loop.scheduleAtFixedRate(this::sampleOps, 100, 100, TimeUnit.MILLISECONDS);
  }

  /** Records the commands per second since the last sample; on the loop given to start. */
  private void sampleOps() {
    long now = System.nanoTime();
    long count = commands.sum();
    long elapsed = Math.max(1, now - lastSampleNanos);
    opsSamples[opsSample++ & (opsSamples.length - 1)] =
        (count - lastCommands) * 1_000_000_000L / elapsed;
    lastCommands = count;
    lastSampleNanos = now;
    long sum = 0;
    for (long sample : opsSamples) {
      sum += sample;
    }
    opsPerSecond = sum / opsSamples.length;
  }

  void countCommand() {
    commands.increment();
  }

  void countConnection() {
    connectionsReceived.incrementAndGet();
  }

  void countRejectedConnection() {
    rejectedConnections.incrementAndGet();
  }

  /** Counts {@code m} as completed and keeps it as the last one. */
  void migrationCompleted(Migration m) {
    migrationsCompleted.incrementAndGet();
    lastMigration = m;
  }

  long startedMillis() {
    return startedMillis;
  }

  long commands() {
    return commands.sum();
  }

  long connectionsReceived() {
    return connectionsReceived.get();
  }

  long rejectedConnections() {
    return rejectedConnections.get();
  }

  /** Returns the commands per second over the last 1.6 s, as INFO's instantaneous_ops_per_sec. */
  long instantaneousOpsPerSecond() {
    return opsPerSecond;
  }

  long migrationsCompleted() {
    return migrationsCompleted.get();
  }

  /** The migration completed last, or null. */
  Migration lastMigration() {
    return lastMigration;
  }
}
