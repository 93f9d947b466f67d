package io.ringlb.server;

import java.util.Set;

/**
 * The commands of keys that Redis flags {@code readonly} in COMMAND INFO, for the proxy's flags of
 * its routed commands and the read family of both data sides' latencies.
 */
public final class ReadOnlyCommands {

  /** Checked against redis-server's COMMAND INFO by the proxy's test of its routed commands. */
  private static final Set<String> NAMES =
      Set.of(
          "get",
          "strlen",
          "getrange",
          "substr",
          "getbit",
          "bitcount",
          "bitpos",
          "bitfield_ro",
          "expiretime",
          "pexpiretime",
          "ttl",
          "pttl",
          "type",
          "dump",
          "hget",
          "hmget",
          "hlen",
          "hstrlen",
          "hkeys",
          "hvals",
          "hgetall",
          "hexists",
          "hscan",
          "hrandfield",
          "llen",
          "lindex",
          "lrange",
          "lpos",
          "scard",
          "sismember",
          "smismember",
          "smembers",
          "srandmember",
          "sscan",
          "zcard",
          "zscore",
          "zmscore",
          "zrank",
          "zrevrank",
          "zrange",
          "zrevrange",
          "zrangebyscore",
          "zrevrangebyscore",
          "zrangebylex",
          "zrevrangebylex",
          "zcount",
          "zlexcount",
          "zrandmember",
          "zscan",
          "geopos",
          "geodist",
          "geohash",
          "geosearch",
          "georadius_ro",
          "georadiusbymember_ro",
          "xlen",
          "xrange",
          "xrevrange",
          "xpending",
          "sort_ro",
          "lcs",
          "sinter",
          "sunion",
          "sdiff",
          "pfcount",
          "zunion",
          "zinter",
          "zdiff",
          "zintercard",
          "sintercard",
          "eval_ro",
          "evalsha_ro",
          "fcall_ro",
          "mget",
          "exists",
          "touch",
          "xread");

  private ReadOnlyCommands() {}

  /** Returns whether Redis flags the command {@code name} (lowercase) {@code readonly}. */
  public static boolean contains(String name) {
    return NAMES.contains(name);
  }
}
