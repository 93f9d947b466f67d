package io.ringlb.proxy;

import java.util.concurrent.TimeUnit;

/**
 * Holds a migration to {@code migration.rate} keys per second over any window of one second: a
 * token bucket that saves no tokens, charged when a batch has moved.
 *
 * <p>A batch may start once the keys moved before it are paid for ({@link #awaitTurn}); when it has
 * moved, its keys are paid for from the later of that time and now ({@link #moved}). So time the
 * migration spent stalled (a frozen target, a retry) is never made up by a burst afterwards, and
 * any second holds at most {@code rate} keys plus the one batch moving at its end. (The rate is a
 * ceiling: the time a batch takes to move is not paid for in advance.) Client requests that move
 * their own keys first are not counted: they move on demand.
 *
 * <p>Used by the control thread only.
 */
final class MoveRate {

  private final int rate;

  /** When the keys moved so far are paid for, in {@link System#nanoTime()} units. */
  private long paidUntil;

  /** A limit of {@code rate} keys per second; 0 means none. */
  MoveRate(int rate) {
    this.rate = rate;
    this.paidUntil = System.nanoTime();
  }

  /** Waits until the keys moved so far are paid for. */
  void awaitTurn() throws InterruptedException {
    if (rate <= 0) {
      return;
    }
    long wait = paidUntil - System.nanoTime();
    if (wait > 0) {
      TimeUnit.NANOSECONDS.sleep(wait);
    }
  }

  /** {@code keys} keys have moved: they are paid for {@code keys / rate} seconds from now. */
  void moved(int keys) {
    if (rate <= 0) {
      return;
    }
    long now = System.nanoTime();
    long from = paidUntil - now > 0 ? paidUntil : now;
    paidUntil = from + keys * 1_000_000_000L / rate;
  }
}
