package io.ringlb.proxy;

import io.ringlb.server.CommandSpec;
import io.ringlb.server.Request;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The scripts given no key ({@link KeylessScript}) that their backend reports busy: while one is,
 * the whole proxy answers as a busy redis-server does, with that backend's BUSY error, to every
 * command but those redis-server serves while a script runs. Any thread.
 *
 * <p>A script with no key belongs to no shard: the proxy stands for one redis-server, which runs
 * nothing else while such a script runs past {@code busy-reply-threshold}. A script given keys
 * makes busy only the backend those keys live on, as it would make one node of a Redis Cluster
 * busy.
 */
final class BusyScripts {

  /**
   * The commands redis-server 7.0 serves while a script is busy (those it flags {@code
   * allow-busy}), by name and by {@code container|name} for subcommands.
   */
  private static final Set<String> ALLOWED =
      Set.of(
          "auth",
          "discard",
          "function|kill",
          "function|stats",
          "hello",
          "multi",
          "quit",
          "replconf",
          "reset",
          "script|kill",
          "shutdown",
          "unwatch",
          "watch");

  private final AtomicInteger busy = new AtomicInteger();
  private volatile String error;

  /** Returns the BUSY error to answer now, or null when no script given no key is busy. */
  String error() {
    return busy.get() == 0 ? null : error;
  }

  /** A script given no key is busy on its backend, which answers {@code error}. */
  void started(String error) {
    this.error = error;
    busy.incrementAndGet();
  }

  /** A script that {@link #started} being busy ended. */
  void ended() {
    busy.decrementAndGet();
  }

  /** Returns whether redis-server serves {@code r}, of {@code spec}, while a script is busy. */
  static boolean allowed(CommandSpec spec, Request r) {
    String name = spec.name();
    if (ALLOWED.contains(name)) {
      return true;
    }
    String container = KeyPositions.lower(r.arg(0));
    return !container.equals(name) && ALLOWED.contains(container + "|" + name);
  }
}
