package io.ringlb.server.embedded;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A number as Redis's INCRBYFLOAT keeps it: an x87 80-bit long double, 64 significant bits rounded
 * half to even, with the exponent range of that format, parsed as {@code strtold} parses and
 * printed as Redis prints it ({@code %.17Lf}, trailing zeros dropped). Java's double has 53 bits,
 * which would print {@code 10.5 + 0.1} as {@code 10.59999999999999964}; this prints {@code 10.6},
 * as Redis does. Immutable; exact big-integer arithmetic, then one rounding per operation.
 */
final class LongDouble {

  /** Significant bits of the format. */
  private static final int PRECISION = 64;

  /** A value at or above 2^MAX_EXPONENT is infinite. */
  private static final int MAX_EXPONENT = 16384;

  /** Values below 2^MIN_EXPONENT (the smallest subnormal) round to zero. */
  private static final int MIN_EXPONENT = -16445;

  /** The longest text Redis parses as a long double ({@code MAX_LONG_DOUBLE_CHARS}). */
  private static final int MAX_CHARS = 5 * 1024;

  private static final Pattern DECIMAL =
      Pattern.compile("([+-]?)(\\d*)(?:\\.(\\d*))?(?:[eE]([+-]?\\d+))?");
  private static final Pattern HEX =
      Pattern.compile("([+-]?)0[xX]([0-9a-fA-F]*)(?:\\.([0-9a-fA-F]*))?(?:[pP]([+-]?\\d+))?");
  private static final Pattern INFINITY = Pattern.compile("[+-]?(?i:inf|infinity)");

  static final LongDouble ZERO = new LongDouble(false, BigInteger.ZERO, 0);

  private final boolean negative;

  /** The magnitude is {@code mantissa * 2^exponent}; mantissa has at most 64 bits. */
  private final BigInteger mantissa;

  private final int exponent;

  private LongDouble(boolean negative, BigInteger mantissa, int exponent) {
    this.negative = negative;
    this.mantissa = mantissa;
    this.exponent = exponent;
  }

  /**
   * Parses {@code text} as Redis's {@code string2ld} does: the whole text must be a number ({@code
   * strtold}'s decimal or hexadecimal form), with no leading blank, not NaN, not out of range;
   * returns null otherwise. Infinity parses, as {@link #INFINITE}.
   */
  static LongDouble parse(byte[] text) {
    if (text.length == 0 || text.length >= MAX_CHARS) {
      return null;
    }
    String s = new String(text, StandardCharsets.ISO_8859_1);
    if (INFINITY.matcher(s).matches()) {
      return INFINITE;
    }
    Matcher hex = HEX.matcher(s);
    if (hex.matches()) {
      return parseDigits(hex, 16, 4);
    }
    Matcher dec = DECIMAL.matcher(s);
    if (dec.matches()) {
      return parseDigits(dec, 10, 0);
    }
    return null;
  }

  /** An infinite value: any sum with it is refused. */
  static final LongDouble INFINITE = new LongDouble(false, BigInteger.ONE, Integer.MAX_VALUE);

  private static LongDouble parseDigits(Matcher m, int radix, int bitsPerDigit) {
    String whole = m.group(2);
    String fraction = m.group(3) == null ? "" : m.group(3);
    if (whole.isEmpty() && fraction.isEmpty()) {
      return null;
    }
    boolean negative = m.group(1).equals("-");
    long power = 0;
    if (m.group(4) != null) {
      String e = m.group(4);
      try {
        power = Long.parseLong(e.startsWith("+") ? e.substring(1) : e);
      } catch (NumberFormatException tooLong) {
        power = e.startsWith("-") ? Long.MIN_VALUE / 4 : Long.MAX_VALUE / 4;
      }
    }
    BigInteger digits = new BigInteger(whole + fraction, radix);
    if (digits.signum() == 0) {
      return new LongDouble(negative, BigInteger.ZERO, 0);
    }
    if (radix == 16) {
      long e = power - (long) bitsPerDigit * fraction.length();
      return rounded(negative, digits, clamp(e), false);
    }
    long scale = fraction.length() - power; // value = digits / 10^scale
    long magnitude = digits.bitLength() - (long) (scale * 3.3219280948873626);
    if (magnitude > MAX_EXPONENT + 8) {
      return null; // ERANGE, HUGE_VAL
    }
    if (magnitude < MIN_EXPONENT - 8) {
      return null; // ERANGE, rounds to zero
    }
    BigInteger num = digits;
    BigInteger den = BigInteger.ONE;
    if (scale < 0) {
      num = digits.multiply(BigInteger.TEN.pow((int) -scale));
    } else {
      den = BigInteger.TEN.pow((int) scale);
    }
    LongDouble v = quotient(negative, num, den);
    return v == null || v.mantissa.signum() == 0 ? null : v;
  }

  private static int clamp(long e) {
    return (int) Math.max(Integer.MIN_VALUE / 2, Math.min(Integer.MAX_VALUE / 2, e));
  }

  /** Returns num/den rounded to the format, or null when it overflows. */
  private static LongDouble quotient(boolean negative, BigInteger num, BigInteger den) {
    int shift = PRECISION + 2 - (num.bitLength() - den.bitLength());
    BigInteger n = shift > 0 ? num.shiftLeft(shift) : num;
    BigInteger d = shift < 0 ? den.shiftLeft(-shift) : den;
    BigInteger[] qr = n.divideAndRemainder(d);
    return rounded(negative, qr[0], -shift, qr[1].signum() != 0);
  }

  /**
   * Returns {@code value * 2^exponent} (plus less than one unit of {@code value} when {@code
   * sticky}) rounded half to even to 64 bits, or null when it overflows.
   */
  private static LongDouble rounded(
      boolean negative, BigInteger value, int exponent, boolean sticky) {
    int excess = value.bitLength() - PRECISION;
    int bottom = MIN_EXPONENT - exponent; // subnormals keep fewer bits
    if (bottom > excess) {
      excess = bottom;
    }
    if (excess > 0) {
      BigInteger kept = value.shiftRight(excess);
      boolean half = value.testBit(excess - 1);
      boolean below = sticky || value.getLowestSetBit() < excess - 1;
      if (half && (below || kept.testBit(0))) {
        kept = kept.add(BigInteger.ONE);
      }
      value = kept;
      exponent += excess;
      if (value.bitLength() > PRECISION) {
        value = value.shiftRight(1);
        exponent++;
      }
    }
    if (value.signum() != 0 && (long) exponent + value.bitLength() > MAX_EXPONENT) {
      return null;
    }
    return new LongDouble(negative, value, exponent);
  }

  /** Returns the rounded sum, or null when it is infinite. */
  LongDouble plus(LongDouble other) {
    if (this == INFINITE || other == INFINITE) {
      return null;
    }
    int low = Math.min(exponent, other.exponent);
    BigInteger a = signed().shiftLeft(exponent - low);
    BigInteger b = other.signed().shiftLeft(other.exponent - low);
    BigInteger sum = a.add(b);
    if (sum.signum() == 0) {
      return ZERO; // x + (-x) is +0 in round-to-nearest
    }
    return rounded(sum.signum() < 0, sum.abs(), low, false);
  }

  private BigInteger signed() {
    return negative ? mantissa.negate() : mantissa;
  }

  /** Returns the value as Redis's {@code ld2string} in human mode writes it. */
  String toHumanString() {
    BigDecimal exact =
        exponent >= 0
            ? new BigDecimal(mantissa.shiftLeft(exponent))
            : new BigDecimal(mantissa.multiply(BigInteger.valueOf(5).pow(-exponent)), -exponent);
    String text = exact.setScale(17, RoundingMode.HALF_EVEN).toPlainString();
    int end = text.length();
    while (text.charAt(end - 1) == '0') {
      end--;
    }
    if (text.charAt(end - 1) == '.') {
      end--;
    }
    text = text.substring(0, end);
    if (negative && !text.equals("0")) {
      return "-" + text;
    }
    return text;
  }

  @Override
  public String toString() {
    return toHumanString();
  }
}
