package io.ringlb.cli;

import java.util.Locale;

/** Text helpers for the run report's page: escaping, numbers as people read them, colours. */
final class Html {

  private Html() {}

  /** Returns {@code text} safe inside an element or a quoted attribute. */
  static String escape(String text) {
    StringBuilder out = new StringBuilder(text.length() + 16);
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      switch (c) {
        case '&' -> out.append("&amp;");
        case '<' -> out.append("&lt;");
        case '>' -> out.append("&gt;");
        case '"' -> out.append("&quot;");
        case '\'' -> out.append("&#39;");
        default -> {
          if (c < 0x20 && c != '\t' && c != '\n' || c == 0x7f) {
            out.append('\uFFFD'); // control characters are not allowed in HTML text
          } else {
            out.append(c);
          }
        }
      }
    }
    return out.toString();
  }

  /** Returns {@code n} with thousands separated by commas. */
  static String count(long n) {
    return String.format(Locale.ROOT, "%,d", n);
  }

  /** Returns {@code n} followed by {@code noun}, plural unless {@code n} is 1. */
  static String count(long n, String noun) {
    return count(n) + " " + noun + (n == 1 ? "" : "s");
  }

  /**
   * Returns {@code fraction} as a percentage with two decimals, or four when it is below 0.01% and
   * not 0, as each share is when there are thousands of servers.
   */
  static String percent(double fraction) {
    boolean small = fraction > 0 && fraction < 0.0001;
    return String.format(Locale.ROOT, small ? "%.4f%%" : "%.2f%%", 100 * fraction);
  }

  /** Returns a number for an SVG coordinate: two decimals, no exponent. */
  static String coordinate(double value) {
    return String.format(Locale.ROOT, "%.2f", value);
  }

  /** Returns an unsigned 32-bit ring position in hexadecimal. */
  static String position(int position) {
    return String.format(Locale.ROOT, "0x%08x", position);
  }

  /**
   * Returns the colour of server {@code id}: hues a golden angle apart, so that servers of close
   * ids differ, in three lightnesses; the same id has the same colour in every report.
   */
  static String colour(int id) {
    double hue = (id * 137.508) % 360;
    int lightness = 38 + (id % 3) * 10;
    return String.format(Locale.ROOT, "hsl(%.1f,68%%,%d%%)", hue, lightness);
  }
}
