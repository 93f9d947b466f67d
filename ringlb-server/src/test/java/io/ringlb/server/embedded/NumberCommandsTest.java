package io.ringlb.server.embedded;

import static io.ringlb.server.embedded.EmbeddedWire.bulk;
import static org.assertj.core.api.Assertions.assertThat;

import io.ringlb.server.Wire;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

/** INCRBYFLOAT on the embedded server, and the long double arithmetic under it. */
class NumberCommandsTest {

  private static LongDouble ld(String text) {
    return LongDouble.parse(text.getBytes(StandardCharsets.US_ASCII));
  }

  @Test
  void incrbyfloat_printsAsRedisDoes() {
    EmbeddedWire server = new EmbeddedWire();
    try (Wire w = server.connect()) {
      assertThat(w.call("INCRBYFLOAT", "f", "10.5")).isEqualTo(bulk("10.5"));
      assertThat(w.call("INCRBYFLOAT", "f", "0.1")).isEqualTo(bulk("10.6"));
      assertThat(w.call("INCRBYFLOAT", "f", "-10.6")).isEqualTo(bulk("0"));
      assertThat(w.call("INCRBYFLOAT", "f", "5.0e3")).isEqualTo(bulk("5000"));
      w.call("SET", "f", "1", "EX", "100");
      assertThat(w.call("INCRBYFLOAT", "f", "1.5")).isEqualTo(bulk("2.5"));
      assertThat(w.call("TTL", "f")).isEqualTo(":100\r\n");
      assertThat(w.call("INCRBYFLOAT", "f", "x")).isEqualTo("-ERR value is not a valid float\r\n");
      assertThat(w.call("INCRBYFLOAT", "f", "inf"))
          .isEqualTo("-ERR increment would produce NaN or Infinity\r\n");
      w.call("SET", "s", " 1");
      assertThat(w.call("INCRBYFLOAT", "s", "1")).isEqualTo("-ERR value is not a valid float\r\n");
    }
  }

  @Test
  void longDouble_keeps64Bits_where53WouldShow() {
    assertThat(ld("10.5").plus(ld("0.1")).toHumanString()).isEqualTo("10.6");
    assertThat(ld("0.1").plus(ld("0.2")).toHumanString()).isEqualTo("0.3");
    assertThat(ld("1e400").toHumanString()).startsWith("1000000000000000000");
    assertThat(ld("-0").plus(ld("0")).toHumanString()).isEqualTo("0");
    assertThat(ld("-1e-20").plus(LongDouble.ZERO).toHumanString()).isEqualTo("0");
    assertThat(ld("0x10").plus(ld("1")).toHumanString()).isEqualTo("17");
    assertThat(ld("nan")).isNull();
    assertThat(ld("1e")).isNull();
    assertThat(ld("1e5000")).isNull();
    assertThat(ld("1e-5000")).isNull();
    assertThat(ld("0e99999")).isNotNull();
    assertThat(ld("1.18973149535723176502e+4932").plus(ld("1e4932"))).isNull(); // overflows
  }

  /** A stored value is an integer exactly when it is one's canonical decimal text. */
  @Property(tries = 300)
  void isLong_acceptsCanonicalDecimalsOnly(@ForAll long v) {
    String text = Long.toString(v);
    assertThat(NumberCommands.isLong(text.getBytes(StandardCharsets.US_ASCII))).isTrue();
    assertThat(NumberCommands.isLong(("+" + text).getBytes(StandardCharsets.US_ASCII))).isFalse();
    assertThat(NumberCommands.isLong((text + " ").getBytes(StandardCharsets.US_ASCII))).isFalse();
    String padded = v < 0 ? "-0" + text.substring(1) : "0" + text;
    assertThat(NumberCommands.isLong(padded.getBytes(StandardCharsets.US_ASCII))).isFalse();
    assertThat(NumberCommands.isLong("9223372036854775808".getBytes(StandardCharsets.US_ASCII)))
        .isFalse();
  }

  /** Integers below 2^64 are exact in a 64-bit significand, so sums print as exact integers. */
  @Property(tries = 300)
  void longDouble_sumsOfLongs_areExact(@ForAll long a, @ForAll int b) {
    BigInteger exact = BigInteger.valueOf(a).add(BigInteger.valueOf(b));
    String printed = ld(Long.toString(a)).plus(ld(Integer.toString(b))).toHumanString();
    assertThat(printed).isEqualTo(exact.toString());
  }

  /**
   * A decimal below 1 with few digits parses and prints back as itself: its rounding error (under
   * 2^-64) is below what 17 places show.
   */
  @Property(tries = 300)
  void longDouble_shortDecimals_printBack(@ForAll int digits, @ForAll byte places) {
    int scale = 5 + Math.floorMod(places, 3);
    BigInteger unscaled = BigInteger.valueOf(digits % 100_000);
    String text = new java.math.BigDecimal(unscaled, scale).toPlainString();
    String back = ld(text).plus(LongDouble.ZERO).toHumanString();
    assertThat(new java.math.BigDecimal(back)).isEqualByComparingTo(text);
  }
}
