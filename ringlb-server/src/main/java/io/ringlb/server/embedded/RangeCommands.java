package io.ringlb.server.embedded;

import io.netty.handler.codec.redis.FullBulkStringRedisMessage;
import io.netty.handler.codec.redis.RedisMessage;
import io.ringlb.server.CommandException;
import io.ringlb.server.CommandRegistry;
import io.ringlb.server.CommandSpec;
import io.ringlb.server.Replies;
import io.ringlb.server.Request;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The embedded data side's commands on parts of a string: APPEND, STRLEN, SETRANGE, GETRANGE,
 * SUBSTR and LCS, with Redis's limits and error texts.
 */
final class RangeCommands {

  static final String TOO_LONG = "ERR string exceeds maximum allowed size (proto-max-bulk-len)";

  private final Keyspace keyspace;
  private final ReentrantLock lock;
  private final EmbeddedSettings settings;

  RangeCommands(Keyspace keyspace, EmbeddedSettings settings) {
    this.keyspace = keyspace;
    this.lock = keyspace.lock();
    this.settings = settings;
  }

  void register(CommandRegistry r) {
    r.register(CommandSpec.of("append", 3, "write fast", 1, 1, 1), (s, q) -> append(q));
    r.register(CommandSpec.of("strlen", 2, "readonly fast", 1, 1, 1), (s, q) -> strlen(q));
    r.register(CommandSpec.of("setrange", 4, "write", 1, 1, 1), (s, q) -> setrange(q));
    r.register(CommandSpec.of("getrange", 4, "readonly", 1, 1, 1), (s, q) -> getrange(q));
    r.register(CommandSpec.of("substr", 4, "readonly", 1, 1, 1), (s, q) -> getrange(q));
    r.register(CommandSpec.of("lcs", -3, "readonly", 1, 2, 1), (s, q) -> lcs(q));
  }

  /** Refuses a string of {@code size + more} bytes past the limit, as Redis's checkStringLength. */
  void checkLength(long size, long more) {
    long total = size + more;
    if (total > settings.maxStringLength() || total < size) {
      throw new CommandException(TOO_LONG);
    }
  }

  private RedisMessage append(Request q) {
    byte[] key = q.bytes(1);
    byte[] tail = q.bytes(2);
    lock.lock();
    try {
      int hash = keyspace.hash(key);
      byte[] old = keyspace.value(hash, key);
      if (old == null) {
        keyspace.set(hash, key, tail, 0, tail.length, false);
        return Replies.integer(tail.length);
      }
      checkLength(old.length, tail.length);
      byte[] next = Arrays.copyOf(old, old.length + tail.length);
      System.arraycopy(tail, 0, next, old.length, tail.length);
      keyspace.setInPlace(hash, key, next);
      return Replies.integer(next.length);
    } finally {
      lock.unlock();
    }
  }

  private RedisMessage strlen(Request q) {
    byte[] key = q.bytes(1);
    lock.lock();
    try {
      byte[] v = keyspace.value(keyspace.hash(key), key);
      return Replies.integer(v == null ? 0 : v.length);
    } finally {
      lock.unlock();
    }
  }

  private RedisMessage setrange(Request q) {
    long offset = q.longValue(2);
    if (offset < 0) {
      throw new CommandException("ERR offset is out of range");
    }
    byte[] key = q.bytes(1);
    byte[] part = q.bytes(3);
    lock.lock();
    try {
      int hash = keyspace.hash(key);
      byte[] old = keyspace.value(hash, key);
      if (part.length == 0) {
        return Replies.integer(old == null ? 0 : old.length);
      }
      checkLength(offset, part.length);
      int end = (int) offset + part.length;
      byte[] next = old == null ? new byte[end] : Arrays.copyOf(old, Math.max(old.length, end));
      System.arraycopy(part, 0, next, (int) offset, part.length);
      keyspace.setInPlace(hash, key, next);
      return Replies.integer(next.length);
    } finally {
      lock.unlock();
    }
  }

  /** GETRANGE key start end (and SUBSTR), with Redis's reading of negative and large indexes. */
  private RedisMessage getrange(Request q) {
    long start = q.longValue(2);
    long end = q.longValue(3);
    byte[] key = q.bytes(1);
    byte[] v;
    lock.lock();
    try {
      v = keyspace.value(keyspace.hash(key), key);
    } finally {
      lock.unlock();
    }
    if (v == null || (start < 0 && end < 0 && start > end)) {
      return FullBulkStringRedisMessage.EMPTY_INSTANCE;
    }
    long length = v.length;
    if (start < 0) {
      start = length + start;
    }
    if (end < 0) {
      end = length + end;
    }
    start = Math.max(0, start);
    end = Math.max(0, end);
    if (end >= length) {
      end = length - 1;
    }
    if (start > end || length == 0) {
      return FullBulkStringRedisMessage.EMPTY_INSTANCE;
    }
    return Replies.bulkOf(Arrays.copyOfRange(v, (int) start, (int) end + 1));
  }

  /** LCS key1 key2 [LEN] [IDX] [MINMATCHLEN len] [WITHMATCHLEN]. */
  private RedisMessage lcs(Request q) {
    byte[] ka = q.bytes(1);
    byte[] kb = q.bytes(2);
    byte[] a;
    byte[] b;
    lock.lock();
    try {
      a = keyspace.value(keyspace.hash(ka), ka);
      b = keyspace.value(keyspace.hash(kb), kb);
    } finally {
      lock.unlock();
    }
    a = a == null ? new byte[0] : a;
    b = b == null ? new byte[0] : b;
    boolean len = false;
    boolean idx = false;
    boolean withMatchLen = false;
    long minMatchLen = 0;
    for (int i = 3; i < q.argc(); i++) {
      if (q.is(i, "idx")) {
        idx = true;
      } else if (q.is(i, "len")) {
        len = true;
      } else if (q.is(i, "withmatchlen")) {
        withMatchLen = true;
      } else if (q.is(i, "minmatchlen") && i + 1 < q.argc()) {
        minMatchLen = Math.max(0, q.longValue(++i));
      } else {
        throw CommandException.syntax();
      }
    }
    if (len && idx) {
      throw new CommandException(
          "ERR If you want both the length and indexes, please just use IDX.");
    }
    long cells = (long) (a.length + 1) * (b.length + 1);
    if (cells * 4 > settings.maxStringLength()) {
      throw new CommandException(
          "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len");
    }
    if (cells > EmbeddedSettings.MAX_LCS_CELLS) {
      throw new CommandException(
          "ERR Insufficient memory, failed allocating transient memory for LCS");
    }
    Lcs table = new Lcs(a, b);
    if (len) {
      return Replies.integer(table.length());
    }
    if (!idx) {
      return Replies.bulkOf(table.common());
    }
    List<RedisMessage> matches = new ArrayList<>();
    for (int[] m : table.matches()) {
      int matchLen = m[1] - m[0] + 1;
      if (minMatchLen == 0 || matchLen >= minMatchLen) {
        List<RedisMessage> entry = new ArrayList<>(3);
        entry.add(Replies.array(List.of(Replies.integer(m[0]), Replies.integer(m[1]))));
        entry.add(Replies.array(List.of(Replies.integer(m[2]), Replies.integer(m[3]))));
        if (withMatchLen) {
          entry.add(Replies.integer(matchLen));
        }
        matches.add(Replies.array(entry));
      }
    }
    return Replies.map(
        List.of(
            Replies.bulkOf(new byte[] {'m', 'a', 't', 'c', 'h', 'e', 's'}),
            Replies.array(matches),
            Replies.bulkOf(new byte[] {'l', 'e', 'n'}),
            Replies.integer(table.length())));
  }
}
