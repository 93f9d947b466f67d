package io.ringlb.proxy;

import java.time.Duration;
import java.util.Locale;
import java.util.Objects;

/**
 * When the proxy acknowledges a write: as soon as the primary answers ({@code async}, Redis's own
 * behaviour), or once at least {@code minReplicas} replicas have it ({@code replicated}: the proxy
 * follows the writes on a connection with one {@code WAIT minReplicas timeout}).
 *
 * @param mode async or replicated
 * @param minReplicas how many replicas must have a write before it is acknowledged (replicated)
 * @param timeout how long the replicas may take before the write is answered an error instead
 */
public record Durability(Mode mode, int minReplicas, Duration timeout) {

  /** The default: writes acknowledged as the primary answers, replicated asynchronously. */
  public static final Durability ASYNC = new Durability(Mode.ASYNC, 1, Duration.ofSeconds(1));

  /** How writes are acknowledged. */
  public enum Mode {
    /** As the primary answers; replicas copy the write afterwards. */
    ASYNC,
    /** Once {@code min-replicas} replicas have the write. */
    REPLICATED;

    /** Parses {@code async} or {@code replicated}, naming {@code what} in the error. */
    public static Mode parse(String text, String what) {
      String t = text == null ? "" : text.trim().toLowerCase(Locale.ROOT);
      return switch (t) {
        case "async" -> ASYNC;
        case "replicated" -> REPLICATED;
        default ->
            throw new IllegalArgumentException(
                what + " must be async or replicated, not '" + text + "'");
      };
    }

    @Override
    public String toString() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** Validates the settings. */
  public Durability {
    Objects.requireNonNull(mode, "durability mode");
    Objects.requireNonNull(timeout, "durability timeout");
    if (minReplicas < 1 || minReplicas > 100) {
      throw new IllegalArgumentException(
          "durability min-replicas must be from 1 to 100: " + minReplicas);
    }
    if (timeout.isNegative() || timeout.isZero() || timeout.toMillis() > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(
          "durability timeout must be positive: " + timeout.toMillis() + " ms");
    }
  }

  /** Parses a timeout such as {@code 500ms} or {@code 1s}, as {@code --durability-timeout}. */
  public static Duration parseTimeout(String text) {
    return Durations.duration(text, "--durability-timeout");
  }

  /** Returns whether writes wait for replicas. */
  public boolean replicated() {
    return mode == Mode.REPLICATED;
  }

  /** Returns these settings with {@code m} as the mode. */
  public Durability withMode(Mode m) {
    return new Durability(m, minReplicas, timeout);
  }

  /** Returns these settings with {@code n} as the replicas a write needs. */
  public Durability withMinReplicas(int n) {
    return new Durability(mode, n, timeout);
  }

  /** Returns these settings with {@code t} as the time the replicas may take. */
  public Durability withTimeout(Duration t) {
    return new Durability(mode, minReplicas, t);
  }

  @Override
  public String toString() {
    return replicated()
        ? "replicated (min-replicas " + minReplicas + ", timeout " + timeout.toMillis() + " ms)"
        : "async";
  }
}
