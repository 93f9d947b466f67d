package io.ringlb.conformance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

class RenderingTest {

  @Test
  void escape_readable() {
    assertThat(Rendering.escape("+OK\r\n")).isEqualTo("+OK\\r\\n");
    assertThat(Rendering.escape(new byte[] {0, (byte) 0xFF, '\t', '\\', '"'}))
        .isEqualTo("\\x00\\xff\\t\\\\\"");
  }

  @Test
  void escape_fitsATableCell() {
    assertThat(Rendering.escape("client|info `x`")).isEqualTo("client\\x7cinfo \\x60x\\x60");
  }

  @Test
  void unescape_quoteAndHex() {
    assertThat(new String(Rendering.unescape("a\\\"b\\x41\\r\\n"), StandardCharsets.ISO_8859_1))
        .isEqualTo("a\"bA\r\n");
  }

  @Test
  void unescape_badEscape_named() {
    assertThatThrownBy(() -> Rendering.unescape("a\\q")).hasMessageContaining("unknown escape \\q");
    assertThatThrownBy(() -> Rendering.unescape("\\x4")).hasMessageContaining("two hex digits");
    assertThatThrownBy(() -> Rendering.unescape("a\\")).hasMessageContaining("lone \\");
  }

  @Property(tries = 200)
  void unescape_invertsEscape(@ForAll byte[] bytes) {
    assertThat(Rendering.unescape(Rendering.escape(bytes))).isEqualTo(bytes);
  }
}
