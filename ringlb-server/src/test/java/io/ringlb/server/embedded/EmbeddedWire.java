package io.ringlb.server.embedded;

import io.ringlb.core.HashRing;
import io.ringlb.server.Wire;
import io.ringlb.server.testing.ManualClock;

/** An embedded backend on a test clock, and connections to it through the front end. */
final class EmbeddedWire {

  final ManualClock clock = new ManualClock();
  final EmbeddedBackend backend = EmbeddedBackend.create(clock, HashRing.seed(), 0, 1, 2);
  private final Wire.Server server = Wire.server(backend);

  Wire connect() {
    return server.connect();
  }

  /** Returns the RESP array of bulk strings {@code items}, as redis-server writes it. */
  static String array(String... items) {
    StringBuilder sb = new StringBuilder("*").append(items.length).append("\r\n");
    for (String item : items) {
      sb.append(bulk(item));
    }
    return sb.toString();
  }

  /** Returns the RESP bulk string {@code s} (ISO-8859-1). */
  static String bulk(String s) {
    return "$" + s.length() + "\r\n" + s + "\r\n";
  }
}
