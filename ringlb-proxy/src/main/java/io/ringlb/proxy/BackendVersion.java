package io.ringlb.proxy;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The {@code redis_version} and {@code mem_allocator} of the redis-servers behind the proxy, as its
 * INFO shows them: asked of a backend in the background (so that INFO never waits for one), kept,
 * and asked again once a minute, so that an upgrade of the backends shows.
 */
final class BackendVersion {

  private static final long REFRESH_NANOS = 60_000_000_000L;

  /** What the last backend asked said: {version, allocator}, either possibly null. */
  private volatile String[] known = new String[2];

  private volatile long askedAt = System.nanoTime() - REFRESH_NANOS;
  private final AtomicBoolean asking = new AtomicBoolean();

  /** Asks a backend of {@code t} again when the last answer is a minute old; returns at once. */
  void refresh(Topology t) {
    if (System.nanoTime() - askedAt < REFRESH_NANOS || !asking.compareAndSet(false, true)) {
      return;
    }
    Backend target = null;
    for (Backend b : FanOut.dataBackends(t)) {
      if (!b.down()) {
        target = b;
        break;
      }
    }
    if (target == null) {
      asking.set(false);
      return;
    }
    Backend asked = target;
    asked
        .call("INFO", "server")
        .thenCombine(
            asked.call("INFO", "memory"), (server, memory) -> new Object[] {server, memory})
        .whenComplete(
            (replies, failure) -> {
              if (failure == null) {
                known =
                    new String[] {
                      field(replies[0], "redis_version"), field(replies[1], "mem_allocator")
                    };
                askedAt = System.nanoTime();
              }
              asking.set(false);
            });
  }

  /** Returns the backends' {@code redis_version}, or null before one answered. */
  String version() {
    return known[0];
  }

  /** Returns the backends' {@code mem_allocator}, or null before one answered. */
  String allocator() {
    return known[1];
  }

  /** Returns the value of {@code name} in an INFO text, or null. */
  static String field(Object info, String name) {
    if (!(info instanceof byte[] bytes)) {
      return null;
    }
    for (String line : new String(bytes, StandardCharsets.UTF_8).split("\r\n")) {
      if (line.startsWith(name + ":")) {
        return line.substring(name.length() + 1);
      }
    }
    return null;
  }
}
