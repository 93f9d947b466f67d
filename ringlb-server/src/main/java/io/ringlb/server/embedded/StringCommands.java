package io.ringlb.server.embedded;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.redis.RedisMessage;
import io.ringlb.server.CommandException;
import io.ringlb.server.CommandRegistry;
import io.ringlb.server.CommandSpec;
import io.ringlb.server.Replies;
import io.ringlb.server.Request;
import io.ringlb.server.Session;
import java.time.InstantSource;
import java.util.Arrays;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The embedded data side's commands that read and write whole string values: GET, SET (with Redis's
 * option rules), SETNX, SETEX, PSETEX, GETEX, GETSET, GETDEL, MGET, MSET, MSETNX. Each runs under
 * the keyspace's lock from its first lookup to its last write.
 */
final class StringCommands {

  /** The expiry options of SET and GETEX, by their index in this array. */
  private static final String[] EXPIRY_OPTIONS = {"ex", "px", "exat", "pxat"};

  private static final int EX = 0;
  private static final int EXAT = 2;

  private final Keyspace keyspace;
  private final ReentrantLock lock;
  private final InstantSource clock;

  StringCommands(Keyspace keyspace) {
    this.keyspace = keyspace;
    this.lock = keyspace.lock();
    this.clock = keyspace.clock();
  }

  /** Registers these commands. */
  void register(CommandRegistry r) {
    r.register(CommandSpec.of("get", 2, "readonly fast", 1, 1, 1), this::get);
    r.register(CommandSpec.of("set", -3, "write", 1, 1, 1), this::set);
    r.register(CommandSpec.of("setnx", 3, "write fast", 1, 1, 1), this::setnx);
    r.register(CommandSpec.of("setex", 4, "write", 1, 1, 1), (s, q) -> setex(q, true));
    r.register(CommandSpec.of("psetex", 4, "write", 1, 1, 1), (s, q) -> setex(q, false));
    r.register(CommandSpec.of("getex", -2, "write fast", 1, 1, 1), this::getex);
    r.register(CommandSpec.of("getset", 3, "write fast", 1, 1, 1), this::getset);
    r.register(CommandSpec.of("getdel", 2, "write fast", 1, 1, 1), this::getdel);
    r.register(CommandSpec.of("mget", -2, "readonly fast", 1, -1, 1), this::mget);
    r.register(CommandSpec.of("mset", -3, "write", 1, -1, 2), (s, q) -> mset(q, false));
    r.register(CommandSpec.of("msetnx", -3, "write", 1, -1, 2), (s, q) -> mset(q, true));
  }

  private RedisMessage get(Session s, Request q) {
    byte[] key = q.bytes(1);
    lock.lock();
    try {
      return keyspace.reply(keyspace.hash(key), key, s);
    } finally {
      lock.unlock();
    }
  }

  /** Returns the index of the expiry option argument {@code i} is, or -1. */
  private static int expiryOption(Request q, int i) {
    for (int k = 0; k < EXPIRY_OPTIONS.length; k++) {
      if (q.is(i, EXPIRY_OPTIONS[k])) {
        return k;
      }
    }
    return -1;
  }

  /**
   * Returns the absolute deadline (epoch ms) that expiry option {@code kind} with the value at
   * argument {@code arg} means, with Redis's checks: a value that is not positive, or that
   * overflows once made milliseconds or absolute, is an invalid expire time of {@code command}.
   */
  static long deadline(Request q, int arg, int kind, String command, long now) {
    long v = q.longValue(arg);
    boolean seconds = kind == EX || kind == EXAT;
    if (v <= 0 || (seconds && v > Long.MAX_VALUE / 1000)) {
      throw invalidExpire(command);
    }
    long ms = seconds ? v * 1000 : v;
    if (kind < EXAT) {
      if (ms > Long.MAX_VALUE - now) {
        throw invalidExpire(command);
      }
      ms += now;
    }
    return ms;
  }

  static CommandException invalidExpire(String command) {
    return new CommandException("ERR invalid expire time in '" + command + "' command");
  }

  /**
   * SET key value [NX | XX] [GET] [EX s | PX ms | EXAT s | PXAT ms | KEEPTTL], with Redis's rules:
   * options in any order, each may come again (the last expiry given counts, and only its value is
   * read, once every option is known), but NX with XX, two kinds of expiry, or an expiry with
   * KEEPTTL is a syntax error.
   */
  private RedisMessage set(Session s, Request q) {
    boolean nx = false;
    boolean xx = false;
    boolean get = false;
    boolean keepTtl = false;
    int expiryKind = -1; // an index in EXPIRY_OPTIONS
    int expiryArg = -1; // where its value is
    for (int i = 3; i < q.argc(); i++) {
      boolean hasNext = i + 1 < q.argc();
      int kind;
      if (q.is(i, "nx") && !xx) {
        nx = true;
      } else if (q.is(i, "xx") && !nx) {
        xx = true;
      } else if (q.is(i, "get")) {
        get = true;
      } else if (q.is(i, "keepttl") && expiryKind < 0) {
        keepTtl = true;
      } else if ((kind = expiryOption(q, i)) >= 0
          && (expiryKind < 0 || expiryKind == kind)
          && !keepTtl
          && hasNext) {
        expiryKind = kind;
        expiryArg = ++i;
      } else {
        throw CommandException.syntax();
      }
    }
    boolean expiry = expiryKind >= 0;
    long deadline = expiry ? deadline(q, expiryArg, expiryKind, "set", clock.millis()) : -1;
    return store(q, 1, 2, nx, xx, get, keepTtl, deadline);
  }

  /** SETEX key seconds value, PSETEX key milliseconds value. */
  private RedisMessage setex(Request q, boolean seconds) {
    long deadline =
        deadline(q, 2, seconds ? EX : EX + 1, seconds ? "setex" : "psetex", clock.millis());
    return store(q, 1, 3, false, false, false, false, deadline);
  }

  /** Stores argument {@code valueArg} under argument {@code keyArg} as SET's options say. */
  private RedisMessage store(
      Request q,
      int keyArg,
      int valueArg,
      boolean nx,
      boolean xx,
      boolean get,
      boolean keepTtl,
      long deadline) {
    byte[] key = q.bytes(keyArg);
    ByteBuf value = q.arg(valueArg);
    byte[] bytes = value.hasArray() ? value.array() : q.bytes(valueArg);
    int offset = value.hasArray() ? value.arrayOffset() + value.readerIndex() : 0;
    int length = value.readableBytes();
    boolean expiry = deadline >= 0;
    byte[] old = null;
    boolean write;
    lock.lock();
    try {
      int hash = keyspace.hash(key);
      boolean exists;
      if (get) {
        old = keyspace.get(hash, key);
        exists = old != null;
      } else {
        exists = (nx || xx) && keyspace.exists(hash, key);
      }
      write = !(nx && exists) && !(xx && !exists);
      if (write) {
        keyspace.set(hash, key, bytes, offset, length, keepTtl || expiry);
        if (expiry) {
          keyspace.deadlineOfWritten(hash, key, deadline);
        }
      }
    } finally {
      lock.unlock();
    }
    if (get) {
      return old == null ? Replies.NULL : Replies.bulkOf(old);
    }
    return write ? Replies.OK : Replies.NULL;
  }

  private RedisMessage setnx(Session s, Request q) {
    byte[] key = q.bytes(1);
    byte[] value = q.bytes(2);
    lock.lock();
    try {
      int hash = keyspace.hash(key);
      if (keyspace.exists(hash, key)) {
        return Replies.ZERO;
      }
      keyspace.set(hash, key, value, 0, value.length, false);
      return Replies.ONE;
    } finally {
      lock.unlock();
    }
  }

  /** GETEX key [EX s | PX ms | EXAT s | PXAT ms | PERSIST]. */
  private RedisMessage getex(Session s, Request q) {
    boolean persist = false;
    int expiryKind = -1;
    int expiryArg = -1;
    for (int i = 2; i < q.argc(); i++) {
      boolean hasNext = i + 1 < q.argc();
      int kind;
      if (q.is(i, "persist") && expiryKind < 0) {
        persist = true;
      } else if ((kind = expiryOption(q, i)) >= 0
          && (expiryKind < 0 || expiryKind == kind)
          && !persist
          && hasNext) {
        expiryKind = kind;
        expiryArg = ++i;
      } else {
        throw CommandException.syntax();
      }
    }
    byte[] key = q.bytes(1);
    lock.lock();
    try {
      int hash = keyspace.hash(key);
      byte[] value = keyspace.get(hash, key);
      if (value == null) {
        return Replies.NULL;
      }
      long now = clock.millis();
      if (expiryKind >= 0) {
        long deadline = deadline(q, expiryArg, expiryKind, "getex", now);
        if (expiryKind >= EXAT && deadline <= now) {
          keyspace.delete(hash, key);
        } else {
          keyspace.expireAt(hash, key, deadline);
        }
      } else if (persist && keyspace.deadline(hash, key) != ExpiryTable.NONE) {
        keyspace.expireAt(hash, key, -1);
      }
      return Replies.bulkOf(value);
    } finally {
      lock.unlock();
    }
  }

  private RedisMessage getset(Session s, Request q) {
    byte[] key = q.bytes(1);
    byte[] value = q.bytes(2);
    lock.lock();
    try {
      int hash = keyspace.hash(key);
      byte[] old = keyspace.get(hash, key);
      keyspace.set(hash, key, value, 0, value.length, false);
      return old == null ? Replies.NULL : Replies.bulkOf(old);
    } finally {
      lock.unlock();
    }
  }

  private RedisMessage getdel(Session s, Request q) {
    byte[] key = q.bytes(1);
    byte[] old;
    lock.lock();
    try {
      int hash = keyspace.hash(key);
      old = keyspace.get(hash, key);
      if (old != null) {
        keyspace.delete(hash, key);
      }
    } finally {
      lock.unlock();
    }
    return old == null ? Replies.NULL : Replies.bulkOf(old);
  }

  private RedisMessage mget(Session s, Request q) {
    byte[][] keys = args(q, 1, 1);
    RedisMessage[] out = new RedisMessage[keys.length];
    lock.lock();
    try {
      for (int i = 0; i < keys.length; i++) {
        byte[] v = keyspace.get(keyspace.hash(keys[i]), keys[i]);
        out[i] = v == null ? Replies.NULL : Replies.bulkOf(v);
      }
    } finally {
      lock.unlock();
    }
    return Replies.array(Arrays.asList(out));
  }

  /** MSET, or MSETNX ({@code nx}): nothing is set when one key exists. */
  private RedisMessage mset(Request q, boolean nx) {
    if (q.argc() % 2 != 1) {
      throw new CommandException(Replies.wrongArity(nx ? "msetnx" : "mset"));
    }
    byte[][] keys = args(q, 1, 2);
    byte[][] values = args(q, 2, 2);
    lock.lock();
    try {
      if (nx) {
        for (byte[] key : keys) {
          if (keyspace.exists(keyspace.hash(key), key)) {
            return Replies.ZERO;
          }
        }
      }
      for (int i = 0; i < keys.length; i++) {
        keyspace.set(keyspace.hash(keys[i]), keys[i], values[i], 0, values[i].length, false);
      }
    } finally {
      lock.unlock();
    }
    return nx ? Replies.ONE : Replies.OK;
  }

  /** Returns every {@code step}-th argument from {@code first} on, copied. */
  static byte[][] args(Request q, int first, int step) {
    byte[][] keys = new byte[(q.argc() - first + step - 1) / step][];
    for (int i = first, k = 0; i < q.argc(); i += step, k++) {
      keys[k] = q.bytes(i);
    }
    return keys;
  }
}
