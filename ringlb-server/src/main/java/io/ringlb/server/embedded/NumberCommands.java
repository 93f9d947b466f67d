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

  /**
   * Parses a stored value as Redis's string2ll does: no '+', no leading zeros, no blanks.
   *
   * @throws CommandException with Redis's "not an integer" error otherwise
   */
  static long parseLong(byte[] value) {
    if (!isLong(value)) {
      throw CommandException.notInteger();
    }
    return Long.parseLong(new String(value, StandardCharsets.US_ASCII));
  }

  /** Returns whether {@code value} is a 64-bit integer as Redis's string2ll reads one. */
  static boolean isLong(byte[] value) {
    int n = value.length;
    if (n == 0 || n > 20) {
      return false;
    }
    if (n == 1 && value[0] == '0') {
      return true;
    }
    int i = value[0] == '-' ? 1 : 0;
    if (i == n || value[i] < '1' || value[i] > '9') {
      return false; // no digits, or a leading zero
    }
    for (int k = i; k < n; k++) {
      if (value[k] < '0' || value[k] > '9') {
        return false;
      }
    }
    if (n - i < 19) {
      return true;
    }
    try {
      Long.parseLong(new String(value, StandardCharsets.US_ASCII));
      return true;
    } catch (NumberFormatException outOfRange) {
      return false;
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
