package io.ringlb.server.embedded;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** Bytes (a key, a channel, a pattern) as a hash-map key, compared by content. */
record ByteKey(byte[] bytes) {

  @Override
  public boolean equals(Object o) {
    return o instanceof ByteKey k && Arrays.equals(bytes, k.bytes);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(bytes);
  }

  @Override
  public String toString() {
    return new String(bytes, StandardCharsets.ISO_8859_1);
  }
}
