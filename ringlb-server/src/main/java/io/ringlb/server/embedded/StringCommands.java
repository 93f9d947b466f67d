package io.ringlb.server.embedded;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.redis.RedisMessage;
import io.ringlb.server.CommandException;
import io.ringlb.server.CommandRegistry;
import io.ringlb.server.CommandSpec;
import io.ringlb.server.Replies;
import io.ringlb.server.Request;
import io.ringlb.server.Session;
import java.nio.charset.StandardCharsets;
import java.time.InstantSource;
import java.util.Arrays;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The embedded data side's string and key commands: GET, SET (with Redis's option rules), SETNX,
 * GETDEL, DEL, UNLINK, EXISTS, TYPE, MGET, MSET, INCR, DECR, INCRBY, DECRBY, APPEND, STRLEN. Each
 * runs under the keyspace's lock from its first lookup to its last write.
 */
final class StringCommands {

  private final Keyspace keyspace;
  private final ReentrantLock lock;
  private final InstantSource clock;

  StringCommands(Keyspace keyspace, InstantSource clock) {
    this.keyspace = keyspace;
    this.lock = keyspace.lock();
    this.clock = clock;
  }

  /** Registers these commands. */
  void register(CommandRegistry r) {
    r.register(CommandSpec.of("get", 2, "readonly fast", 1, 1, 1), this::get);
    r.register(CommandSpec.of("set", -3, "write", 1, 1, 1), this::set);
    r.register(CommandSpec.of("setnx", 3, "write fast", 1, 1, 1), this::setnx);
    r.register(CommandSpec.of("getdel", 2, "write fast", 1, 1, 1), this::getdel);
    r.register(CommandSpec.of("del", -2, "write", 1, -1, 1), this::del);
    r.register(CommandSpec.of("unlink", -2, "write fast", 1, -1, 1), this::del);
    r.register(CommandSpec.of("exists", -2, "readonly fast", 1, -1, 1), this::exists);
    r.register(CommandSpec.of("type", 2, "readonly fast", 1, 1, 1), this::type);
    r.register(CommandSpec.of("mget", -2, "readonly fast", 1, -1, 1), this::mget);
    r.register(CommandSpec.of("mset", -3, "write", 1, -1, 2), this::mset);
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
    r.register(CommandSpec.of("append", 3, "write fast", 1, 1, 1), this::append);
    r.register(CommandSpec.of("strlen", 2, "readonly fast", 1, 1, 1), this::strlen);
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

  /** The expiry options of SET, by their index in {@link #EXPIRY_OPTIONS}. */
  private static final String[] EXPIRY_OPTIONS = {"ex", "px", "exat", "pxat"};

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
    long ttlMillis = -1; // relative
    long atMillis = -1; // absolute
    if (expiry) {
      boolean seconds = expiryKind == 0 || expiryKind == 2;
      long v = q.longValue(expiryArg);
      if (v <= 0 || (seconds && v > Long.MAX_VALUE / 1000)) {
        throw new CommandException("ERR invalid expire time in 'set' command");
      }
      long ms = seconds ? v * 1000 : v;
      if (expiryKind >= 2) {
        atMillis = ms;
      } else {
        ttlMillis = ms;
      }
    }
    byte[] key = q.bytes(1);
    ByteBuf value = q.arg(2);
    byte[] bytes = value.hasArray() ? value.array() : q.bytes(2);
    int offset = value.hasArray() ? value.arrayOffset() + value.readerIndex() : 0;
    int length = value.readableBytes();
    long now = expiry ? clock.millis() : 0;
    long deadline = atMillis >= 0 ? atMillis : ttlMillis >= 0 ? now + ttlMillis : -1;
    if (ttlMillis >= 0 && deadline < now) {
      throw new CommandException("ERR invalid expire time in 'set' command");
    }
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
          keyspace.expireAt(hash, key, deadline);
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

  private RedisMessage del(Session s, Request q) {
    return countKeys(q, keyspace::delete);
  }

  private RedisMessage exists(Session s, Request q) {
    return countKeys(q, keyspace::exists);
  }

  /** A test or change of one key under the lock, by its hash. */
  private interface KeyOp {
    boolean apply(int hash, byte[] key);
  }

  /** Applies {@code op} to every key argument under one hold of the lock; replies how many held. */
  private RedisMessage countKeys(Request q, KeyOp op) {
    byte[][] keys = keys(q, 1, 1);
    long n = 0;
    lock.lock();
    try {
      for (byte[] key : keys) {
        n += op.apply(keyspace.hash(key), key) ? 1 : 0;
      }
    } finally {
      lock.unlock();
    }
    return Replies.integer(n);
  }

  private RedisMessage type(Session s, Request q) {
    byte[] key = q.bytes(1);
    lock.lock();
    try {
      return Replies.simple(keyspace.exists(keyspace.hash(key), key) ? "string" : "none");
    } finally {
      lock.unlock();
    }
  }

  private RedisMessage mget(Session s, Request q) {
    byte[][] keys = keys(q, 1, 1);
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

  private RedisMessage mset(Session s, Request q) {
    if (q.argc() % 2 != 1) {
      throw new CommandException(Replies.wrongArity("mset"));
    }
    byte[][] keys = keys(q, 1, 2);
    byte[][] values = keys(q, 2, 2);
    lock.lock();
    try {
      for (int i = 0; i < keys.length; i++) {
        keyspace.set(keyspace.hash(keys[i]), keys[i], values[i], 0, values[i].length, false);
      }
    } finally {
      lock.unlock();
    }
    return Replies.OK;
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

  private static long parseLong(byte[] value) {
    if (value.length == 0 || value.length > 20) {
      throw CommandException.notInteger();
    }
    try {
      String text = new String(value, StandardCharsets.US_ASCII);
      long v = Long.parseLong(text);
      if (!Long.toString(v).equals(text)) { // no '+', no leading zeros, as Redis's string2ll
        throw CommandException.notInteger();
      }
      return v;
    } catch (NumberFormatException e) {
      throw CommandException.notInteger();
    }
  }

  private RedisMessage append(Session s, Request q) {
    byte[] key = q.bytes(1);
    byte[] tail = q.bytes(2);
    lock.lock();
    try {
      int hash = keyspace.hash(key);
      byte[] old = keyspace.value(hash, key);
      byte[] next = tail;
      if (old != null) {
        next = Arrays.copyOf(old, old.length + tail.length);
        System.arraycopy(tail, 0, next, old.length, tail.length);
      }
      keyspace.set(hash, key, next, 0, next.length, true);
      return Replies.integer(next.length);
    } finally {
      lock.unlock();
    }
  }

  private RedisMessage strlen(Session s, Request q) {
    byte[] key = q.bytes(1);
    lock.lock();
    try {
      byte[] v = keyspace.value(keyspace.hash(key), key);
      return Replies.integer(v == null ? 0 : v.length);
    } finally {
      lock.unlock();
    }
  }

  /** Returns every {@code step}-th argument from {@code first} on, copied. */
  private static byte[][] keys(Request q, int first, int step) {
    byte[][] keys = new byte[(q.argc() - first + step - 1) / step][];
    for (int i = first, k = 0; i < q.argc(); i += step, k++) {
      keys[k] = q.bytes(i);
    }
    return keys;
  }
}
