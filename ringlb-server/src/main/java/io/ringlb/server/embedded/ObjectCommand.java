package io.ringlb.server.embedded;

import io.netty.handler.codec.redis.RedisMessage;
import io.ringlb.server.CommandException;
import io.ringlb.server.CommandRegistry;
import io.ringlb.server.CommandSpec;
import io.ringlb.server.Replies;
import io.ringlb.server.Request;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;

/**
 * OBJECT ENCODING, REFCOUNT, FREQ, IDLETIME and HELP over the embedded keyspace. Values are kept as
 * bytes, so ENCODING answers the encoding Redis would give the value (int, embstr, raw: raw also
 * after an in-place change, as in Redis), REFCOUNT 1 (no value is shared), FREQ Redis's refusal
 * under its default eviction policy; access times are not kept, so IDLETIME is refused.
 */
final class ObjectCommand {

  /** The longest value Redis keeps embedded in its object header. */
  private static final int EMBSTR_MAX = 44;

  private static final String[] HELP = {
    "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "ENCODING <key>",
    "    Return the kind of internal representation used in order to store the value",
    "    associated with a <key>.",
    "FREQ <key>",
    "    Return the access frequency index of the <key>. The returned integer is",
    "    proportional to the logarithm of the recent access frequency of the key.",
    "IDLETIME <key>",
    "    Return the idle time of the <key>, that is the approximated number of",
    "    seconds elapsed since the last access to the key.",
    "REFCOUNT <key>",
    "    Return the number of references of the value associated with the specified",
    "    <key>.",
    "HELP",
    "    Prints this help.",
  };

  private final Keyspace keyspace;
  private final ReentrantLock lock;

  ObjectCommand(Keyspace keyspace) {
    this.keyspace = keyspace;
    this.lock = keyspace.lock();
  }

  void register(CommandRegistry r) {
    r.register(
        CommandSpec.of("object", -2, "readonly"),
        (s, q) -> {
          throw CommandException.syntax(); // the table answers unknown subcommands
        });
    r.registerSubcommand(
        "object", CommandSpec.of("encoding", 3, "readonly", 2, 2, 1), (s, q) -> encoding(q));
    r.registerSubcommand(
        "object",
        CommandSpec.of("refcount", 3, "readonly", 2, 2, 1),
        (s, q) -> live(q) ? Replies.ONE : Replies.NULL);
    r.registerSubcommand(
        "object",
        CommandSpec.of("freq", 3, "readonly", 2, 2, 1),
        (s, q) -> {
          if (!live(q)) {
            return Replies.NULL;
          }
          throw new CommandException(
              "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please"
                  + " note that when switching between policies at runtime LRU and LFU data will"
                  + " take some time to adjust.");
        });
    r.registerSubcommand(
        "object",
        CommandSpec.of("idletime", 3, "readonly", 2, 2, 1),
        (s, q) -> {
          if (!live(q)) {
            return Replies.NULL;
          }
          throw new CommandException(
              "ERR ringlb: the embedded server keeps no access times, so OBJECT IDLETIME is not"
                  + " served");
        });
    r.registerSubcommand(
        "object",
        CommandSpec.of("help", 2, "readonly"),
        (s, q) -> {
          List<RedisMessage> lines = new ArrayList<>(HELP.length);
          for (String line : HELP) {
            lines.add(Replies.simple(line));
          }
          return Replies.array(lines);
        });
  }

  private boolean live(Request q) {
    byte[] key = q.bytes(2);
    lock.lock();
    try {
      return keyspace.exists(keyspace.hash(key), key);
    } finally {
      lock.unlock();
    }
  }

  private RedisMessage encoding(Request q) {
    byte[] key = q.bytes(2);
    byte[] value;
    boolean inPlace;
    lock.lock();
    try {
      int hash = keyspace.hash(key);
      value = keyspace.value(hash, key);
      inPlace = value != null && keyspace.inPlace(hash, key);
    } finally {
      lock.unlock();
    }
    if (value == null) {
      return Replies.NULL;
    }
    String name = inPlace ? "raw" : encodingOf(value);
    return Replies.bulkOf(name.getBytes(StandardCharsets.US_ASCII));
  }

  /** Returns the encoding Redis gives a string value it stores whole (tryObjectEncoding). */
  static String encodingOf(byte[] value) {
    if (NumberCommands.isLong(value)) {
      return "int";
    }
    return value.length <= EMBSTR_MAX ? "embstr" : "raw";
  }
}
