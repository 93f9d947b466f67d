package io.ringlb.server.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ringlb.server.Wire;
import java.nio.charset.StandardCharsets;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

/** Redis's DUMP payloads of strings: written, read back, and read from redis-server's own. */
class DumpFormatTest {

  /** redis-server 7.0.15's DUMP of a 40-byte run of 'a', which it compresses with LZF. */
  private static final byte[] REDIS_LZF_PAYLOAD =
      bytes(
          0x00, 0xc3, 0x09, 0x28, 0x01, 0x61, 0x61, 0xe0, 0x1b, 0x00, 0x01, 0x61, 0x61, 0x0a, 0x00,
          0xcf, 0x09, 0x2f, 0xaa, 0xae, 0x25, 0x83, 0x1d);

  /** redis-server 7.0.15's DUMP of "1". */
  private static final byte[] REDIS_ONE =
      bytes(0x00, 0xc0, 0x01, 0x0a, 0x00, 0x26, 0x78, 0xe7, 0xb6, 0xd1, 0x01, 0x11, 0xfc);

  private static byte[] bytes(int... values) {
    byte[] out = new byte[values.length];
    for (int i = 0; i < values.length; i++) {
      out[i] = (byte) values[i];
    }
    return out;
  }

  @Test
  void crc64_isJones() {
    byte[] check = "123456789".getBytes(StandardCharsets.US_ASCII);
    assertThat(DumpFormat.crc64(check, check.length)).isEqualTo(0xe9c6d914c4b8d9caL);
  }

  @Test
  void dump_writesWhatRedisWrites_andReadsRedisCompressedPayloads() throws Exception {
    assertThat(DumpFormat.dump("1".getBytes(StandardCharsets.US_ASCII))).isEqualTo(REDIS_ONE);
    assertThat(DumpFormat.verify(REDIS_LZF_PAYLOAD)).isTrue();
    assertThat(new String(DumpFormat.restore(REDIS_LZF_PAYLOAD), StandardCharsets.US_ASCII))
        .isEqualTo("a".repeat(40));
    byte[] corrupt = REDIS_ONE.clone();
    corrupt[2] ^= 1;
    assertThat(DumpFormat.verify(corrupt)).isFalse();
    byte[] list = DumpFormat.footed(new java.io.ByteArrayOutputStream());
    assertThatThrownBy(() -> DumpFormat.restore(list)).isInstanceOf(DumpFormat.BadFormat.class);
  }

  /** Any value survives DUMP and RESTORE, through the commands. */
  @Property(tries = 200)
  void dumpThenRestore_givesTheValueBack(@ForAll @Size(max = 20_000) byte[] value) {
    EmbeddedWire server = new EmbeddedWire();
    try (Wire w = server.connect()) {
      String text = new String(value, StandardCharsets.ISO_8859_1);
      w.call("SET", "k", text);
      String reply = w.call("DUMP", "k");
      String payload = reply.substring(reply.indexOf("\r\n") + 2, reply.length() - 2);
      assertThat(w.call("RESTORE", "copy", "0", payload)).isEqualTo("+OK\r\n");
      assertThat(w.call("GET", "copy")).isEqualTo(w.call("GET", "k"));
      assertThat(w.call("RESTORE", "copy", "0", payload))
          .isEqualTo("-BUSYKEY Target key name already exists.\r\n");
    }
  }
}
