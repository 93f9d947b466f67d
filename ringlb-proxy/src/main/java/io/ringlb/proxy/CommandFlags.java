package io.ringlb.proxy;

import io.ringlb.server.CommandSpec;
import io.ringlb.server.ReadOnlyCommands;
import java.util.Set;

/**
 * Which of the proxy's routed commands write and which only read, as Redis's {@code COMMAND INFO}
 * flags them: writes wait for their replicas under {@code durability: replicated}.
 */
final class CommandFlags {

  /**
   * The routed commands Redis flags {@code write} in COMMAND INFO (checked against redis-server by
   * a test): with {@code durability: replicated} their replies wait for the replicas.
   */
  private static final Set<String> WRITES =
      Set.of(
          "set",
          "setnx",
          "setex",
          "psetex",
          "getset",
          "getdel",
          "getex",
          "append",
          "incr",
          "decr",
          "incrby",
          "decrby",
          "incrbyfloat",
          "setrange",
          "setbit",
          "bitfield",
          "expire",
          "pexpire",
          "expireat",
          "pexpireat",
          "persist",
          "restore",
          "hset",
          "hsetnx",
          "hmset",
          "hdel",
          "hincrby",
          "hincrbyfloat",
          "lpush",
          "rpush",
          "lpushx",
          "rpushx",
          "lpop",
          "rpop",
          "lset",
          "ltrim",
          "lrem",
          "linsert",
          "sadd",
          "srem",
          "spop",
          "zadd",
          "zrem",
          "zincrby",
          "zremrangebyrank",
          "zremrangebyscore",
          "zremrangebylex",
          "zpopmin",
          "zpopmax",
          "pfadd",
          "geoadd",
          "xadd",
          "xdel",
          "xtrim",
          "xack",
          "xclaim",
          "xautoclaim",
          "xsetid",
          "rename",
          "renamenx",
          "copy",
          "smove",
          "lmove",
          "blpop",
          "brpop",
          "brpoplpush",
          "blmove",
          "blmpop",
          "bzpopmin",
          "bzpopmax",
          "bzmpop",
          "rpoplpush",
          "zrangestore",
          "geosearchstore",
          "sinterstore",
          "sunionstore",
          "sdiffstore",
          "pfmerge",
          "lmpop",
          "zmpop",
          "mset",
          "del",
          "unlink",
          "zunionstore",
          "zinterstore",
          "zdiffstore",
          "bitop",
          "msetnx",
          "sort",
          "georadius",
          "georadiusbymember",
          "xreadgroup");

  /**
   * Commands Redis flags neither way that may write all the same (a script decides, or a
   * subcommand): counted as writes for durability, never read from a replica.
   */
  private static final Set<String> MAY_WRITE = Set.of("eval", "evalsha", "fcall", "xgroup");

  /** The proxy's flag for {@link #MAY_WRITE}'s commands. */
  static final String MAY_WRITE_FLAG = "may-write";

  private CommandFlags() {}

  /** {@code write}, {@code readonly} or {@code may-write}, as Redis classifies the command. */
  static String of(String name) {
    if (WRITES.contains(name)) {
      return CommandSpec.WRITE;
    }
    if (ReadOnlyCommands.contains(name)) {
      return CommandSpec.READONLY;
    }
    return MAY_WRITE.contains(name) ? MAY_WRITE_FLAG : "";
  }

  /**
   * Returns whether a command of {@code spec} may change data: Redis flags it {@code write}, or it
   * runs a script (EVAL, EVALSHA, FCALL) or a subcommand that may (XGROUP).
   */
  static boolean writes(CommandSpec spec) {
    Set<String> f = spec.flags();
    return f.contains(CommandSpec.WRITE) || f.contains(MAY_WRITE_FLAG);
  }
}
