package io.ringlb.server.proxy;

import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;
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
    /** Answered by the proxy itself, or fanned out to every backend. */
    LOCAL
  }

  /** A command: its lowercase name, how it is handled, and whether it needs no AUTH first. */
  record Spec(String name, Kind kind, boolean beforeAuth) {}

  private static final String[] KEY_COMMANDS = {
    // strings
    "get", "set", "setnx", "setex", "psetex", "getset", "getdel", "getex", "append", "strlen",
    "incr", "decr", "incrby", "decrby", "incrbyfloat", "getrange", "setrange", "substr",
    "getbit", "setbit", "bitcount", "bitpos", "bitfield", "bitfield_ro", "lcs",
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
  };

  private static final String[] LOCAL_COMMANDS = {
    "ping", "echo", "select", "client", "command", "config", "info", "dbsize", "flushall",
    "flushdb", "scan", "ring", "time", "reset",
  };

  private static final String[] BEFORE_AUTH = {"auth", "hello", "quit"};

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

  /** Returns the lowercase name, for error messages. */
  static String lower(ByteBuf name) {
    return name.toString(StandardCharsets.UTF_8).toLowerCase(Locale.ROOT);
  }
}
