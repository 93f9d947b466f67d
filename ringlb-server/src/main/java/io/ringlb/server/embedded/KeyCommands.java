package io.ringlb.server.embedded;

import io.netty.handler.codec.redis.RedisMessage;
import io.ringlb.server.CommandException;
import io.ringlb.server.CommandRegistry;
import io.ringlb.server.CommandSpec;
import io.ringlb.server.Glob;
import io.ringlb.server.Replies;
import io.ringlb.server.Request;
import io.ringlb.server.Session;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The embedded data side's generic keyspace commands: DEL, UNLINK, EXISTS, TOUCH, TYPE, RENAME,
 * RENAMENX, COPY, RANDOMKEY, KEYS, SCAN, DBSIZE, FLUSHDB and FLUSHALL, as Redis answers them for
 * one database of strings. OBJECT is in {@link ObjectCommand}.
 */
final class KeyCommands {

  private final Keyspace keyspace;
  private final ReentrantLock lock;

  KeyCommands(Keyspace keyspace) {
    this.keyspace = keyspace;
    this.lock = keyspace.lock();
  }

  void register(CommandRegistry r) {
    r.register(CommandSpec.of("del", -2, "write", 1, -1, 1), (s, q) -> count(q, keyspace::delete));
    r.register(
        CommandSpec.of("unlink", -2, "write fast", 1, -1, 1), (s, q) -> count(q, keyspace::delete));
    r.register(
        CommandSpec.of("exists", -2, "readonly fast", 1, -1, 1),
        (s, q) -> count(q, keyspace::exists));
    r.register(
        CommandSpec.of("touch", -2, "readonly fast", 1, -1, 1),
        (s, q) -> count(q, keyspace::exists));
    r.register(CommandSpec.of("type", 2, "readonly fast", 1, 1, 1), (s, q) -> type(q));
    r.register(CommandSpec.of("rename", 3, "write", 1, 2, 1), (s, q) -> rename(q, false));
    r.register(CommandSpec.of("renamenx", 3, "write fast", 1, 2, 1), (s, q) -> rename(q, true));
    r.register(CommandSpec.of("copy", -3, "write", 1, 2, 1), (s, q) -> copy(q));
    r.register(CommandSpec.of("randomkey", 1, "readonly"), this::randomKey);
    r.register(CommandSpec.of("scan", -2, "readonly"), this::scan);
    r.register(CommandSpec.of("keys", 2, "readonly"), this::keys);
    r.register(
        CommandSpec.of("dbsize", 1, "readonly fast"),
        (s, q) -> {
          lock.lock();
          try {
            return Replies.integer(keyspace.balancer().size());
          } finally {
            lock.unlock();
          }
        });
    r.register(CommandSpec.of("flushall", -1, "write admin"), (s, q) -> flush(q));
    r.register(CommandSpec.of("flushdb", -1, "write admin"), (s, q) -> flush(q));
  }

  /** A test or change of one key under the lock, by its hash. */
  private interface KeyOp {
    boolean apply(int hash, byte[] key);
  }

  /** Applies {@code op} to every key argument under one hold of the lock; replies how many held. */
  private RedisMessage count(Request q, KeyOp op) {
    byte[][] keys = StringCommands.args(q, 1, 1);
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

  private RedisMessage type(Request q) {
    byte[] key = q.bytes(1);
    lock.lock();
    try {
      return Replies.simple(keyspace.exists(keyspace.hash(key), key) ? "string" : "none");
    } finally {
      lock.unlock();
    }
  }

  /** RENAME (OK) and RENAMENX (1, or 0 when the new name exists): the deadline moves along. */
  private RedisMessage rename(Request q, boolean nx) {
    byte[] from = q.bytes(1);
    byte[] to = q.bytes(2);
    lock.lock();
    try {
      int fromHash = keyspace.hash(from);
      byte[] value = keyspace.value(fromHash, from);
      if (value == null) {
        throw new CommandException("ERR no such key");
      }
      if (Arrays.equals(from, to)) {
        return nx ? Replies.ZERO : Replies.OK;
      }
      int toHash = keyspace.hash(to);
      if (nx && keyspace.exists(toHash, to)) {
        return Replies.ZERO;
      }
      long deadline = keyspace.deadline(fromHash, from);
      boolean inPlace = keyspace.inPlace(fromHash, from);
      keyspace.delete(toHash, to);
      keyspace.put(toHash, to, value, deadline, inPlace);
      keyspace.delete(fromHash, from);
      return nx ? Replies.ONE : Replies.OK;
    } finally {
      lock.unlock();
    }
  }

  /** COPY source destination [DB 0] [REPLACE]: one database, so DB can only name it. */
  private RedisMessage copy(Request q) {
    boolean replace = false;
    for (int i = 3; i < q.argc(); i++) {
      if (q.is(i, "replace")) {
        replace = true;
      } else if (q.is(i, "db") && i + 1 < q.argc()) {
        long db = q.longValue(++i);
        if (db < Integer.MIN_VALUE || db > Integer.MAX_VALUE) {
          throw new CommandException(
              "ERR value is out of range, value must between -2147483648 and 2147483647");
        }
        if (db != 0) {
          throw new CommandException("ERR DB index is out of range");
        }
      } else {
        throw CommandException.syntax();
      }
    }
    byte[] from = q.bytes(1);
    byte[] to = q.bytes(2);
    if (Arrays.equals(from, to)) {
      throw new CommandException("ERR source and destination objects are the same");
    }
    lock.lock();
    try {
      int fromHash = keyspace.hash(from);
      byte[] value = keyspace.value(fromHash, from);
      if (value == null) {
        return Replies.ZERO;
      }
      int toHash = keyspace.hash(to);
      if (keyspace.exists(toHash, to)) {
        if (!replace) {
          return Replies.ZERO;
        }
        keyspace.delete(toHash, to);
      }
      keyspace.put(
          toHash, to, value, keyspace.deadline(fromHash, from), keyspace.inPlace(fromHash, from));
      return Replies.ONE;
    } finally {
      lock.unlock();
    }
  }

  /** Keys RANDOMKEY draws one from: a page of this many from a random point of the hash space. */
  private static final int RANDOM_PAGE = 64;

  /**
   * RANDOMKEY: one key drawn uniformly from the live keys of a SCAN page that starts at a random
   * point of the hash space (from the start when that point is past the last key), so every key can
   * come and a keyspace of up to {@value #RANDOM_PAGE} keys is drawn from uniformly.
   */
  private RedisMessage randomKey(Session s, Request q) {
    lock.lock();
    try {
      for (int attempt = 0; attempt < 64 && keyspace.balancer().size() > 0; attempt++) {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        long cursor = attempt % 2 == 0 ? random.nextLong(1L << 32) : 0;
        List<byte[]> keys = Scan.page(keyspace, cursor, RANDOM_PAGE).keys();
        if (!keys.isEmpty()) {
          return Replies.bulkOf(keys.get(random.nextInt(keys.size())));
        }
      }
      return Replies.NULL;
    } finally {
      lock.unlock();
    }
  }

  private RedisMessage scan(Session s, Request q) {
    long cursor = parseCursor(q);
    int count = 10;
    byte[] pattern = null;
    boolean stringsOnly = true;
    for (int i = 2; i < q.argc(); i++) {
      boolean hasNext = i + 1 < q.argc();
      if (q.is(i, "count") && hasNext) {
        long c = q.longValue(++i);
        if (c < 1) {
          throw CommandException.syntax();
        }
        count = (int) Math.min(c, 1 << 20);
      } else if (q.is(i, "match") && hasNext) {
        pattern = q.bytes(++i);
      } else if (q.is(i, "type") && hasNext) {
        stringsOnly = q.is(++i, "string");
      } else {
        throw CommandException.syntax();
      }
    }
    Scan.Page page;
    lock.lock();
    try {
      page = Scan.page(keyspace, cursor, count);
    } finally {
      lock.unlock();
    }
    List<RedisMessage> keys = new ArrayList<>(page.keys().size());
    if (stringsOnly) {
      boolean all = pattern == null || Glob.matchesEverything(pattern);
      for (byte[] key : page.keys()) {
        if (all || Glob.matches(pattern, key)) {
          keys.add(Replies.bulk(s.alloc(), key));
        }
      }
    }
    return Replies.array(
        List.of(Replies.bulk(s.alloc(), Long.toString(page.next())), Replies.array(keys)));
  }

  private static long parseCursor(Request q) {
    String text = q.string(1);
    try {
      long c = Long.parseUnsignedLong(text);
      return c > 0xFFFF_FFFFL ? -1 : c;
    } catch (NumberFormatException e) {
      throw new CommandException("ERR invalid cursor");
    }
  }

  private RedisMessage keys(Session s, Request q) {
    byte[] pattern = q.bytes(1);
    boolean all = Glob.matchesEverything(pattern);
    List<byte[]> found = new ArrayList<>();
    lock.lock();
    try {
      keyspace
          .balancer()
          .forEach(
              (h, kb, ko, kl, vb, vo, vl) -> {
                if (all || Glob.matches(pattern, kb, ko, kl, false)) {
                  found.add(Arrays.copyOfRange(kb, ko, ko + kl));
                }
              });
      found.removeIf(k -> keyspace.expireIfNeeded(keyspace.hash(k), k));
    } finally {
      lock.unlock();
    }
    List<RedisMessage> out = new ArrayList<>(found.size());
    for (byte[] k : found) {
      out.add(Replies.bulk(s.alloc(), k));
    }
    return Replies.array(out);
  }

  private RedisMessage flush(Request q) {
    if (q.argc() > 2 || (q.argc() == 2 && !q.is(1, "sync") && !q.is(1, "async"))) {
      throw CommandException.syntax();
    }
    lock.lock();
    try {
      keyspace.flush();
    } finally {
      lock.unlock();
    }
    return Replies.OK;
  }
}
