package io.ringlb.server;

import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.redis.RedisMessage;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * COMMAND and its subcommands (COUNT, LIST, INFO, DOCS, GETKEYS): the commands clients may run,
 * from the table, or from the data side when it knows more ({@link DataSide#describeCommands}).
 */
final class CommandDescriptions {

  private final ServerContext server;

  CommandDescriptions(ServerContext server) {
    this.server = server;
  }

  /** Registers this class's commands in {@code t}. */
  void registerAll(CommandTable t) {
    t.register(
        CommandSpec.of("command", -1, ""),
        (s, r) -> {
          RedisMessage better = server.dataSide().describeCommands(s, r);
          if (better != null) {
            return better;
          }
          List<RedisMessage> all = new ArrayList<>();
          for (CommandTable.Entry e : served()) {
            all.add(describe(s.alloc(), e));
          }
          return Replies.array(all);
        });
    t.registerSubcommand(
        "command", CommandSpec.of("count", 2, ""), (s, r) -> Replies.integer(served().size()));
    t.registerSubcommand(
        "command",
        CommandSpec.of("info", -2, ""),
        (s, r) -> {
          RedisMessage better = server.dataSide().describeCommands(s, r);
          if (better != null) {
            return better;
          }
          List<RedisMessage> found = new ArrayList<>();
          for (int i = 2; i < r.argc(); i++) {
            CommandTable.Entry e = server.commands().lookup(r.arg(i));
            found.add(e == null ? Replies.NULL : describe(s.alloc(), e));
          }
          return Replies.array(found);
        });
    t.registerSubcommand(
        "command",
        CommandSpec.of("list", -2, ""),
        (s, r) -> {
          List<String> names = new ArrayList<>();
          for (CommandTable.Entry e : served()) {
            names.add(e.spec.name());
          }
          return Replies.array(s.alloc(), names);
        });
    t.registerSubcommand(
        "command",
        CommandSpec.of("docs", -2, ""),
        (s, r) -> {
          RedisMessage better = server.dataSide().describeCommands(s, r);
          return better != null ? better : Replies.map(List.of());
        });
    for (String getkeys : new String[] {"getkeys", "getkeysandflags"}) {
      t.registerSubcommand(
          "command",
          CommandSpec.of(getkeys, -3, ""),
          (s, r) -> {
            RedisMessage better = server.dataSide().describeCommands(s, r);
            if (better != null) {
              return better;
            }
            throw new CommandException(
                "ERR ringlb: COMMAND "
                    + getkeys.toUpperCase(Locale.ROOT)
                    + " is not served by this data side");
          });
    }
  }

  /**
   * Returns the commands clients may run, sorted by name: those of the table that the data side
   * serves (a proxy registers the commands it refuses, to say why, but does not serve them).
   */
  private List<CommandTable.Entry> served() {
    List<CommandTable.Entry> served = new ArrayList<>();
    for (CommandTable.Entry e : server.commands().entries()) {
      if (server.dataSide().serves(e.spec().name())) {
        served.add(e);
      }
    }
    return served;
  }

  private RedisMessage describe(ByteBufAllocator alloc, CommandTable.Entry e) {
    List<RedisMessage> flags = new ArrayList<>();
    for (String f : e.spec.flags()) {
      flags.add(Replies.simple(f));
    }
    List<RedisMessage> subs = new ArrayList<>();
    if (e.subcommands != null) {
      for (CommandTable.Entry sub : e.subcommands.entries()) {
        subs.add(describe(alloc, sub));
      }
    }
    return Replies.array(
        List.of(
            Replies.bulk(alloc, e.fullName),
            Replies.integer(e.spec.arity()),
            new SetRedisMessage(flags),
            Replies.integer(e.spec.firstKey()),
            Replies.integer(e.spec.lastKey()),
            Replies.integer(e.spec.step()),
            new SetRedisMessage(List.of()), // ACL categories
            new SetRedisMessage(List.of()), // tips
            Replies.EMPTY_ARRAY,
            Replies.array(subs)));
  }
}
