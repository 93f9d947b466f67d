package io.ringlb.proxy;

import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * How long clients' requests waited at a ring change's barriers: from the first request a worker
 * held while topologies switched (the drain of every change, and the hold of a cluster's {@code
 * prepare} step until every proxy acknowledged) to the moment it let them go. Recorded on the I/O
 * threads without a lock; INFO migration reads the counts since start (or CONFIG RESETSTAT).
 */
final class BarrierWaits {

  /** Waits are kept in microseconds up to an hour, to three significant digits. */
  private static final long MAX_MICROS = TimeUnit.HOURS.toMicros(1);

  private final Recorder recorder = new Recorder(MAX_MICROS, 3);
  private final Histogram total = new Histogram(MAX_MICROS, 3);

  /** Records one client's requests held for {@code nanos}; any thread. */
  void record(long nanos) {
    recorder.recordValue(Math.min(MAX_MICROS, Math.max(0, nanos / 1_000)));
  }

  /** Forgets every wait recorded so far (CONFIG RESETSTAT). */
  synchronized void reset() {
    recorder.reset();
    total.reset();
  }

  /**
   * Appends INFO migration's fields: the clients held ({@code barrier_waits}) and their wait's 50th
   * and 99th percentile and maximum, in milliseconds.
   */
  synchronized void appendInfo(StringBuilder sb) {
    total.add(recorder.getIntervalHistogram());
    sb.append("barrier_waits:").append(total.getTotalCount()).append("\r\n");
    sb.append("barrier_wait_p50_ms:").append(millis(total.getValueAtPercentile(50))).append("\r\n");
    sb.append("barrier_wait_p99_ms:").append(millis(total.getValueAtPercentile(99))).append("\r\n");
    sb.append("barrier_wait_max_ms:").append(millis(total.getMaxValue())).append("\r\n");
  }

  private static String millis(long micros) {
    return String.format(Locale.ROOT, "%.3f", micros / 1000.0);
  }
}
