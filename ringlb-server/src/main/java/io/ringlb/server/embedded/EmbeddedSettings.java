package io.ringlb.server.embedded;

import io.ringlb.server.ServerConfig;

/**
 * The embedded data side's settings that commands read and {@code CONFIG SET} changes: the largest
 * string a value may grow to (Redis's {@code proto-max-bulk-len}, the server's), and the frequency
 * of the active expiry cycle ({@code hz}). Read and written under the keyspace lock.
 */
final class EmbeddedSettings {

  /** Redis's default and bounds of {@code hz}. */
  static final int DEFAULT_HZ = 10;

  static final int MIN_HZ = 1;
  static final int MAX_HZ = 500;

  /** The most cells LCS's table may have here (64 MiB), whatever proto-max-bulk-len says. */
  static final long MAX_LCS_CELLS = 16L << 20;

  private long maxStringLength = ServerConfig.defaults().protoMaxBulkLen();
  private int hz = DEFAULT_HZ;

  long maxStringLength() {
    return maxStringLength;
  }

  void maxStringLength(long bytes) {
    this.maxStringLength = bytes;
  }

  int hz() {
    return hz;
  }

  void hz(int hz) {
    this.hz = Math.max(MIN_HZ, Math.min(MAX_HZ, hz));
  }
}
