package io.ringlb.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** The unrolled djb2 against its one-byte-per-step definition. */
class HashesDjb2Test {

  @Test
  void djb2_everyLengthAndOffset_matchesDefinition() {
    Random random = new Random(17);
    byte[] bytes = new byte[80];
    for (int round = 0; round < 200; round++) {
      random.nextBytes(bytes);
      for (int offset = 0; offset < 5; offset++) {
        for (int length = 0; offset + length <= 70; length++) {
          assertThat(Hashes.djb2(bytes, offset, length))
              .as("offset %d, length %d", offset, length)
              .isEqualTo(definition(bytes, offset, length));
        }
      }
    }
  }

  private static int definition(byte[] key, int offset, int length) {
    int h = 5381;
    for (int i = offset; i < offset + length; i++) {
      h = h * 33 + (key[i] & 0xFF);
    }
    return h;
  }
}
