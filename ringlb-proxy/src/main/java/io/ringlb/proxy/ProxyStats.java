package io.ringlb.proxy;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The proxy's own counters for INFO: the migrations completed and the last one. Commands,
 * connections and commands per second are the front end's, for every data side.
 */
final class ProxyStats {

  private final AtomicLong migrationsCompleted = new AtomicLong();
  private final AtomicLong keysMoved = new AtomicLong();
  private volatile Migration lastMigration;

  /** Counts {@code m} as completed and keeps it as the last one. */
  void migrationCompleted(Migration m) {
    keysMoved.addAndGet(m.moved());
    migrationsCompleted.incrementAndGet();
    lastMigration = m;
  }

  /** Returns the keys the completed migrations moved. */
  long keysMovedCompleted() {
    return keysMoved.get();
  }

  long migrationsCompleted() {
    return migrationsCompleted.get();
  }

  /** The migration completed last, or null. */
  Migration lastMigration() {
    return lastMigration;
  }
}
