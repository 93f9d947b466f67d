package io.ringlb.server.embedded;

import io.netty.handler.codec.redis.RedisMessage;
import io.ringlb.server.CommandException;
import io.ringlb.server.Replies;
import io.ringlb.server.Request;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;

/**
 * BITFIELD key [GET type offset] [SET type offset value] [INCRBY type offset increment] [OVERFLOW
 * WRAP | SAT | FAIL] ..., and BITFIELD_RO with GET only: integers of 1 to 64 bits (unsigned up to
 * 63) at any bit offset, big-endian, with Redis's overflow rules and error texts.
 */
final class BitField {

  private static final String BAD_TYPE =
      "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but"
          + " i64 is.";

  private static final int GET = 0;
  private static final int SET = 1;
  private static final int INCRBY = 2;

  private static final int WRAP = 0;
  private static final int SAT = 1;
  private static final int FAIL = 2;

  /** One parsed operation. */
  private record Op(int code, boolean signed, int bits, long offset, long value, int overflow) {}

  private final Keyspace keyspace;
  private final ReentrantLock lock;
  private final BitCommands bits;

  BitField(Keyspace keyspace, BitCommands bits) {
    this.keyspace = keyspace;
    this.lock = keyspace.lock();
    this.bits = bits;
  }

  RedisMessage run(Request q, boolean readOnly) {
    List<Op> ops = new ArrayList<>();
    int overflow = WRAP;
    boolean writes = false;
    long highest = 0;
    for (int j = 2; j < q.argc(); j++) {
      int more = q.argc() - j - 1;
      int code;
      if (q.is(j, "get") && more >= 2) {
        code = GET;
      } else if (q.is(j, "set") && more >= 3) {
        code = SET;
      } else if (q.is(j, "incrby") && more >= 3) {
        code = INCRBY;
      } else if (q.is(j, "overflow") && more >= 1) {
        j++;
        if (q.is(j, "wrap")) {
          overflow = WRAP;
        } else if (q.is(j, "sat")) {
          overflow = SAT;
        } else if (q.is(j, "fail")) {
          overflow = FAIL;
        } else {
          throw new CommandException("ERR Invalid OVERFLOW type specified");
        }
        continue;
      } else {
        throw CommandException.syntax();
      }
      byte[] type = q.bytes(j + 1);
      boolean signed = type.length > 0 && type[0] == 'i';
      if (type.length == 0 || (type[0] != 'i' && type[0] != 'u')) {
        throw new CommandException(BAD_TYPE);
      }
      long width;
      try {
        width = NumberCommands.parseLong(java.util.Arrays.copyOfRange(type, 1, type.length));
      } catch (CommandException e) {
        throw new CommandException(BAD_TYPE);
      }
      if (width < 1 || width > (signed ? 64 : 63)) {
        throw new CommandException(BAD_TYPE);
      }
      long offset = bits.offset(q, j + 2, (int) width);
      long value = 0;
      if (code != GET) {
        writes = true;
        highest = Math.max(highest, offset + width - 1);
        value = q.longValue(j + 3);
      }
      ops.add(new Op(code, signed, (int) width, offset, value, overflow));
      j += code == GET ? 2 : 3;
    }
    if (writes && readOnly) {
      throw new CommandException("ERR BITFIELD_RO only supports the GET subcommand");
    }
    byte[] key = q.bytes(1);
    lock.lock();
    try {
      int hash = keyspace.hash(key);
      byte[] old = keyspace.value(hash, key);
      byte[] v = writes ? BitCommands.grown(old, (int) (highest >>> 3) + 1) : old;
      boolean changed = v != old;
      List<RedisMessage> out = new ArrayList<>(ops.size());
      for (Op op : ops) {
        long current = read(v, op);
        if (op.code == GET) {
          out.add(Replies.integer(current));
          continue;
        }
        BigInteger exact =
            op.code == SET
                ? BigInteger.valueOf(op.value)
                : BigInteger.valueOf(current).add(BigInteger.valueOf(op.value));
        Long next = fit(exact, op);
        if (next == null) {
          out.add(Replies.NULL);
          continue;
        }
        out.add(Replies.integer(op.code == SET ? current : next));
        if (next != current) {
          write(v, op, next);
          changed = true;
        }
      }
      if (changed) {
        keyspace.setInPlace(hash, key, v);
      } else if (writes) {
        keyspace.markInPlace(hash, key);
      }
      return Replies.array(out);
    } finally {
      lock.unlock();
    }
  }

  /** Returns {@code exact} made to fit the op's type by its overflow rule, or null to FAIL. */
  private static Long fit(BigInteger exact, Op op) {
    BigInteger min = op.signed ? BigInteger.ONE.shiftLeft(op.bits - 1).negate() : BigInteger.ZERO;
    BigInteger max =
        op.signed
            ? BigInteger.ONE.shiftLeft(op.bits - 1).subtract(BigInteger.ONE)
            : BigInteger.ONE.shiftLeft(op.bits).subtract(BigInteger.ONE);
    if (exact.compareTo(min) >= 0 && exact.compareTo(max) <= 0) {
      return exact.longValue();
    }
    if (op.overflow == FAIL) {
      return null;
    }
    if (op.overflow == SAT) {
      return exact.signum() < 0 ? min.longValue() : max.longValue();
    }
    BigInteger wrapped = exact.mod(BigInteger.ONE.shiftLeft(op.bits));
    if (op.signed && wrapped.compareTo(max) > 0) {
      wrapped = wrapped.subtract(BigInteger.ONE.shiftLeft(op.bits));
    }
    return wrapped.longValue();
  }

  /** Reads the op's integer from {@code v} (bits past its end are zero). */
  private static long read(byte[] v, Op op) {
    long raw = 0;
    for (int i = 0; i < op.bits; i++) {
      long at = op.offset + i;
      int index = (int) (at >>> 3);
      int bit = v != null && index < v.length ? (v[index] >> (7 - (int) (at & 7))) & 1 : 0;
      raw = (raw << 1) | bit;
    }
    if (op.signed && op.bits < 64 && (raw & (1L << (op.bits - 1))) != 0) {
      raw |= -1L << op.bits; // sign-extend
    }
    return raw;
  }

  private static void write(byte[] v, Op op, long value) {
    for (int i = 0; i < op.bits; i++) {
      long at = op.offset + i;
      int index = (int) (at >>> 3);
      int mask = 1 << (7 - (int) (at & 7));
      boolean one = ((value >>> (op.bits - 1 - i)) & 1) != 0;
      v[index] = (byte) (one ? v[index] | mask : v[index] & ~mask);
    }
  }
}
