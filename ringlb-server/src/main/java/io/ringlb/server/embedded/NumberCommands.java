package io.ringlb.server.embedded;

import io.netty.handler.codec.redis.RedisMessage;
import io.ringlb.server.CommandException;
import io.ringlb.server.CommandRegistry;
import io.ringlb.server.CommandSpec;
import io.ringlb.server.Replies;
import io.ringlb.server.Request;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The embedded data side's counters: INCR, DECR, INCRBY, DECRBY on 64-bit integers and INCRBYFLOAT
 * in Redis's long double arithmetic ({@link LongDouble}), with Redis's error texts.
 */
final class NumberCommands {

  private static final String NOT_FLOAT = "ERR value is not a valid float";

  private final Keyspace keyspace;
  private final ReentrantLock lock;

  NumberCommands(Keyspace keyspace) {
    this.keyspace = keyspace;
    this.lock = keyspace.lock();
  }

  void register(CommandRegistry r) {
    r.register(CommandSpec.of("incr", 2, "write fast", 1, 1, 1), (s, q) -> incrBy(q, 1));
    r.register(CommandSpec.of("decr", 2, "write fast", 1, 1, 1), (s, q) -> incrBy(q, -1));
    r.register(
        CommandSpec.of("incrby", 3, "write fast", 1, 1, 1), (s, q) -> incrBy(q, q.longValue(2)));
    r.register(
        CommandSpec.of("decrby", 3, "write fast", 1, 1, 1),
        (s, q) -> {
          long by = q.longValue(2);
          if (by == Long.MIN_VALUE) {
            throw new CommandException("ERR decrement would overflow");
          }
          return incrBy(q, -by);
        });
    r.register(CommandSpec.of("incrbyfloat", 3, "write fast", 1, 1, 1), (s, q) -> incrByFloat(q));
  }

  private RedisMessage incrBy(Request q, long by) {
    byte[] key = q.bytes(1);
    lock.lock();
    try {
      int hash = keyspace.hash(key);
      byte[] old = keyspace.value(hash, key);
      long current = 0;
      if (old != null) {
        current = parseLong(old);
      }
      if ((by > 0 && current > Long.MAX_VALUE - by) || (by < 0 && current < Long.MIN_VALUE - by)) {
        throw new CommandException("ERR increment or decrement would overflow");
      }
      long next = current + by;
      byte[] text = Long.toString(next).getBytes(StandardCharsets.US_ASCII);
      keyspace.set(hash, key, text, 0, text.length, true);
      return Replies.integer(next);
    } finally {
      lock.unlock();
    }
  }

  /** Parses a stored value as Redis's string2ll does: no '+', no leading zeros, no blanks. */
  static long parseLong(byte[] value) {
    if (value.length == 0 || value.length > 20) {
      throw CommandException.notInteger();
    }
    try {
      String text = new String(value, StandardCharsets.US_ASCII);
      long v = Long.parseLong(text);
      if (!Long.toString(v).equals(text)) {
        throw CommandException.notInteger();
      }
      return v;
    } catch (NumberFormatException e) {
      throw CommandException.notInteger();
    }
  }

  private RedisMessage incrByFloat(Request q) {
    byte[] key = q.bytes(1);
    byte[] by = q.bytes(2);
    lock.lock();
    try {
      int hash = keyspace.hash(key);
      byte[] old = keyspace.value(hash, key);
      LongDouble current = old == null ? LongDouble.ZERO : LongDouble.parse(old);
      LongDouble increment = LongDouble.parse(by);
      if (current == null || increment == null) {
        throw new CommandException(NOT_FLOAT);
      }
      LongDouble sum = current.plus(increment);
      if (sum == null) {
        throw new CommandException("ERR increment would produce NaN or Infinity");
      }
      byte[] text = sum.toHumanString().getBytes(StandardCharsets.US_ASCII);
      keyspace.set(hash, key, text, 0, text.length, true);
      return Replies.bulkOf(text.clone());
    } finally {
      lock.unlock();
    }
  }
}
