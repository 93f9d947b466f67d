package io.ringlb.proxy;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The proxy's own counters for INFO: the migrations completed and the last one, the blocked
 * commands a ring change moved, the scripts given no key that are busy. Commands, connections and
 * commands per second are the front end's, for every data side.
 */
final class ProxyStats {

  private final AtomicLong migrationsCompleted = new AtomicLong();
  private final AtomicLong keysMoved = new AtomicLong();
  private volatile Migration lastMigration;
  private final BarrierWaits barrierWaits = new BarrierWaits();
  private final BusyScripts busyScripts = new BusyScripts();

  /** Blocked commands ended on an old owner by a ring change and sent to the new one. */
  private final AtomicLong blockedMoved = new AtomicLong();

  /** The scripts given no key that their backend reports busy. */
  BusyScripts busyScripts() {
    return busyScripts;
  }

  /** How long clients waited at ring changes' barriers. */
  BarrierWaits barrierWaits() {
    return barrierWaits;
  }

  /** Counts a blocked command sent again to its keys' new owner. */
  void blockedMoved() {
    blockedMoved.incrementAndGet();
  }

  /** Returns the blocked commands sent again to a new owner after ring changes. */
  long blockedMovedCount() {
    return blockedMoved.get();
  }

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
