package io.ringlb.core;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class HashesTest {

  @Test
  void seedLabel_goldenValues() {
    assertThat(Hashes.seedLabel(0)).isZero();
    assertThat(Hashes.seedLabel(1)).isEqualTo(824515495);
    assertThat(Hashes.seedLabel().hash(1)).isEqualTo(824515495);
  }

  @Test
  void djb2_goldenValues() {
    assertThat(djb2("")).isEqualTo(5381L);
    assertThat(djb2("a")).isEqualTo(177670L);
    assertThat(djb2("c674390f9")).isEqualTo(3672731780L);
  }

  @Test
  void djb2_takesBytesUnsigned() {
    byte[] high = {(byte) 0xFF};
    assertThat(Hashes.djb2().hash(high)).isEqualTo(5381 * 33 + 255);
  }

  @Test
  void djb2_slice() {
    byte[] bytes = "xxc674390f9yy".getBytes(UTF_8);
    assertThat(Integer.toUnsignedLong(Hashes.djb2(bytes, 2, 9))).isEqualTo(3672731780L);
  }

  private static long djb2(String s) {
    return Integer.toUnsignedLong(Hashes.djb2().hash(s.getBytes(UTF_8)));
  }
}
