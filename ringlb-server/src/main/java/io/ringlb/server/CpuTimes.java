package io.ringlb.server;

import java.lang.management.ManagementFactory;
import java.lang.management.OperatingSystemMXBean;
import java.lang.management.ThreadMXBean;
import java.util.Locale;

/**
 * The process's CPU time as INFO's cpu section shows it, in seconds: {@code used_cpu_sys} and
 * {@code used_cpu_user}, and the children's (none: ringlb starts no child process).
 *
 * <p>The JVM tells the process's total CPU time ({@code OperatingSystemMXBean}) and each live
 * thread's user and total time ({@code ThreadMXBean}); the total is split between user and system
 * time in the proportion the live threads show, so the two add up to the process's time.
 */
final class CpuTimes {

  private CpuTimes() {}

  /** Appends the cpu section's lines to {@code out}. */
  static void appendTo(StringBuilder out) {
    long[] times = userAndSystemNanos();
    line(out, "used_cpu_sys", times[1]);
    line(out, "used_cpu_user", times[0]);
    line(out, "used_cpu_sys_children", 0);
    line(out, "used_cpu_user_children", 0);
  }

  /** Returns the process's user and system CPU time so far, in nanoseconds. */
  static long[] userAndSystemNanos() {
    long threadsUser = 0;
    long threadsTotal = 0;
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    if (threads.isThreadCpuTimeSupported() && threads.isThreadCpuTimeEnabled()) {
      for (long id : threads.getAllThreadIds()) {
        long total = threads.getThreadCpuTime(id);
        long user = threads.getThreadUserTime(id);
        if (total >= 0 && user >= 0) { // -1: the thread ended meanwhile
          threadsTotal += total;
          threadsUser += Math.min(user, total);
        }
      }
    }
    long process = -1;
    OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
    if (os instanceof com.sun.management.OperatingSystemMXBean exact) {
      process = exact.getProcessCpuTime();
    }
    if (process < 0) {
      return new long[] {threadsUser, threadsTotal - threadsUser};
    }
    long user =
        threadsTotal == 0 ? process : (long) ((double) process * threadsUser / threadsTotal);
    return new long[] {user, process - user};
  }

  private static void line(StringBuilder out, String name, long nanos) {
    out.append(name)
        .append(':')
        .append(
            String.format(Locale.ROOT, "%d.%06d", nanos / 1_000_000_000, nanos / 1000 % 1_000_000))
        .append("\r\n");
  }
}
