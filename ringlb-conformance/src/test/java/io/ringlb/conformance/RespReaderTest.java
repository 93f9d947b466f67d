package io.ringlb.conformance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class RespReaderTest {

  private static RespReader reader(String bytes) {
    return new RespReader(new ByteArrayInputStream(bytes.getBytes(StandardCharsets.ISO_8859_1)));
  }

  @Test
  void read_oneReplyAtATime_keepingItsBytes() throws IOException {
    RespReader r = reader("+OK\r\n$3\r\na\r\n\r\n*2\r\n:1\r\n$-1\r\n");
    assertThat(r.read().rendered()).isEqualTo("+OK\\r\\n");
    Reply bulk = r.read();
    assertThat(bulk.text()).isEqualTo("a\r\n");
    assertThat(bulk.rendered()).isEqualTo("$3\\r\\na\\r\\n\\r\\n");
    Reply array = r.read();
    assertThat(array.children()).hasSize(2);
    assertThat(array.rendered()).isEqualTo("*2\\r\\n:1\\r\\n$-1\\r\\n");
    assertThat(r.read()).isNull();
  }

  @Test
  void read_resp3Map_countsPairs() throws IOException {
    Reply map = reader("%2\r\n$1\r\na\r\n:1\r\n$1\r\nb\r\n_\r\n+next\r\n").read();
    assertThat(map.children()).hasSize(4);
    assertThat(map.rendered()).endsWith("_\\r\\n");
  }

  @Test
  void read_cutShort_isEof() {
    assertThatThrownBy(() -> reader("*2\r\n:1\r\n").read()).isInstanceOf(EOFException.class);
    assertThatThrownBy(() -> reader("$5\r\nab").read()).isInstanceOf(EOFException.class);
  }

  @Test
  void read_notResp_says() {
    assertThatThrownBy(() -> reader("hello\r\n").read())
        .isInstanceOf(RespReader.MalformedReply.class)
        .hasMessageContaining("unknown type byte");
    assertThatThrownBy(() -> reader("$x\r\n").read()).hasMessageContaining("'x' is not a number");
    assertThatThrownBy(() -> reader("$1\r\nab\r\n").read())
        .hasMessageContaining("not followed by CRLF");
  }
}
