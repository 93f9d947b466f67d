package io.ringlb.conformance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class NormalizerTest {

  private static String render(String marker, String reply) throws IOException {
    Reply r =
        new RespReader(new ByteArrayInputStream(reply.getBytes(StandardCharsets.ISO_8859_1)))
            .read();
    return Normalizer.parse(marker).render(r);
  }

  @Test
  void shape_keepsTypesAndCounts() throws IOException {
    assertThat(render("shape", "*2\r\n$10\r\n1796138810\r\n$6\r\n656010\r\n"))
        .isEqualTo("*2\\r\\n$<bulk>\\r\\n$<bulk>\\r\\n");
    assertThat(render("shape", ":21\r\n")).isEqualTo(":<integer>\\r\\n");
    assertThat(render("shape", "$-1\r\n")).isEqualTo("$-1\\r\\n");
  }

  @Test
  void within_outsideTheRange_showsTheValue() throws IOException {
    assertThat(render("within 1..10", ":7\r\n")).isEqualTo(":<1..10>\\r\\n");
    assertThat(render("within 1..10", ":11\r\n")).isEqualTo(":11\\r\\n");
    assertThat(render("within 1..10", "-ERR x\r\n")).isEqualTo("-ERR x\\r\\n");
  }

  @Test
  void pairs_namedValuesOnly() throws IOException {
    assertThat(render("pairs id", "*4\r\n$2\r\nid\r\n:5\r\n$5\r\nproto\r\n:2\r\n"))
        .isEqualTo("*4\\r\\n$2\\r\\nid\\r\\n:<id>\\r\\n$5\\r\\nproto\\r\\n:2\\r\\n");
  }

  @Test
  void fields_namedValuesOnly() throws IOException {
    String body = "id=7 name=x age=3\n";
    assertThat(render("fields id,age", "$" + body.length() + "\r\n" + body + "\r\n"))
        .isEqualTo("$?\\r\\nid=<id> name=x age=<age>\\n\\r\\n");
  }

  @Test
  void info_sectionNames() throws IOException {
    String body = "# Server\r\nv:1\r\n\r\n# Ring\r\nodd line\r\n";
    assertThat(render("info", "$" + body.length() + "\r\n" + body + "\r\n"))
        .isEqualTo("$?\\r\\n<info: Server, Ring; not a field: odd line>\\r\\n");
  }

  @Test
  void sorted_elementsInOneOrder_whateverOrderTheyCameIn() throws IOException {
    assertThat(render("sorted", "*3\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\na\r\n"))
        .isEqualTo(render("sorted", "*3\r\n$1\r\nc\r\n$1\r\na\r\n$1\r\nb\r\n"))
        .isEqualTo("*3\\r\\n$1\\r\\na\\r\\n$1\\r\\nb\\r\\n$1\\r\\nc\\r\\n");
    assertThat(render("sorted", "-ERR x\r\n")).isEqualTo("-ERR x\\r\\n");
  }

  @Test
  void parse_badMarkers_named() {
    assertThatThrownBy(() -> Normalizer.parse("within 5..1")).hasMessageContaining("LOW <= HIGH");
    assertThatThrownBy(() -> Normalizer.parse("shape x")).hasMessageContaining("no argument");
    assertThatThrownBy(() -> Normalizer.parse("pairs")).hasMessageContaining("NAME,NAME");
  }
}
