package io.ringlb.cli;

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

  /**
   * Returns {@code n} with thousands separated by commas (without a Formatter: pages have many).
   */
  static String count(long n) {
    String digits = Long.toString(n);
    int start = n < 0 ? 1 : 0;
    int length = digits.length() - start;
    if (length <= 3) {
      return digits;
    }
    StringBuilder out = new StringBuilder(digits.length() + length / 3);
    out.append(digits, 0, start);
    for (int i = start; i < digits.length(); i++) {
      if (i > start && (digits.length() - i) % 3 == 0) {
        out.append(',');
      }
      out.append(digits.charAt(i));
    }
    return out.toString();
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
    return fixed(100 * fraction, small ? 4 : 2) + "%";
  }

  /** Returns a number for an SVG coordinate: two decimals, no exponent. */
  static String coordinate(double value) {
    return fixed(value, 2);
  }

  /**
   * Returns {@code value} rounded to {@code decimals} (1 to 4) decimals, without a {@link
   * java.util.Formatter}, which would cost more than the rest of a page's row.
   */
  static String fixed(double value, int decimals) {
    long scale = decimals == 1 ? 10 : decimals == 2 ? 100 : decimals == 3 ? 1000 : 10_000;
    long scaled = Math.round(Math.abs(value) * scale);
    String fraction = Long.toString(scale + scaled % scale).substring(1);
    return (value < 0 && scaled != 0 ? "-" : "") + scaled / scale + "." + fraction;
  }

  /** Returns an unsigned 32-bit ring position in hexadecimal. */
  static String position(int position) {
    String hex = Integer.toHexString(position);
    return "0x" + "00000000".substring(hex.length()) + hex;
  }

  /**
   * Returns the colour of server {@code id}: hues a golden angle apart, so that servers of close
   * ids differ, in three lightnesses; the same id has the same colour in every report.
   */
  static String colour(int id) {
    double hue = (id * 137.508) % 360;
    int lightness = 38 + (id % 3) * 10;
    return "hsl(" + fixed(hue, 1) + ",68%," + lightness + "%)";
  }
}
