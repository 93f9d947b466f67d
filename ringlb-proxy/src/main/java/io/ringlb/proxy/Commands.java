package io.ringlb.proxy;

import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;

/**
 * The commands the proxy knows, looked up case-insensitively from a command name's bytes without
 * allocating.
 */
final class Commands {

  /** How the proxy handles a command. */
  enum Kind {
    /** One key, the first argument: sent to the key's owner. */
    KEY,
    /** Keys only (MGET): split by owner, replies reassembled in key order. */
    MGET,
    /** Keys only, integer reply (DEL, EXISTS, UNLINK, TOUCH): split, replies summed. */
    COUNT_KEYS,
    /** Key-value pairs (MSET): split by owner, OK when every part is. */
    MSET,
    /**
     * Several keys in one atomic command (RENAME, SINTERSTORE, EVAL...): the keys must share a
     * routing hash (a hash tag), and the command goes whole to their owner.
     */
    SAME,
    /** Known but not served through the proxy; {@link Spec#refusal} says why. */
    REFUSED,
    /** Answered by the proxy itself, or fanned out to every backend. */
    LOCAL
  }

  /**
   * A command: its lowercase name, how it is handled, and whether it needs no AUTH first. For
   * {@link Kind#SAME}, its keys are the arguments {@code first..last} ({@code last} negative:
   * counted from the end, -1 the last; {@code first} 0: none) every {@code step}, then the
   * {@code n} arguments after argument {@code numkeys} holding {@code n} (0: no such argument;
   * {@link #STREAMS}: the keys follow a STREAMS option; {@link #SORT_STORE}: SORT's). For {@link Kind#REFUSED}, {@code
   * refusal} says why, following the command's name.
   */
  record Spec(String name, Kind kind, boolean beforeAuth, int first, int last, int step,
      int numkeys, String refusal) {

    Spec(String name, Kind kind, boolean beforeAuth) {
      this(name, kind, beforeAuth, 0, 0, 1, 0, null);
    }
  }

  private static final String[] KEY_COMMANDS = {
    // strings
    "get", "set", "setnx", "setex", "psetex", "getset", "getdel", "getex", "append", "strlen",
    "incr", "decr", "incrby", "decrby", "incrbyfloat", "getrange", "setrange", "substr",
    "getbit", "setbit", "bitcount", "bitpos", "bitfield", "bitfield_ro",
    // keys
    "expire", "pexpire", "expireat", "pexpireat", "expiretime", "pexpiretime", "ttl", "pttl",
    "persist", "type", "dump", "restore",
    // hashes
    "hset", "hsetnx", "hget", "hmset", "hmget", "hdel", "hlen", "hstrlen", "hkeys", "hvals",
    "hgetall", "hexists", "hincrby", "hincrbyfloat", "hscan", "hrandfield",
    // lists
    "lpush", "rpush", "lpushx", "rpushx", "lpop", "rpop", "llen", "lindex", "lset", "lrange",
    "ltrim", "lrem", "linsert", "lpos",
    // sets
    "sadd", "srem", "scard", "sismember", "smismember", "smembers", "srandmember", "spop",
    "sscan",
    // sorted sets
    "zadd", "zrem", "zcard", "zscore", "zmscore", "zincrby", "zrank", "zrevrank", "zrange",
    "zrevrange", "zrangebyscore", "zrevrangebyscore", "zrangebylex", "zrevrangebylex", "zcount",
    "zlexcount", "zremrangebyrank", "zremrangebyscore", "zremrangebylex", "zpopmin", "zpopmax",
    "zrandmember", "zscan",
    // hyperloglog, geo, streams (single key forms)
    "pfadd", "geoadd", "geopos", "geodist", "geohash", "geosearch", "georadius_ro",
    "georadiusbymember_ro", "xadd", "xlen", "xrange", "xrevrange", "xdel", "xtrim",
    // stream consumer groups
    "xack", "xclaim", "xautoclaim", "xpending", "xsetid",
    // sorting (BY and GET patterns read keys of the key's own backend)
    "sort_ro",
  };

  private static final String[] LOCAL_COMMANDS = {
    "ping", "echo", "select", "client", "command", "config", "info", "dbsize", "flushall",
    "flushdb", "scan", "ring", "time", "reset", "script", "function", "multi", "exec", "discard",
    "watch", "unwatch", "subscribe", "psubscribe", "unsubscribe", "punsubscribe", "publish",
    "pubsub",
  };

  private static final String[] BEFORE_AUTH = {"auth", "hello", "quit"};

  /** {@link Spec#numkeys} of XREAD and XREADGROUP: keys follow their STREAMS option. */
  static final int STREAMS = -1;

  /** {@link Spec#numkeys} of SORT: its key, and the key after its STORE option if it has one. */
  static final int SORT_STORE = -2;

  /**
   * {@link Spec#numkeys} of GEORADIUS and GEORADIUSBYMEMBER: the key, and the key after a STORE
   * or STOREDIST option; {@link Spec#last} is the last positional argument.
   */
  static final int GEO_STORE = -3;

  /** Commands whose keys are two fixed arguments, the first two. */
  private static final String[] TWO_KEYS = {
    "rename", "renamenx", "copy", "smove", "lmove", "rpoplpush", "zrangestore", "geosearchstore",
    "lcs",
  };

  /** Commands whose every argument is a key. */
  private static final String[] ALL_KEYS = {
    "sinter", "sunion", "sdiff", "sinterstore", "sunionstore", "sdiffstore", "pfcount", "pfmerge",
  };

  /** Commands whose keys are counted by their first argument. */
  private static final String[] COUNTED_KEYS = {
    "zunion", "zinter", "zdiff", "zintercard", "sintercard", "lmpop", "zmpop",
  };

  /** Commands whose keys are counted by their second argument (a script or function first). */
  private static final String[] SCRIPT_KEYS = {
    "eval", "evalsha", "eval_ro", "evalsha_ro", "fcall", "fcall_ro",
  };

  private static final String BLOCKS = "blocks its connection until data arrives, and the proxy's"
      + " connections to a redis-server are shared by its clients";

  private static final String[][] REFUSED = {
    {BLOCKS, "blpop", "brpop", "brpoplpush", "blmove", "blmpop", "bzpopmin", "bzpopmax", "bzmpop",
        "wait", "waitaof"},
    {"(sharded publish/subscribe) is not served by the proxy; SUBSCRIBE, PSUBSCRIBE and PUBLISH"
        + " are", "ssubscribe", "sunsubscribe", "spublish"},
    {"would walk every backend at once; use SCAN, which the proxy walks backend by backend",
        "keys"},
    {"concerns one redis-server; run it on the backends directly", "randomkey", "move", "swapdb",
        "migrate", "monitor", "sync", "psync", "replicaof", "slaveof", "shutdown", "debug", "save",
        "bgsave", "bgrewriteaof", "lastsave", "cluster", "readonly", "readwrite", "asking",
        "latency", "slowlog", "acl", "module", "failover"},
  };

  private static final int MASK = 511;
  private static final byte[][] NAMES = new byte[MASK + 1][];
  private static final Spec[] SPECS = new Spec[MASK + 1];

  static {
    for (String name : KEY_COMMANDS) {
      add(new Spec(name, Kind.KEY, false));
    }
    for (String name : LOCAL_COMMANDS) {
      add(new Spec(name, Kind.LOCAL, false));
    }
    for (String name : BEFORE_AUTH) {
      add(new Spec(name, Kind.LOCAL, true));
    }
    for (String name : TWO_KEYS) {
      add(new Spec(name, Kind.SAME, false, 1, 2, 1, 0, null));
    }
    for (String name : ALL_KEYS) {
      add(new Spec(name, Kind.SAME, false, 1, -1, 1, 0, null));
    }
    for (String name : COUNTED_KEYS) {
      add(new Spec(name, Kind.SAME, false, 0, 0, 1, 1, null));
    }
    for (String name : SCRIPT_KEYS) {
      add(new Spec(name, Kind.SAME, false, 0, 0, 1, 2, null));
    }
    for (String name : new String[] {"zunionstore", "zinterstore", "zdiffstore"}) {
      add(new Spec(name, Kind.SAME, false, 1, 1, 1, 2, null));
    }
    add(new Spec("bitop", Kind.SAME, false, 2, -1, 1, 0, null));
    add(new Spec("sort", Kind.SAME, false, 1, 1, 1, SORT_STORE, null));
    add(new Spec("georadius", Kind.SAME, false, 1, 5, 1, GEO_STORE, null));
    add(new Spec("georadiusbymember", Kind.SAME, false, 1, 4, 1, GEO_STORE, null));
    // XREAD and XREADGROUP: the first half of the arguments after STREAMS (BLOCK is refused)
    for (String name : new String[] {"xread", "xreadgroup"}) {
      add(new Spec(name, Kind.SAME, false, 0, 0, 1, STREAMS, null));
    }
    // MEMORY USAGE key, OBJECT ENCODING key, XGROUP CREATE key..., XINFO STREAM key...: a
    // subcommand, then the key
    for (String name : new String[] {"memory", "object", "xgroup", "xinfo"}) {
      add(new Spec(name, Kind.SAME, false, 2, 2, 1, 0, null));
    }
    add(new Spec("msetnx", Kind.SAME, false, 1, -2, 2, 0, null));
    for (String[] group : REFUSED) {
      for (int i = 1; i < group.length; i++) {
        add(new Spec(group[i], Kind.REFUSED, false, 0, 0, 1, 0, group[0]));
      }
    }
    add(new Spec("mget", Kind.MGET, false));
    add(new Spec("mset", Kind.MSET, false));
    for (String name : new String[] {"del", "exists", "unlink", "touch"}) {
      add(new Spec(name, Kind.COUNT_KEYS, false));
    }
  }

  private Commands() {}

  private static void add(Spec spec) {
    byte[] name = spec.name().getBytes(StandardCharsets.US_ASCII);
    int i = hash(name, 0, name.length) & MASK;
    while (NAMES[i] != null) {
      if (spec.name().equals(new String(NAMES[i], StandardCharsets.US_ASCII))) {
        throw new IllegalStateException("command listed twice: " + spec.name());
      }
      i = (i + 1) & MASK;
    }
    NAMES[i] = name;
    SPECS[i] = spec;
  }

  private static int hash(byte[] b, int off, int len) {
    int h = 5381;
    for (int i = off; i < off + len; i++) {
      h = h * 33 + (b[i] | 0x20);
    }
    return h ^ (h >>> 9);
  }

  /** Returns the command named by the readable bytes of {@code name}, or null. */
  static Spec lookup(ByteBuf name, byte[] scratch) {
    int len = name.readableBytes();
    if (len == 0 || len > scratch.length || len > 32) {
      return null;
    }
    name.getBytes(name.readerIndex(), scratch, 0, len);
    int i = hash(scratch, 0, len) & MASK;
    byte[] candidate;
    while ((candidate = NAMES[i]) != null) {
      if (candidate.length == len && equalsIgnoreCase(candidate, scratch, len)) {
        return SPECS[i];
      }
      i = (i + 1) & MASK;
    }
    return null;
  }

  private static boolean equalsIgnoreCase(byte[] lower, byte[] b, int len) {
    for (int i = 0; i < len; i++) {
      int c = b[i];
      if (c >= 'A' && c <= 'Z') {
        c += 32;
      }
      if (c != lower[i]) {
        return false;
      }
    }
    return true;
  }

  /**
   * Returns the indexes of the keys of a {@link Kind#SAME} command, or null when its arguments do
   * not hold them (too few, a count that is not a positive number, or more keys than arguments).
   */
  static int[] keys(Spec spec, ByteBuf[] args, int argc) {
    if (spec.numkeys() == STREAMS) {
      return streamKeys(spec, args, argc);
    }
    if (spec.numkeys() == SORT_STORE) {
      return sortKeys(args, argc);
    }
    if (spec.numkeys() == GEO_STORE) {
      return geoKeys(spec, args, argc);
    }
    int fixed = 0;
    int last = spec.last() < 0 ? argc + spec.last() : spec.last();
    if (spec.first() > 0) {
      if (last < spec.first() || last >= argc || (last - spec.first()) % spec.step() != 0) {
        return null;
      }
      fixed = (last - spec.first()) / spec.step() + 1;
    }
    int counted = 0;
    if (spec.numkeys() > 0) {
      if (spec.numkeys() >= argc) {
        return null;
      }
      long n = count(args[spec.numkeys()]);
      if (n < 1 || n > argc - spec.numkeys() - 1) {
        return null;
      }
      counted = (int) n;
    }
    int[] keys = new int[fixed + counted];
    for (int i = 0; i < fixed; i++) {
      keys[i] = spec.first() + i * spec.step();
    }
    for (int i = 0; i < counted; i++) {
      keys[fixed + i] = spec.numkeys() + 1 + i;
    }
    return keys;
  }

  /**
   * Returns the indexes of the keys of a command sent to one backend whole or split by key
   * (any kind but {@link Kind#LOCAL} and {@link Kind#REFUSED}), or null when its arguments do not
   * hold them.
   */
  static int[] keysOfAny(Spec spec, ByteBuf[] args, int argc) {
    int step;
    switch (spec.kind()) {
      case SAME -> {
        return keys(spec, args, argc);
      }
      case KEY -> {
        return argc < 2 ? null : new int[] {1};
      }
      case MGET, COUNT_KEYS -> step = 1;
      case MSET -> step = 2;
      default -> {
        return null;
      }
    }
    if (argc < 1 + step || (argc - 1) % step != 0) {
      return null;
    }
    int[] keys = new int[(argc - 1) / step];
    for (int i = 0; i < keys.length; i++) {
      keys[i] = 1 + i * step;
    }
    return keys;
  }

  /** Returns whether the proxy serves the command named {@code name} (not refused, not unknown). */
  static boolean served(byte[] name) {
    Spec spec = lookup(io.netty.buffer.Unpooled.wrappedBuffer(name), new byte[32]);
    return spec != null && spec.kind() != Kind.REFUSED;
  }

  /** Returns every command the proxy knows. */
  static java.util.List<Spec> all() {
    java.util.List<Spec> out = new java.util.ArrayList<>();
    for (Spec spec : SPECS) {
      if (spec != null) {
        out.add(spec);
      }
    }
    return out;
  }

  /** Returns how many commands the proxy serves. */
  static int servedCount() {
    int n = 0;
    for (Spec spec : SPECS) {
      if (spec != null && spec.kind() != Kind.REFUSED) {
        n++;
      }
    }
    return n;
  }

  /** Returns whether {@code spec} runs at once even inside MULTI (EXEC, DISCARD, WATCH...). */
  static boolean endsTransaction(Spec spec) {
    return switch (spec.name()) {
      case "exec", "discard", "multi", "reset", "quit", "watch" -> true;
      default -> false;
    };
  }

  /**
   * Returns the keys of XREAD or XREADGROUP: after its options ({@code COUNT n}, {@code BLOCK ms},
   * {@code NOACK}, {@code GROUP g c}), {@code STREAMS} then as many keys as ids.
   */
  private static int[] streamKeys(Spec spec, ByteBuf[] args, int argc) {
    int i = 1;
    while (i < argc) {
      String option = lower(args[i]);
      if (option.equals("streams")) {
        int rest = argc - i - 1;
        if (rest == 0 || rest % 2 != 0) {
          return null;
        }
        int[] keys = new int[rest / 2];
        for (int k = 0; k < keys.length; k++) {
          keys[k] = i + 1 + k;
        }
        return keys;
      }
      i += switch (option) {
        case "count", "block" -> 2;
        case "noack" -> 1;
        case "group" -> spec.name().equals("xreadgroup") ? 3 : argc;
        default -> argc; // not an option of these commands: no keys
      };
    }
    return null;
  }

  /** Returns the keys of SORT: its first argument, and the argument after STORE if any. */
  private static int[] sortKeys(ByteBuf[] args, int argc) {
    if (argc < 2) {
      return null;
    }
    int i = 2;
    while (i < argc) {
      String option = lower(args[i]);
      if (option.equals("store")) {
        return i + 1 < argc ? new int[] {1, i + 1} : null;
      }
      i += switch (option) {
        case "by" -> 2;
        case "limit" -> 3;
        case "get" -> 2;
        default -> 1; // ASC, DESC, ALPHA
      };
    }
    return new int[] {1};
  }

  /** Returns the keys of GEORADIUS(BYMEMBER): the key, and those after STORE and STOREDIST. */
  private static int[] geoKeys(Spec spec, ByteBuf[] args, int argc) {
    if (argc <= spec.last()) {
      return null;
    }
    int[] keys = {1, 0, 0};
    int n = 1;
    for (int i = spec.last() + 1; i < argc; i++) {
      String option = lower(args[i]);
      if (option.equals("count")) {
        i++;
      } else if (option.equals("store") || option.equals("storedist")) {
        if (++i >= argc) {
          return null;
        }
        keys[n++] = i;
      }
    }
    return Arrays.copyOf(keys, n);
  }

  /** Returns whether XREAD or XREADGROUP {@code args} ask to block (a BLOCK option). */
  static boolean blocks(Spec spec, ByteBuf[] args, int argc) {
    if (spec.numkeys() != STREAMS) {
      return false;
    }
    for (int i = 1; i < argc; i++) {
      String option = lower(args[i]);
      if (option.equals("streams")) {
        return false;
      }
      if (option.equals("block")) {
        return true;
      }
      if (option.equals("group")) {
        i += 2;
      } else if (option.equals("count")) {
        i++;
      }
    }
    return false;
  }

  /** Returns whether {@code spec} may run while the client is subscribed, as in Redis (RESP2). */
  static boolean allowedWhileSubscribed(Spec spec) {
    return switch (spec.name()) {
      case "subscribe", "psubscribe", "unsubscribe", "punsubscribe", "ping", "quit", "reset" ->
          true;
      default -> false;
    };
  }

  /** Returns the non-negative decimal number {@code arg} holds, or -1. */
  private static long count(ByteBuf arg) {
    int len = arg.readableBytes();
    if (len == 0 || len > 10) {
      return -1;
    }
    long n = 0;
    for (int i = arg.readerIndex(); i < arg.writerIndex(); i++) {
      byte b = arg.getByte(i);
      if (b < '0' || b > '9') {
        return -1;
      }
      n = n * 10 + (b - '0');
    }
    return n;
  }

  /** Returns the lowercase name, for error messages. */
  static String lower(ByteBuf name) {
    return name.toString(StandardCharsets.UTF_8).toLowerCase(Locale.ROOT);
  }
}
