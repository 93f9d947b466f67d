package io.ringlb.proxy;

import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Durations as the configuration file and the command line write them. */
final class Durations {

  private static final Pattern DURATION = Pattern.compile("(\\d+)\\s*(ms|s|m)?");

  /** Parses {@code 250ms}, {@code 3s}, {@code 2m} or a bare number of milliseconds. */
  static Duration duration(Object value, String where) {
    Matcher m = DURATION.matcher(String.valueOf(value).trim().toLowerCase(Locale.ROOT));
    if (!m.matches()) {
      throw new IllegalArgumentException(
          where + " must be a duration such as 500ms, 3s or 1m, not '" + value + "'");
    }
    long n = Long.parseLong(m.group(1));
    String unit = m.group(2) == null ? "ms" : m.group(2);
    return switch (unit) {
      case "s" -> Duration.ofSeconds(n);
      case "m" -> Duration.ofMinutes(n);
      default -> Duration.ofMillis(n);
    };
  }

  private Durations() {}
}
