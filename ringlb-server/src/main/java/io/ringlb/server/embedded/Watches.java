package io.ringlb.server.embedded;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * The keys clients WATCH, like Redis's {@code watched_keys}: by key, the watches on it, so that a
 * change of the key marks every transaction watching it dirty. Kept beside the keyspace and guarded
 * by its lock; every method expects the caller to hold it.
 */
final class Watches {

  /** A client's side of its watches: dirty once a watched key changed. */
  static final class Watcher {
    private final List<Watch> watches = new ArrayList<>();
    private boolean dirty;

    boolean dirty() {
      return dirty;
    }

    boolean watching() {
      return !watches.isEmpty();
    }

    List<Watch> watches() {
      return watches;
    }
  }

  /** One key watched by one client; {@code expired} when the key had expired at WATCH. */
  static final class Watch {
    final Watcher owner;
    final byte[] key;
    final int hash;
    boolean expired;

    Watch(Watcher owner, byte[] key, int hash, boolean expired) {
      this.owner = owner;
      this.key = key;
      this.hash = hash;
      this.expired = expired;
    }
  }

  private final Map<ByteKey, List<Watch>> byKey = new HashMap<>();

  /** Returns whether no key is watched, the common case every write checks first. */
  boolean isEmpty() {
    return byKey.isEmpty();
  }

  /** Returns how many distinct keys are watched. */
  int keys() {
    return byKey.size();
  }

  /** {@code owner} watches {@code key} (a copy), unless it already does. */
  void watch(Watcher owner, byte[] key, int hash, boolean expired) {
    for (Watch w : owner.watches) {
      if (Arrays.equals(w.key, key)) {
        return;
      }
    }
    Watch w = new Watch(owner, key, hash, expired);
    owner.watches.add(w);
    byKey.computeIfAbsent(new ByteKey(key), k -> new ArrayList<>(2)).add(w);
  }

  /** Forgets every watch of {@code owner} and clears its dirty flag (UNWATCH, EXEC, DISCARD). */
  void unwatchAll(Watcher owner) {
    forget(owner);
    owner.dirty = false;
  }

  private void forget(Watcher owner) {
    for (Watch w : owner.watches) {
      ByteKey k = new ByteKey(w.key);
      List<Watch> list = byKey.get(k);
      if (list != null) {
        list.remove(w);
        if (list.isEmpty()) {
          byKey.remove(k);
        }
      }
    }
    owner.watches.clear();
  }

  /**
   * {@code key} was written or deleted; {@code present} tells whether it exists now. A watch taken
   * on a key already expired stays clean when the key is then deleted (logically no change).
   */
  void touched(byte[] key, boolean present) {
    List<Watch> list = byKey.get(new ByteKey(key));
    if (list == null) {
      return;
    }
    List<Watcher> dirty = new ArrayList<>(list.size());
    for (Watch w : list) {
      if (w.expired && !present) {
        w.expired = false;
        continue;
      }
      dirty.add(w.owner);
    }
    for (Watcher owner : dirty) {
      owner.dirty = true;
      forget(owner); // a dirty transaction needs no further notice
    }
  }

  /** The keys present before a flush are gone: every transaction watching one is dirty. */
  void flushed(Predicate<Watch> existed) {
    List<Watcher> dirty = new ArrayList<>();
    for (List<Watch> list : byKey.values()) {
      for (Watch w : list) {
        if (existed.test(w)) {
          dirty.add(w.owner);
        }
      }
    }
    for (Watcher owner : dirty) {
      owner.dirty = true;
      forget(owner);
    }
  }
}
