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
 * DUMP and RESTORE of string values in Redis's payload format ({@link DumpFormat}), so a value can
 * travel between the embedded server and a redis-server either way; a payload of another type is
 * refused, since the embedded server holds strings only.
 */
final class DumpCommands {

  private final Keyspace keyspace;
  private final ReentrantLock lock;
  private final InstantSource clock;

  DumpCommands(Keyspace keyspace) {
    this.keyspace = keyspace;
    this.lock = keyspace.lock();
    this.clock = keyspace.clock();
  }

  void register(CommandRegistry r) {
    r.register(CommandSpec.of("dump", 2, "readonly", 1, 1, 1), (s, q) -> dump(q));
    r.register(CommandSpec.of("restore", -4, "write", 1, 1, 1), (s, q) -> restore(q));
  }

  private RedisMessage dump(Request q) {
    byte[] key = q.bytes(1);
    byte[] value;
    lock.lock();
    try {
      value = keyspace.value(keyspace.hash(key), key);
    } finally {
      lock.unlock();
    }
    return value == null ? Replies.NULL : Replies.bulkOf(DumpFormat.dump(value));
  }

  /** RESTORE key ttl payload [REPLACE] [ABSTTL] [IDLETIME seconds] [FREQ frequency]. */
  private RedisMessage restore(Request q) {
    boolean replace = false;
    boolean absolute = false;
    boolean idle = false;
    boolean freq = false;
    for (int i = 4; i < q.argc(); i++) {
      boolean more = i + 1 < q.argc();
      if (q.is(i, "replace")) {
        replace = true;
      } else if (q.is(i, "absttl")) {
        absolute = true;
      } else if (q.is(i, "idletime") && more && !freq) {
        idle = true;
        if (q.longValue(++i) < 0) {
          throw new CommandException("ERR Invalid IDLETIME value, must be >= 0");
        }
      } else if (q.is(i, "freq") && more && !idle) {
        freq = true;
        long f = q.longValue(++i);
        if (f < 0 || f > 255) {
          throw new CommandException("ERR Invalid FREQ value, must be >= 0 and <= 255");
        }
      } else {
        throw CommandException.syntax();
      }
    }
    byte[] key = q.bytes(1);
    lock.lock();
    try {
      int hash = keyspace.hash(key);
      if (!replace && keyspace.exists(hash, key)) {
        throw new CommandException("BUSYKEY Target key name already exists.");
      }
      long ttl = q.longValue(2);
      if (ttl < 0) {
        throw new CommandException("ERR Invalid TTL value, must be >= 0");
      }
      byte[] payload = q.bytes(3);
      if (!DumpFormat.verify(payload)) {
        throw new CommandException("ERR DUMP payload version or checksum are wrong");
      }
      byte[] value;
      try {
        value = DumpFormat.restore(payload);
      } catch (DumpFormat.BadFormat e) {
        throw new CommandException(
            payload[0] == 0
                ? "ERR Bad data format"
                : "ERR ringlb: the embedded server holds strings only; this payload is of"
                    + " another type");
      }
      if (replace) {
        keyspace.delete(hash, key);
      }
      long now = clock.millis();
      long deadline =
          ttl == 0 ? ExpiryTable.NONE : absolute ? ttl : now + Math.min(ttl, Long.MAX_VALUE - now);
      if (deadline != ExpiryTable.NONE && deadline <= now) {
        return Replies.OK; // already expired: nothing to restore
      }
      keyspace.put(hash, key, value, deadline, false);
      return Replies.OK;
    } finally {
      lock.unlock();
    }
  }
}
