package io.ringlb.server.embedded;

import static io.ringlb.server.embedded.EmbeddedWire.bulk;
import static org.assertj.core.api.Assertions.assertThat;

import io.ringlb.server.Wire;
import java.nio.charset.StandardCharsets;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** SETRANGE, GETRANGE, SUBSTR, LCS, APPEND and the bit commands on the embedded server. */
class RangeAndBitCommandsTest {

  private final EmbeddedWire server = new EmbeddedWire();
  private final Wire w = server.connect();

  @AfterEach
  void close() {
    w.close();
  }

  @Test
  void setrange_padsWithZeros_andMarksTheValueRaw() {
    w.call("SET", "k", "1234");
    assertThat(w.call("OBJECT", "ENCODING", "k")).isEqualTo(bulk("int"));
    assertThat(w.call("SETRANGE", "k", "5", "2")).isEqualTo(":6\r\n");
    assertThat(w.call("GET", "k")).isEqualTo(bulk("1234\0" + "2"));
    assertThat(w.call("OBJECT", "ENCODING", "k")).isEqualTo(bulk("raw"));
    w.call("SET", "k", "1234");
    assertThat(w.call("SETRANGE", "k", "0", "")).isEqualTo(":4\r\n");
    assertThat(w.call("OBJECT", "ENCODING", "k")).isEqualTo(bulk("int"));
    assertThat(w.call("SETRANGE", "k", "-1", "x")).isEqualTo("-ERR offset is out of range\r\n");
    assertThat(w.call("SETRANGE", "k", "536870911", "xy"))
        .isEqualTo("-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n");
    assertThat(w.call("SETRANGE", "new", "2", "")).isEqualTo(":0\r\n");
    assertThat(w.call("EXISTS", "new")).isEqualTo(":0\r\n");
  }

  @Test
  void getrange_readsIndexesAsRedis() {
    w.call("SET", "k", "This is a string");
    assertThat(w.call("GETRANGE", "k", "0", "3")).isEqualTo(bulk("This"));
    assertThat(w.call("GETRANGE", "k", "-3", "-1")).isEqualTo(bulk("ing"));
    assertThat(w.call("GETRANGE", "k", "10", "100")).isEqualTo(bulk("string"));
    assertThat(w.call("GETRANGE", "k", "-1", "-5")).isEqualTo(bulk(""));
    assertThat(w.call("SUBSTR", "k", "5", "6")).isEqualTo(bulk("is"));
    assertThat(w.call("GETRANGE", "nokey", "0", "1")).isEqualTo(bulk(""));
  }

  @Test
  void append_toExistingValue_keepsTheDeadline() {
    w.call("SET", "k", "12", "EX", "50");
    assertThat(w.call("APPEND", "k", "34")).isEqualTo(":4\r\n");
    assertThat(w.call("TTL", "k")).isEqualTo(":50\r\n");
    assertThat(w.call("OBJECT", "ENCODING", "k")).isEqualTo(bulk("raw"));
    assertThat(w.call("APPEND", "fresh", "56")).isEqualTo(":2\r\n");
    assertThat(w.call("OBJECT", "ENCODING", "fresh")).isEqualTo(bulk("int"));
  }

  @Test
  void lcs_answersStringLengthAndRanges() {
    w.call("MSET", "a", "ohmytext", "b", "mynewtext");
    assertThat(w.call("LCS", "a", "b")).isEqualTo(bulk("mytext"));
    assertThat(w.call("LCS", "a", "b", "LEN")).isEqualTo(":6\r\n");
    assertThat(w.call("LCS", "a", "b", "IDX", "MINMATCHLEN", "4", "WITHMATCHLEN"))
        .isEqualTo(
            "*4\r\n"
                + bulk("matches")
                + "*1\r\n*3\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n:4\r\n"
                + bulk("len")
                + ":6\r\n");
    assertThat(w.call("LCS", "a", "b", "LEN", "IDX"))
        .isEqualTo("-ERR If you want both the length and indexes, please just use IDX.\r\n");
  }

  /** The common subsequence found is one of both strings, of the length the table gives. */
  @Property(tries = 200)
  void lcs_isACommonSubsequenceOfItsLength(
      @ForAll @Size(max = 12) byte[] a, @ForAll @Size(max = 12) byte[] b) {
    byte[] alphabet = {'a', 'b', 'c'};
    for (int i = 0; i < a.length; i++) {
      a[i] = alphabet[Math.floorMod(a[i], 3)];
    }
    for (int i = 0; i < b.length; i++) {
      b[i] = alphabet[Math.floorMod(b[i], 3)];
    }
    Lcs lcs = new Lcs(a, b);
    byte[] common = lcs.common();
    assertThat(common).hasSize(lcs.length());
    assertThat(isSubsequence(common, a) && isSubsequence(common, b)).isTrue();
    int matched = 0;
    for (int[] m : lcs.matches()) {
      matched += m[1] - m[0] + 1;
      assertThat(new String(a, m[0], m[1] - m[0] + 1, StandardCharsets.US_ASCII))
          .isEqualTo(new String(b, m[2], m[3] - m[2] + 1, StandardCharsets.US_ASCII));
    }
    assertThat(matched).isEqualTo(lcs.length());
  }

  private static boolean isSubsequence(byte[] s, byte[] of) {
    int i = 0;
    for (int j = 0; j < of.length && i < s.length; j++) {
      if (of[j] == s[i]) {
        i++;
      }
    }
    return i == s.length;
  }

  @Test
  void setbit_getbit_growAndReport() {
    assertThat(w.call("SETBIT", "k", "7", "1")).isEqualTo(":0\r\n");
    assertThat(w.call("SETBIT", "k", "7", "1")).isEqualTo(":1\r\n");
    assertThat(w.call("GET", "k")).isEqualTo(bulk("\u0001"));
    assertThat(w.call("GETBIT", "k", "7")).isEqualTo(":1\r\n");
    assertThat(w.call("GETBIT", "k", "800")).isEqualTo(":0\r\n");
    assertThat(w.call("SETBIT", "k", "4294967296", "1"))
        .isEqualTo("-ERR bit offset is not an integer or out of range\r\n");
    assertThat(w.call("SETBIT", "k", "1", "2"))
        .isEqualTo("-ERR bit is not an integer or out of range\r\n");
  }

  /** BITCOUNT over a bit range counts what a bit-by-bit walk counts. */
  @Property(tries = 200)
  void bitcount_bitRange_matchesNaiveCount(
      @ForAll @Size(min = 1, max = 20) byte[] value,
      @ForAll @IntRange(min = -200, max = 200) int start,
      @ForAll @IntRange(min = -200, max = 200) int end) {
    EmbeddedWire fresh = new EmbeddedWire();
    try (Wire c = fresh.connect()) {
      c.call("SET", "k", new String(value, StandardCharsets.ISO_8859_1));
      long total = value.length * 8L;
      long s = start < 0 ? Math.max(0, total + start) : start;
      long e = end < 0 ? Math.max(0, total + end) : Math.min(end, total - 1);
      long expected = 0;
      if (!(start < 0 && end < 0 && start > end)) {
        for (long i = s; i <= e; i++) {
          expected += (value[(int) (i / 8)] >> (7 - i % 8)) & 1;
        }
      }
      assertThat(c.call("BITCOUNT", "k", "" + start, "" + end, "BIT"))
          .isEqualTo(":" + expected + "\r\n");
    }
  }

  @Test
  void bitpos_and_bitop_asRedis() {
    w.call("SET", "k", "\u00ff\u00f0\u0000");
    assertThat(w.call("BITPOS", "k", "0")).isEqualTo(":12\r\n");
    assertThat(w.call("BITPOS", "k", "1", "2")).isEqualTo(":-1\r\n");
    assertThat(w.call("BITPOS", "k", "0", "0", "0")).isEqualTo(":-1\r\n");
    w.call("SET", "ones", "\u00ff");
    assertThat(w.call("BITPOS", "ones", "0")).isEqualTo(":8\r\n");
    assertThat(w.call("BITPOS", "missing", "0")).isEqualTo(":0\r\n");
    assertThat(w.call("BITOP", "XOR", "d", "k", "ones")).isEqualTo(":3\r\n");
    assertThat(w.call("GET", "d")).isEqualTo(bulk("\u0000\u00f0\u0000"));
    assertThat(w.call("BITOP", "NOT", "d", "k", "ones"))
        .isEqualTo("-ERR BITOP NOT must be called with a single source key.\r\n");
    assertThat(w.call("BITOP", "AND", "d", "none1", "none2")).isEqualTo(":0\r\n");
    assertThat(w.call("EXISTS", "d")).isEqualTo(":0\r\n");
  }

  @Test
  void bitfield_overflowRules() {
    assertThat(w.call("BITFIELD", "k", "SET", "i8", "0", "100", "INCRBY", "i8", "0", "100"))
        .isEqualTo("*2\r\n:0\r\n:-56\r\n");
    assertThat(w.call("BITFIELD", "k", "OVERFLOW", "SAT", "INCRBY", "i8", "0", "-100"))
        .isEqualTo("*1\r\n:-128\r\n");
    assertThat(w.call("BITFIELD", "k", "OVERFLOW", "FAIL", "INCRBY", "u2", "0", "5"))
        .isEqualTo("*1\r\n$-1\r\n");
    assertThat(w.call("BITFIELD_RO", "k", "GET", "u4", "#1")).isEqualTo("*1\r\n:0\r\n");
    assertThat(w.call("BITFIELD_RO", "k", "SET", "u4", "0", "1"))
        .isEqualTo("-ERR BITFIELD_RO only supports the GET subcommand\r\n");
    assertThat(w.call("BITFIELD", "k", "GET", "u64", "0"))
        .isEqualTo(
            "-ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not"
                + " supported but i64 is.\r\n");
  }
}
