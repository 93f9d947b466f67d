package io.ringlb.server.embedded;

import io.netty.handler.codec.redis.RedisMessage;
import io.ringlb.core.LoadBalancer;
import io.ringlb.core.ValueSink;
import io.ringlb.server.Replies;
import io.ringlb.server.Session;
import java.time.InstantSource;
import java.util.Arrays;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The keys of the embedded backend: a {@link LoadBalancer} over server memories plus side tables
 * keyed by key bytes (expiry deadlines in epoch milliseconds of the backend's clock, the keys whose
 * value Redis would hold in its raw encoding, the keys clients WATCH), behind one lock. Every write
 * goes through here, so that every one updates the side tables and tells the watches. Every method
 * but {@link #lock()} expects the caller to hold it.
 */
final class Keyspace {

  private final LoadBalancer balancer;
  private final InstantSource clock;
  private final ExpiryTable expires = new ExpiryTable();

  /**
   * Keys whose value was last changed in place (APPEND to an existing value, SETRANGE, SETBIT,
   * BITOP, BITFIELD), which Redis then holds in its raw encoding whatever the value; the table's
   * numbers are unused.
   */
  private final ExpiryTable raw = new ExpiryTable();

  private final Watches watches = new Watches();
  private final ReentrantLock lock = new ReentrantLock();
  private final CopySink copy = new CopySink();
  private final ReplySink replySink = new ReplySink();
  private final PresenceSink presence = new PresenceSink();

  long hits;
  long misses;
  long expired;

  /** Keys written, deleted or expired since start: INFO's {@code rdb_changes_since_last_save}. */
  long changes;

  long ringAdds;
  long ringRemoves;
  long keysMovedTotal;
  long lastChangeKeysMoved;
  long lastChangeMicros;
  String lastChangeKind; // add or remove; null before the first change
  int lastChangeServer;

  Keyspace(LoadBalancer balancer, InstantSource clock) {
    this.balancer = balancer;
    this.clock = clock;
  }

  ReentrantLock lock() {
    return lock;
  }

  LoadBalancer balancer() {
    return balancer;
  }

  ExpiryTable expires() {
    return expires;
  }

  Watches watches() {
    return watches;
  }

  InstantSource clock() {
    return clock;
  }

  int hash(byte[] key) {
    return balancer.hashKey(key, 0, key.length);
  }

  /** Deletes the key if its deadline has passed; returns whether it did. */
  boolean expireIfNeeded(int hash, byte[] key) {
    if (expires.size() == 0) {
      return false;
    }
    long deadline = expires.get(hash, key);
    if (deadline == ExpiryTable.NONE || deadline > clock.millis()) {
      return false;
    }
    expires.remove(hash, key);
    balancer.delete(key);
    forgotten(hash, key);
    expired++;
    return true;
  }

  /** Returns whether the key exists but its deadline has passed (not yet deleted). */
  boolean isExpired(int hash, byte[] key) {
    long deadline = expires.get(hash, key);
    return deadline != ExpiryTable.NONE && deadline <= clock.millis() && balancer.contains(key);
  }

  /** The key is gone: drop its encoding mark and tell its watches. */
  private void forgotten(int hash, byte[] key) {
    changes++;
    if (raw.size() != 0) {
      raw.remove(hash, key);
    }
    if (!watches.isEmpty()) {
      watches.touched(key, false);
    }
  }

  /** Returns a copy of the live value, or null; counts hits and misses. */
  byte[] get(int hash, byte[] key) {
    expireIfNeeded(hash, key);
    copy.out = null;
    balancer.retrieve(hash, key, 0, key.length, copy);
    byte[] out = copy.out;
    copy.out = null;
    if (out == null) {
      misses++;
    } else {
      hits++;
    }
    return out;
  }

  /** Returns the live value as {@code session}'s bulk reply, or a null reply; counts hits. */
  RedisMessage reply(int hash, byte[] key, Session session) {
    expireIfNeeded(hash, key);
    ReplySink sink = replySink;
    sink.session = session;
    balancer.retrieve(hash, key, 0, key.length, sink);
    RedisMessage out = sink.reply;
    sink.session = null;
    sink.reply = null;
    if (out == null) {
      misses++;
      return Replies.NULL;
    }
    hits++;
    return out;
  }

  /** Returns a copy of the live value, or null; does not count hits. */
  byte[] value(int hash, byte[] key) {
    expireIfNeeded(hash, key);
    return balancer.retrieve(key);
  }

  /** Returns whether the key is live. */
  boolean exists(int hash, byte[] key) {
    expireIfNeeded(hash, key);
    presence.found = false;
    balancer.retrieve(hash, key, 0, key.length, presence);
    return presence.found;
  }

  /** Stores a value; {@code keepTtl} keeps a deadline the key has, otherwise it is dropped. */
  void set(int hash, byte[] key, byte[] value, int valueOffset, int valueLength, boolean keepTtl) {
    changes++;
    balancer.store(hash, key, 0, key.length, value, valueOffset, valueLength);
    if (!keepTtl && expires.size() != 0) {
      expires.remove(hash, key);
    }
    if (raw.size() != 0) {
      raw.remove(hash, key);
    }
    if (!watches.isEmpty()) {
      watches.touched(key, true);
    }
  }

  /** Stores a value changed in place, keeping the key's deadline; OBJECT ENCODING says raw. */
  void setInPlace(int hash, byte[] key, byte[] value) {
    changes++;
    balancer.store(hash, key, 0, key.length, value, 0, value.length);
    raw.put(hash, key.clone(), 0);
    if (!watches.isEmpty()) {
      watches.touched(key, true);
    }
  }

  /** Marks a live key's value as changed in place without changing it (a no-op SETBIT). */
  void markInPlace(int hash, byte[] key) {
    raw.put(hash, key.clone(), 0);
  }

  /** Returns whether the key's value was last changed in place (see {@link #setInPlace}). */
  boolean inPlace(int hash, byte[] key) {
    return raw.size() != 0 && raw.get(hash, key) != ExpiryTable.NONE;
  }

  /**
   * Stores {@code value} under {@code to} with {@code deadline} ({@link ExpiryTable#NONE} for none)
   * and the encoding {@code inPlace} says: what RENAME, COPY and RESTORE write.
   */
  void put(int hash, byte[] key, byte[] value, long deadline, boolean inPlace) {
    set(hash, key, value, 0, value.length, false);
    if (deadline != ExpiryTable.NONE) {
      expires.put(hash, key.clone(), deadline);
    }
    if (inPlace) {
      raw.put(hash, key.clone(), 0);
    }
  }

  /** Deletes a key; returns whether it was live. */
  boolean delete(int hash, byte[] key) {
    boolean wasExpired = expireIfNeeded(hash, key);
    if (wasExpired) {
      return false;
    }
    if (expires.size() != 0) {
      expires.remove(hash, key);
    }
    boolean deleted = balancer.delete(key);
    if (deleted) {
      forgotten(hash, key);
    }
    return deleted;
  }

  /** Sets or clears ({@code deadline < 0}) a key's deadline; the key must exist. */
  void expireAt(int hash, byte[] key, long deadline) {
    changes++;
    deadlineOfWritten(hash, key, deadline);
  }

  /**
   * As {@link #expireAt}, for a key {@link #set} just wrote (SET with EX): one change, already
   * counted.
   */
  void deadlineOfWritten(int hash, byte[] key, long deadline) {
    if (deadline < 0) {
      expires.remove(hash, key);
    } else {
      expires.put(hash, key.clone(), deadline);
    }
    if (!watches.isEmpty()) {
      watches.touched(key, true);
    }
  }

  /** Returns the key's deadline or {@link ExpiryTable#NONE}. */
  long deadline(int hash, byte[] key) {
    return expires.get(hash, key);
  }

  /** Runs one round of active expiry; returns how many keys expired. */
  int activeExpire(int samples, long now) {
    int n =
        expires.sample(
            samples,
            now,
            (h, k) -> {
              balancer.delete(k);
              forgotten(h, k);
            });
    expired += n;
    return n;
  }

  void flush() {
    changes += balancer.size();
    if (!watches.isEmpty()) {
      watches.flushed(w -> balancer.contains(w.key));
    }
    balancer.clear();
    expires.clear();
    raw.clear();
  }

  /** Copies a value out. */
  private static final class CopySink implements ValueSink {
    byte[] out;

    @Override
    public void accept(byte[] buffer, int offset, int length) {
      out = Arrays.copyOfRange(buffer, offset, offset + length);
    }
  }

  /** Turns a value into a session's bulk reply. */
  private static final class ReplySink implements ValueSink {
    Session session;
    RedisMessage reply;

    @Override
    public void accept(byte[] buffer, int offset, int length) {
      reply = session.bulk(buffer, offset, length);
    }
  }

  /** Notes that a value is present. */
  private static final class PresenceSink implements ValueSink {
    boolean found;

    @Override
    public void accept(byte[] buffer, int offset, int length) {
      found = true;
    }
  }
}
