package io.ringlb.conformance;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * The one readable notation for bytes that the exchange files, the suite's output and
 * docs/CONFORMANCE.md share: printable ASCII as itself, and {@code \r}, {@code \n}, {@code \t},
 * {@code \\}, {@code \"} and {@code \xHH} for the rest.
 *
 * <p>{@link #escape} also writes {@code `} and {@code |} as {@code \x60} and {@code \x7c}, so a
 * rendering always fits in a Markdown table's code span; {@code "} stays itself there.
 */
final class Rendering {

  private static final char[] HEX = "0123456789abcdef".toCharArray();

  private Rendering() {}

  /** Renders {@code bytes}: {@code +OK\r\n} for the bytes of a RESP OK. */
  static String escape(byte[] bytes) {
    StringBuilder sb = new StringBuilder(bytes.length + 16);
    for (byte value : bytes) {
      int b = value & 0xFF;
      switch (b) {
        case '\r' -> sb.append("\\r");
        case '\n' -> sb.append("\\n");
        case '\t' -> sb.append("\\t");
        case '\\' -> sb.append("\\\\");
        default -> {
          if (b < 0x20 || b >= 0x7F || b == '`' || b == '|') {
            sb.append("\\x").append(HEX[b >> 4]).append(HEX[b & 0xF]);
          } else {
            sb.append((char) b);
          }
        }
      }
    }
    return sb.toString();
  }

  /** Renders {@code text}'s ISO-8859-1 bytes. */
  static String escape(String text) {
    return escape(text.getBytes(StandardCharsets.ISO_8859_1));
  }

  /**
   * Returns the bytes {@code text} denotes: the inverse of {@link #escape}, also accepting {@code
   * \"}.
   *
   * @throws IllegalArgumentException naming the bad escape, for one that is not in the notation
   */
  static byte[] unescape(String text) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(text.length());
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c > 0xFF) {
        throw new IllegalArgumentException(
            "character U+"
                + Integer.toHexString(c)
                + " is not a byte (write \\xHH escapes) in: "
                + text);
      }
      if (c != '\\') {
        out.write(c);
        continue;
      }
      if (i + 1 >= text.length()) {
        throw new IllegalArgumentException("lone \\ at the end of: " + text);
      }
      char e = text.charAt(++i);
      switch (e) {
        case 'r' -> out.write('\r');
        case 'n' -> out.write('\n');
        case 't' -> out.write('\t');
        case '\\' -> out.write('\\');
        case '"' -> out.write('"');
        case 'x' -> {
          if (i + 2 >= text.length()) {
            throw new IllegalArgumentException("\\x needs two hex digits in: " + text);
          }
          int hi = Character.digit(text.charAt(i + 1), 16);
          int lo = Character.digit(text.charAt(i + 2), 16);
          if (hi < 0 || lo < 0) {
            throw new IllegalArgumentException("\\x needs two hex digits in: " + text);
          }
          out.write(hi << 4 | lo);
          i += 2;
        }
        default -> throw new IllegalArgumentException("unknown escape \\" + e + " in: " + text);
      }
    }
    return out.toByteArray();
  }
}
