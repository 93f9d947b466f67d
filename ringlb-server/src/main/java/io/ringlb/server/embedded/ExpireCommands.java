package io.ringlb.server.embedded;

import io.netty.handler.codec.redis.RedisMessage;
import io.ringlb.server.CommandException;
import io.ringlb.server.CommandRegistry;
import io.ringlb.server.CommandSpec;
import io.ringlb.server.Replies;
import io.ringlb.server.Request;
import java.time.InstantSource;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The embedded data side's expiry commands: EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT (with NX, XX, GT,
 * LT), TTL, PTTL, EXPIRETIME, PEXPIRETIME and PERSIST, as Redis 7.0 answers them; a deadline at or
 * before now deletes the key at once.
 */
final class ExpireCommands {

  private final Keyspace keyspace;
  private final ReentrantLock lock;
  private final InstantSource clock;

  ExpireCommands(Keyspace keyspace) {
    this.keyspace = keyspace;
    this.lock = keyspace.lock();
    this.clock = keyspace.clock();
  }

  void register(CommandRegistry r) {
    r.register(
        CommandSpec.of("expire", -3, "write fast", 1, 1, 1),
        (s, q) -> expire(q, 1000, false, "expire"));
    r.register(
        CommandSpec.of("pexpire", -3, "write fast", 1, 1, 1),
        (s, q) -> expire(q, 1, false, "pexpire"));
    r.register(
        CommandSpec.of("expireat", -3, "write fast", 1, 1, 1),
        (s, q) -> expire(q, 1000, true, "expireat"));
    r.register(
        CommandSpec.of("pexpireat", -3, "write fast", 1, 1, 1),
        (s, q) -> expire(q, 1, true, "pexpireat"));
    r.register(CommandSpec.of("ttl", 2, "readonly fast", 1, 1, 1), (s, q) -> ttl(q, false, false));
    r.register(CommandSpec.of("pttl", 2, "readonly fast", 1, 1, 1), (s, q) -> ttl(q, true, false));
    r.register(
        CommandSpec.of("expiretime", 2, "readonly fast", 1, 1, 1), (s, q) -> ttl(q, false, true));
    r.register(
        CommandSpec.of("pexpiretime", 2, "readonly fast", 1, 1, 1), (s, q) -> ttl(q, true, true));
    r.register(CommandSpec.of("persist", 2, "write fast", 1, 1, 1), (s, q) -> persist(q));
  }

  private RedisMessage expire(Request q, long unitMillis, boolean absolute, String name) {
    boolean nx = false;
    boolean xx = false;
    boolean gt = false;
    boolean lt = false;
    for (int i = 3; i < q.argc(); i++) {
      if (q.is(i, "nx")) {
        nx = true;
      } else if (q.is(i, "xx")) {
        xx = true;
      } else if (q.is(i, "gt")) {
        gt = true;
      } else if (q.is(i, "lt")) {
        lt = true;
      } else {
        throw new CommandException("ERR Unsupported option " + q.string(i));
      }
    }
    if (nx && (xx || gt || lt)) {
      throw new CommandException(
          "ERR NX and XX, GT or LT options at the same time are not compatible");
    }
    if (gt && lt) {
      throw new CommandException("ERR GT and LT options at the same time are not compatible");
    }
    long amount = q.longValue(2);
    if (amount > Long.MAX_VALUE / unitMillis || amount < Long.MIN_VALUE / unitMillis) {
      throw StringCommands.invalidExpire(name);
    }
    long when = amount * unitMillis;
    long now = clock.millis();
    long base = absolute ? 0 : now;
    if (when > Long.MAX_VALUE - base) {
      throw StringCommands.invalidExpire(name);
    }
    long deadline = when + base;
    byte[] key = q.bytes(1);
    lock.lock();
    try {
      int hash = keyspace.hash(key);
      if (!keyspace.exists(hash, key)) {
        return Replies.ZERO;
      }
      long current = keyspace.deadline(hash, key);
      boolean has = current != ExpiryTable.NONE;
      if ((nx && has)
          || (xx && !has)
          || (gt && (!has || deadline <= current))
          || (lt && has && deadline >= current)) {
        return Replies.ZERO;
      }
      if (deadline <= now) {
        keyspace.delete(hash, key);
      } else {
        keyspace.expireAt(hash, key, deadline);
      }
      return Replies.ONE;
    } finally {
      lock.unlock();
    }
  }

  /** TTL, PTTL ({@code millis}), EXPIRETIME, PEXPIRETIME ({@code absolute}). */
  private RedisMessage ttl(Request q, boolean millis, boolean absolute) {
    byte[] key = q.bytes(1);
    lock.lock();
    try {
      int hash = keyspace.hash(key);
      if (!keyspace.exists(hash, key)) {
        return Replies.integer(-2);
      }
      long deadline = keyspace.deadline(hash, key);
      if (deadline == ExpiryTable.NONE) {
        return Replies.integer(-1);
      }
      long left = Math.max(0, absolute ? deadline : deadline - clock.millis());
      return Replies.integer(millis ? left : (left + 500) / 1000);
    } finally {
      lock.unlock();
    }
  }

  private RedisMessage persist(Request q) {
    byte[] key = q.bytes(1);
    lock.lock();
    try {
      int hash = keyspace.hash(key);
      if (!keyspace.exists(hash, key) || keyspace.deadline(hash, key) == ExpiryTable.NONE) {
        return Replies.ZERO;
      }
      keyspace.expireAt(hash, key, -1);
      return Replies.ONE;
    } finally {
      lock.unlock();
    }
  }
}
