package io.ringlb.proxy;

import java.util.Collection;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * Ejects a backend that failed {@code eject.after-failures} times in a row, and lets it back in
 * once it answers PING after {@code eject.retry}; the control plane publishes the topology that
 * routes around the ejected ones. Nothing is ejected while a migration runs.
 */
final class Ejection {

  private final int afterFailures;
  private final long retryNanos;
  private final long pingTimeoutMillis;
  private final Collection<Backend> backends;
  private final BooleanSupplier closed;
  private final BooleanSupplier migrating;
  private final ScheduledExecutorService control;
  private final Runnable publish;

  /**
   * Watches {@code backends} (a live view), running {@code publish} on the {@code control} thread
   * when the set of ejected backends changed.
   */
  Ejection(
      ProxyConfig config,
      Collection<Backend> backends,
      BooleanSupplier closed,
      BooleanSupplier migrating,
      ScheduledExecutorService control,
      Runnable publish) {
    this.afterFailures = config.ejectAfterFailures();
    this.retryNanos = config.ejectRetry().toNanos();
    this.pingTimeoutMillis = config.requestTimeout().toMillis() + 1000;
    this.backends = backends;
    this.closed = closed;
    this.migrating = migrating;
    this.control = control;
    this.publish = publish;
  }

  /** Starts trying the ejected backends again, every 200 ms, on the control thread. */
  void start() {
    control.scheduleWithFixedDelay(this::retryEjected, 200, 200, TimeUnit.MILLISECONDS);
  }

  /** A backend failed {@code consecutive} times in a row; eject it when configured so. */
  void backendFailed(Backend b, int consecutive) {
    if (afterFailures <= 0
        || consecutive < afterFailures
        || b.isEjected()
        || closed.getAsBoolean()
        || migrating.getAsBoolean()) {
      return;
    }
    if (b.eject(System.nanoTime() + retryNanos)) {
      control.execute(publish);
    }
  }

  private void retryEjected() {
    try {
      if (closed.getAsBoolean()) {
        return;
      }
      boolean changed = false;
      for (Backend b : backends) {
        if (b.retryDue(System.nanoTime())) {
          Object pong = b.callQuietly(pingTimeoutMillis, "PING");
          if ("PONG".equals(pong)) {
            b.readmit();
            changed = true;
          } else {
            b.retryAt(System.nanoTime() + retryNanos);
          }
        }
      }
      if (changed) {
        publish.run();
      }
    } catch (RuntimeException e) {
      // try again on the next tick
    }
  }
}
