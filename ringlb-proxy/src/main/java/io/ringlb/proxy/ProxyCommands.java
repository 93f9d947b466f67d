package io.ringlb.proxy;

import io.ringlb.proxy.ProxyCommand.Route;
import io.ringlb.server.CommandHandler;
import io.ringlb.server.CommandRegistry;
import io.ringlb.server.CommandSpec;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The commands the proxy serves or refuses, each as one {@link ProxyCommand}, registered in the
 * front end's command table (which looks them up, checks their arity and authentication).
 *
 * <p>The connection commands (PING, AUTH, HELLO, CLIENT, COMMAND, CONFIG, INFO, QUIT, RESET...) are
 * the front end's own and are not listed here.
 */
final class ProxyCommands {

  private static final String[] KEY_COMMANDS = {
    // strings
    "get",
    "set",
    "setnx",
    "setex",
    "psetex",
    "getset",
    "getdel",
    "getex",
    "append",
    "strlen",
    "incr",
    "decr",
    "incrby",
    "decrby",
    "incrbyfloat",
    "getrange",
    "setrange",
    "substr",
    "getbit",
    "setbit",
    "bitcount",
    "bitpos",
    "bitfield",
    "bitfield_ro",
    // keys
    "expire",
    "pexpire",
    "expireat",
    "pexpireat",
    "expiretime",
    "pexpiretime",
    "ttl",
    "pttl",
    "persist",
    "type",
    "dump",
    "restore",
    // hashes
    "hset",
    "hsetnx",
    "hget",
    "hmset",
    "hmget",
    "hdel",
    "hlen",
    "hstrlen",
    "hkeys",
    "hvals",
    "hgetall",
    "hexists",
    "hincrby",
    "hincrbyfloat",
    "hscan",
    "hrandfield",
    // lists
    "lpush",
    "rpush",
    "lpushx",
    "rpushx",
    "lpop",
    "rpop",
    "llen",
    "lindex",
    "lset",
    "lrange",
    "ltrim",
    "lrem",
    "linsert",
    "lpos",
    // sets
    "sadd",
    "srem",
    "scard",
    "sismember",
    "smismember",
    "smembers",
    "srandmember",
    "spop",
    "sscan",
    // sorted sets
    "zadd",
    "zrem",
    "zcard",
    "zscore",
    "zmscore",
    "zincrby",
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
    "zremrangebyrank",
    "zremrangebyscore",
    "zremrangebylex",
    "zpopmin",
    "zpopmax",
    "zrandmember",
    "zscan",
    // hyperloglog, geo, streams (single key forms)
    "pfadd",
    "geoadd",
    "geopos",
    "geodist",
    "geohash",
    "geosearch",
    "georadius_ro",
    "georadiusbymember_ro",
    "xadd",
    "xlen",
    "xrange",
    "xrevrange",
    "xdel",
    "xtrim",
    // stream consumer groups
    "xack",
    "xclaim",
    "xautoclaim",
    "xpending",
    "xsetid",
    // sorting (BY and GET patterns read keys of the key's own backend)
    "sort_ro",
  };

  /** Commands whose keys are two fixed arguments, the first two. */
  private static final String[] TWO_KEYS = {
    "rename",
    "renamenx",
    "copy",
    "smove",
    "lmove",
    "rpoplpush",
    "zrangestore",
    "geosearchstore",
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

  /** Commands with a subcommand, then the key (MEMORY USAGE key, XINFO STREAM key...). */
  private static final String[] SUBCOMMAND_THEN_KEY = {"memory", "object", "xgroup", "xinfo"};

  private static final String[][] REFUSED = {
    {
      "waits for replicas of one redis-server, and a client's commands through the proxy go to"
          + " several; see durability: replicated",
      "wait",
      "waitaof"
    },
    {
      "(sharded publish/subscribe) is not served by the proxy; SUBSCRIBE, PSUBSCRIBE and PUBLISH"
          + " are",
      "ssubscribe",
      "sunsubscribe",
      "spublish"
    },
    {
      "concerns one redis-server; run it on the backends directly",
      "move",
      "swapdb",
      "migrate",
      "monitor",
      "sync",
      "psync",
      "replicaof",
      "slaveof",
      "shutdown",
      "debug",
      "save",
      "bgsave",
      "bgrewriteaof",
      "lastsave",
      "cluster",
      "readonly",
      "readwrite",
      "asking",
      "latency",
      "slowlog",
      "module",
      "failover"
    },
  };

  /**
   * The blocking commands and where their keys are: each blocks on a connection of its own to the
   * keys' owner ({@link Blocked}); inside MULTI, where Redis runs them without blocking, they are
   * queued by their keys like any other command.
   */
  private static final Map<String, KeyPositions> BLOCKING_KEYS =
      Map.of(
          "blpop", KeyPositions.range(1, -2, 1),
          "brpop", KeyPositions.range(1, -2, 1),
          "brpoplpush", KeyPositions.range(1, 2, 1),
          "blmove", KeyPositions.range(1, 2, 1),
          "bzpopmin", KeyPositions.range(1, -2, 1),
          "bzpopmax", KeyPositions.range(1, -2, 1),
          "blmpop", KeyPositions.counted(0, 0, 2),
          "bzmpop", KeyPositions.counted(0, 0, 2));

  /** Refused commands that Redis keeps to administrators: a data user gets NOPERM first. */
  private static final Set<String> ADMIN_REFUSED =
      Set.of(
          "shutdown",
          "debug",
          "monitor",
          "sync",
          "psync",
          "replicaof",
          "slaveof",
          "save",
          "bgsave",
          "bgrewriteaof",
          "module",
          "failover",
          "latency",
          "slowlog");

  /**
   * The subcommands of the proxy's containers, each {@code name flags...}: registered in the front
   * end's table with the container's handler, so that the table checks each one's permission.
   */
  private static final Map<String, List<String>> SUBCOMMANDS =
      Map.of(
          "ring",
          List.of(
              "add admin",
              "remove admin",
              "abort admin",
              "proxies admin",
              "nodes admin",
              "stats admin",
              "locate readonly"),
          "script",
          List.of("load", "exists", "flush admin", "kill", "debug"),
          "function",
          List.of(
              "load", "delete", "flush admin", "dump", "kill", "list", "restore admin", "stats"));

  private static final Map<String, ProxyCommand> ALL = build();

  private ProxyCommands() {}

  private static Map<String, ProxyCommand> build() {
    Map<String, ProxyCommand> all = new LinkedHashMap<>();
    for (String name : KEY_COMMANDS) {
      add(all, routed(name, -2, Route.KEY, KeyPositions.FIRST));
    }
    add(all, routed("mget", -2, Route.MGET, KeyPositions.ALL));
    add(all, routed("mset", -3, Route.MSET, KeyPositions.PAIRS));
    for (String name : new String[] {"del", "exists", "unlink", "touch"}) {
      add(all, routed(name, -2, Route.COUNT_KEYS, KeyPositions.ALL));
    }
    for (String name : TWO_KEYS) {
      add(all, sameSlot(name, KeyPositions.range(1, 2, 1)));
    }
    for (String name : ALL_KEYS) {
      add(all, sameSlot(name, KeyPositions.ALL));
    }
    for (String name : COUNTED_KEYS) {
      add(all, sameSlot(name, KeyPositions.counted(0, 0, 1)));
    }
    for (String name : SCRIPT_KEYS) {
      add(all, sameSlot(name, KeyPositions.counted(0, 0, 2)));
    }
    for (String name : new String[] {"zunionstore", "zinterstore", "zdiffstore"}) {
      add(all, sameSlot(name, KeyPositions.counted(1, 1, 2)));
    }
    add(all, sameSlot("bitop", KeyPositions.range(2, -1, 1)));
    add(all, sameSlot("msetnx", KeyPositions.PAIRS));
    add(all, sameSlot("sort", KeyPositions.parsed(KeyPositions.Parser.SORT, 1)));
    add(all, sameSlot("georadius", KeyPositions.parsed(KeyPositions.Parser.GEO, 5)));
    add(all, sameSlot("georadiusbymember", KeyPositions.parsed(KeyPositions.Parser.GEO, 4)));
    for (String name : new String[] {"xread", "xreadgroup"}) {
      add(all, sameSlot(name, KeyPositions.parsed(KeyPositions.Parser.STREAMS, 0)));
    }
    for (String name : SUBCOMMAND_THEN_KEY) {
      add(all, sameSlot(name, KeyPositions.range(2, 2, 1)));
    }
    for (Map.Entry<String, KeyPositions> blocking : BLOCKING_KEYS.entrySet()) {
      String name = blocking.getKey();
      add(
          all,
          new ProxyCommand(
              CommandSpec.of(name, -1, CommandFlags.of(name)),
              Route.BLOCKING,
              blocking.getValue(),
              null,
              null));
    }
    for (String[] group : REFUSED) {
      for (int i = 1; i < group.length; i++) {
        add(
            all,
            new ProxyCommand(
                CommandSpec.of(group[i], -1, ADMIN_REFUSED.contains(group[i]) ? "admin" : ""),
                Route.REFUSED,
                KeyPositions.NONE,
                group[0],
                null));
      }
    }

    // Answered by the proxy, or fanned out to the backends.
    add(all, local("dbsize", 1, "readonly", (s, r) -> ProxyClient.of(s).fanOut().dbsize()));
    for (String name : new String[] {"flushall", "flushdb"}) {
      add(all, local(name, -1, "write admin", (s, r) -> ProxyClient.of(s).fanOut().flush(r)));
    }
    for (String name : new String[] {"script", "function"}) {
      add(all, local(name, -2, "", (s, r) -> ProxyClient.of(s).fanOut().everywhere(r)));
    }
    add(all, local("scan", -2, "readonly", (s, r) -> ProxyClient.of(s).scan(r)));
    add(all, local("keys", 2, "readonly", (s, r) -> ProxyKeys.keys(ProxyClient.of(s).fanOut(), r)));
    add(
        all,
        local(
            "randomkey",
            1,
            "readonly",
            (s, r) -> ProxyKeys.randomKey(ProxyClient.of(s).fanOut(), r)));
    add(all, local("ring", -2, "", (s, r) -> ProxyClient.of(s).ring(r)));
    add(
        all,
        local(
            "multi",
            1,
            "fast " + CommandSpec.NO_QUEUE,
            (s, r) -> ProxyClient.of(s).transactions().multi()));
    add(
        all,
        local("exec", 1, CommandSpec.NO_QUEUE, (s, r) -> ProxyClient.of(s).transactions().exec()));
    add(
        all,
        local(
            "discard",
            1,
            "fast " + CommandSpec.NO_QUEUE,
            (s, r) -> ProxyClient.of(s).transactions().discard()));
    add(
        all,
        local(
            "watch",
            -2,
            "fast " + CommandSpec.NO_QUEUE,
            (s, r) -> ProxyClient.of(s).transactions().watch(r)));
    add(all, local("unwatch", 1, "fast", (s, r) -> ProxyClient.of(s).transactions().unwatch()));
    for (String name : new String[] {"subscribe", "psubscribe"}) {
      add(
          all,
          local(
              name,
              -2,
              CommandSpec.PUBSUB_CONTEXT,
              (s, r) -> ProxyClient.of(s).pubsub().subscribe(r)));
    }
    for (String name : new String[] {"unsubscribe", "punsubscribe"}) {
      add(
          all,
          local(
              name,
              -1,
              CommandSpec.PUBSUB_CONTEXT,
              (s, r) -> ProxyClient.of(s).pubsub().unsubscribe(r)));
    }
    add(all, local("publish", 3, "fast", (s, r) -> ProxyClient.of(s).pubsub().publish(r)));
    add(all, local("pubsub", -2, "", (s, r) -> ProxyClient.of(s).fanOut().askOne(r, null)));
    return Collections.unmodifiableMap(all);
  }

  private static ProxyCommand routed(String name, int arity, Route route, KeyPositions keys) {
    return new ProxyCommand(
        CommandSpec.of(name, arity, CommandFlags.of(name)), route, keys, null, null);
  }

  private static ProxyCommand sameSlot(String name, KeyPositions keys) {
    return new ProxyCommand(
        CommandSpec.of(name, -1, CommandFlags.of(name)), Route.SAME_SLOT, keys, null, null);
  }

  private static ProxyCommand local(String name, int arity, String flags, CommandHandler handler) {
    return new ProxyCommand(
        CommandSpec.of(name, arity, flags), Route.LOCAL, KeyPositions.NONE, null, handler);
  }

  private static void add(Map<String, ProxyCommand> all, ProxyCommand command) {
    if (all.put(command.name(), command) != null) {
      throw new IllegalStateException("command listed twice: " + command.name());
    }
  }

  /** Registers every command in the front end's table. */
  static void registerAll(CommandRegistry registry) {
    for (ProxyCommand command : ALL.values()) {
      registry.register(command.spec(), command);
      for (String sub : SUBCOMMANDS.getOrDefault(command.name(), List.of())) {
        int space = sub.indexOf(' ');
        String name = space < 0 ? sub : sub.substring(0, space);
        String flags = space < 0 ? "" : sub.substring(space + 1);
        registry.registerSubcommand(command.name(), CommandSpec.of(name, -2, flags), command);
      }
    }
  }

  /** Returns the command named {@code lowercase}, or null when the proxy has no such command. */
  static ProxyCommand named(String lowercase) {
    return ALL.get(lowercase);
  }

  /** Returns every command the proxy lists, served or refused, in the order of this table. */
  static List<ProxyCommand> all() {
    return new ArrayList<>(ALL.values());
  }
}
