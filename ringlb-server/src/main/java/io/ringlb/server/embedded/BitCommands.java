package io.ringlb.server.embedded;

import io.netty.handler.codec.redis.RedisMessage;
import io.ringlb.server.CommandException;
import io.ringlb.server.CommandRegistry;
import io.ringlb.server.CommandSpec;
import io.ringlb.server.Replies;
import io.ringlb.server.Request;
import java.util.Arrays;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The embedded data side's bitmap commands: SETBIT, GETBIT, BITCOUNT, BITPOS and BITOP, with
 * Redis's bit order (bit 0 is the most significant bit of byte 0), ranges in bytes or bits, and
 * error texts; BITFIELD and BITFIELD_RO are in {@link BitField}.
 */
final class BitCommands {

  static final String BAD_OFFSET = "ERR bit offset is not an integer or out of range";

  private final Keyspace keyspace;
  private final ReentrantLock lock;
  private final EmbeddedSettings settings;

  BitCommands(Keyspace keyspace, EmbeddedSettings settings) {
    this.keyspace = keyspace;
    this.lock = keyspace.lock();
    this.settings = settings;
  }

  void register(CommandRegistry r) {
    r.register(CommandSpec.of("setbit", 4, "write", 1, 1, 1), (s, q) -> setbit(q));
    r.register(CommandSpec.of("getbit", 3, "readonly fast", 1, 1, 1), (s, q) -> getbit(q));
    r.register(CommandSpec.of("bitcount", -2, "readonly", 1, 1, 1), (s, q) -> bitcount(q));
    r.register(CommandSpec.of("bitpos", -3, "readonly", 1, 1, 1), (s, q) -> bitpos(q));
    r.register(CommandSpec.of("bitop", -4, "write", 2, -1, 1), (s, q) -> bitop(q));
    BitField field = new BitField(keyspace, this);
    r.register(CommandSpec.of("bitfield", -2, "write", 1, 1, 1), (s, q) -> field.run(q, false));
    r.register(
        CommandSpec.of("bitfield_ro", -2, "readonly fast", 1, 1, 1), (s, q) -> field.run(q, true));
  }

  /**
   * Parses a bit offset as Redis does: a decimal integer, or for BITFIELD ({@code bits > 0}) also
   * {@code #n} meaning n times {@code bits}; refused when negative or past the longest string.
   */
  long offset(Request q, int i, int bits) {
    byte[] text = q.bytes(i);
    boolean hash = bits > 0 && text.length > 0 && text[0] == '#';
    long offset;
    try {
      offset = NumberCommands.parseLong(hash ? Arrays.copyOfRange(text, 1, text.length) : text);
    } catch (CommandException e) {
      throw new CommandException(BAD_OFFSET);
    }
    if (hash) {
      offset *= bits;
    }
    if (offset < 0 || (offset >> 3) >= settings.maxStringLength()) {
      throw new CommandException(BAD_OFFSET);
    }
    return offset;
  }

  private RedisMessage setbit(Request q) {
    long offset = offset(q, 2, 0);
    long on;
    try {
      on = q.longValue(3);
    } catch (CommandException e) {
      throw new CommandException("ERR bit is not an integer or out of range");
    }
    if ((on & ~1L) != 0) {
      throw new CommandException("ERR bit is not an integer or out of range");
    }
    byte[] key = q.bytes(1);
    lock.lock();
    try {
      int hash = keyspace.hash(key);
      byte[] old = keyspace.value(hash, key);
      int index = (int) (offset >>> 3);
      int mask = 1 << (7 - (int) (offset & 7));
      byte[] next = grown(old, index + 1);
      boolean was = (next[index] & mask) != 0;
      if (next != old || was != (on == 1)) {
        next[index] = (byte) (on == 1 ? next[index] | mask : next[index] & ~mask);
        keyspace.setInPlace(hash, key, next);
      } else {
        keyspace.markInPlace(hash, key);
      }
      return was ? Replies.ONE : Replies.ZERO;
    } finally {
      lock.unlock();
    }
  }

  /** Returns {@code old} when it has {@code length} bytes or more, else a zero-padded copy. */
  static byte[] grown(byte[] old, int length) {
    if (old == null) {
      return new byte[length];
    }
    return old.length >= length ? old : Arrays.copyOf(old, length);
  }

  private RedisMessage getbit(Request q) {
    long offset = offset(q, 2, 0);
    byte[] v = read(q.bytes(1));
    long index = offset >>> 3;
    if (v == null || index >= v.length) {
      return Replies.ZERO;
    }
    return (v[(int) index] & (1 << (7 - (int) (offset & 7)))) != 0 ? Replies.ONE : Replies.ZERO;
  }

  byte[] read(byte[] key) {
    lock.lock();
    try {
      return keyspace.value(keyspace.hash(key), key);
    } finally {
      lock.unlock();
    }
  }

  /** Returns whether argument {@code i} says BIT (true) or BYTE (false); else a syntax error. */
  private static boolean bitUnit(Request q, int i) {
    if (q.is(i, "bit")) {
      return true;
    }
    if (q.is(i, "byte")) {
      return false;
    }
    throw CommandException.syntax();
  }

  /** BITCOUNT key [start end [BYTE | BIT]]. */
  private RedisMessage bitcount(Request q) {
    byte[] v = read(q.bytes(1));
    if (v == null) {
      return Replies.ZERO;
    }
    long first;
    long last;
    if (q.argc() == 4 || q.argc() == 5) {
      long start = q.longValue(2);
      long end = q.longValue(3);
      if (start < 0 && end < 0 && start > end) {
        return Replies.ZERO;
      }
      boolean bits = q.argc() == 5 && bitUnit(q, 4);
      long total = bits ? (long) v.length << 3 : v.length;
      long[] range = clamp(start, end, total);
      if (range == null) {
        return Replies.ZERO;
      }
      first = bits ? range[0] : range[0] << 3;
      last = bits ? range[1] : (range[1] << 3) + 7;
    } else if (q.argc() == 2) {
      first = 0;
      last = ((long) v.length << 3) - 1;
    } else {
      throw CommandException.syntax();
    }
    long count = 0;
    for (long bit = first; bit <= last; ) {
      int index = (int) (bit >>> 3);
      if ((bit & 7) == 0 && last - bit >= 7) {
        count += Integer.bitCount(v[index] & 0xFF);
        bit += 8;
      } else {
        count += (v[index] >> (7 - (bit & 7))) & 1;
        bit++;
      }
    }
    return Replies.integer(count);
  }

  /**
   * Turns negative indexes into ones from the end and bounds both by {@code total}, as Redis does;
   * returns {@code {start, end}}, or null for an empty range.
   */
  private static long[] clamp(long start, long end, long total) {
    if (start < 0) {
      start += total;
    }
    if (end < 0) {
      end += total;
    }
    start = Math.max(0, start);
    end = Math.max(0, end);
    if (end >= total) {
      end = total - 1;
    }
    return start > end ? null : new long[] {start, end};
  }

  /** BITPOS key bit [start [end [BYTE | BIT]]]. */
  private RedisMessage bitpos(Request q) {
    long bit = q.longValue(2);
    if (bit != 0 && bit != 1) {
      throw new CommandException("ERR The bit argument must be 1 or 0.");
    }
    byte[] v = read(q.bytes(1));
    if (v == null) {
      return Replies.integer(bit == 1 ? -1 : 0);
    }
    if (q.argc() > 6) {
      throw CommandException.syntax();
    }
    long first = 0;
    long last = ((long) v.length << 3) - 1;
    boolean endGiven = q.argc() >= 5;
    if (q.argc() >= 4) {
      long start = q.longValue(3);
      boolean bits = q.argc() == 6 && bitUnit(q, 5);
      long total = bits ? (long) v.length << 3 : v.length;
      long end = endGiven ? q.longValue(4) : total - 1;
      long[] range = clamp(start, end, total);
      if (range == null) {
        return Replies.integer(-1);
      }
      first = bits ? range[0] : range[0] << 3;
      last = bits ? range[1] : (range[1] << 3) + 7;
    }
    if (first > last) {
      return Replies.integer(-1);
    }
    for (long at = first; at <= last; at++) {
      int index = (int) (at >>> 3);
      if ((at & 7) == 0 && last - at >= 7 && (v[index] & 0xFF) == (bit == 1 ? 0 : 0xFF)) {
        at += 7; // a whole byte without the bit sought
        continue;
      }
      if (((v[index] >> (7 - (at & 7))) & 1) == bit) {
        return Replies.integer(at);
      }
    }
    if (bit == 1 || endGiven) {
      return Replies.integer(-1);
    }
    return Replies.integer(last + 1); // the zero bits after the value, as Redis counts them
  }

  /** BITOP AND | OR | XOR | NOT destkey key [key ...]. */
  private RedisMessage bitop(Request q) {
    int op;
    if (q.is(1, "and")) {
      op = 0;
    } else if (q.is(1, "or")) {
      op = 1;
    } else if (q.is(1, "xor")) {
      op = 2;
    } else if (q.is(1, "not")) {
      op = 3;
    } else {
      throw CommandException.syntax();
    }
    if (op == 3 && q.argc() != 4) {
      throw new CommandException("ERR BITOP NOT must be called with a single source key.");
    }
    byte[] dest = q.bytes(2);
    byte[][] keys = StringCommands.args(q, 3, 1);
    lock.lock();
    try {
      byte[][] sources = new byte[keys.length][];
      int length = 0;
      for (int i = 0; i < keys.length; i++) {
        sources[i] = keyspace.value(keyspace.hash(keys[i]), keys[i]);
        if (sources[i] == null) {
          sources[i] = new byte[0];
        }
        length = Math.max(length, sources[i].length);
      }
      int hash = keyspace.hash(dest);
      if (length == 0) {
        keyspace.delete(hash, dest);
        return Replies.ZERO;
      }
      byte[] out = new byte[length];
      for (int j = 0; j < length; j++) {
        int acc = at(sources[0], j);
        if (op == 3) {
          acc = ~acc;
        }
        for (int i = 1; i < sources.length; i++) {
          int b = at(sources[i], j);
          acc = op == 0 ? acc & b : op == 1 ? acc | b : acc ^ b;
        }
        out[j] = (byte) acc;
      }
      keyspace.put(hash, dest, out, ExpiryTable.NONE, true);
      return Replies.integer(length);
    } finally {
      lock.unlock();
    }
  }

  private static int at(byte[] v, int j) {
    return j < v.length ? v[j] & 0xFF : 0;
  }
}
