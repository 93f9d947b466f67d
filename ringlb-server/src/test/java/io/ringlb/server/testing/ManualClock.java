package io.ringlb.server.testing;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.concurrent.atomic.AtomicLong;

/** A clock that stands still until a test moves it, in milliseconds; thread-safe. */
public final class ManualClock implements InstantSource {

  /** Where new clocks start: 2023-11-14T22:13:20Z, a fixed instant so replies are exact. */
  public static final long START_MILLIS = 1_700_000_000_000L;

  private final AtomicLong millis = new AtomicLong(START_MILLIS);

  @Override
  public long millis() {
    return millis.get();
  }

  @Override
  public Instant instant() {
    return Instant.ofEpochMilli(millis());
  }

  /** Moves the clock forward by {@code duration}, which must not be negative. */
  public void advance(Duration duration) {
    if (duration.isNegative()) {
      throw new IllegalArgumentException("duration must not be negative: " + duration);
    }
    millis.addAndGet(duration.toMillis());
  }
}
