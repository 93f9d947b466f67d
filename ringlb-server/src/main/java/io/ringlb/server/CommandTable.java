package io.ringlb.server;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.redis.RedisMessage;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Predicate;

/**
 * The command table: commands registered once by lowercase name, looked up case-insensitively
 * without allocating, with arity, subcommands, authentication and permission (a command whose spec
 * is {@code admin} is refused to a {@link UserRole#DATA} user with Redis's NOPERM) checked here and
 * only here.
 */
final class CommandTable implements CommandRegistry {

  static final int MAX_NAME = 64;
  static final String NOAUTH = "NOAUTH Authentication required.";

  /** The most bytes of a client's words an unknown-command error quotes, as in Redis. */
  static final int MAX_QUOTED = 128;

  /** One registered command or subcommand. */
  static final class Entry {
    final CommandSpec spec;

    CommandSpec spec() {
      return spec;
    }

    final CommandHandler handler;
    final String fullName;
    final byte[] name;

    /** {@code spec.admin()}, read once per command on the hot path without a set lookup. */
    final boolean admin;

    CommandTable subcommands;

    /** The command's metrics, or null until {@link CommandTable#enableMetrics} gave them. */
    CommandStats stats;

    Entry(CommandSpec spec, CommandHandler handler, String fullName) {
      this.spec = spec;
      this.handler = handler;
      this.fullName = fullName;
      this.name = spec.name().getBytes(StandardCharsets.US_ASCII);
      this.admin = spec.admin();
    }
  }

  private Entry[] slots = new Entry[64];
  private int size;
  private final LongAdder deniedCommands = new LongAdder();
  private CommandStats unknownStats; // null: no metrics
  private CommandMetrics metrics; // null: no metrics

  /**
   * Gives every command and subcommand registered so far its data points in {@code metrics}; called
   * once, after the data side registered its commands.
   */
  void enableMetrics(CommandMetrics metrics) {
    this.metrics = metrics;
    unknownStats = metrics.unknown();
    for (Entry e : entries()) {
      e.stats = metrics.statsFor(e.fullName, e.spec);
      if (e.subcommands != null) {
        for (Entry sub : e.subcommands.entries()) {
          sub.stats = metrics.statsFor(sub.fullName, sub.spec);
        }
      }
    }
  }

  /** Returns the metrics {@link #enableMetrics} gave, or null. */
  CommandMetrics metrics() {
    return metrics;
  }

  /**
   * Returns the metrics of every command and subcommand, sorted by full name (subcommands after
   * their container), or none before {@link #enableMetrics}.
   */
  List<CommandStats> allStats() {
    List<CommandStats> all = new ArrayList<>();
    for (Entry e : entries()) {
      if (e.stats != null) {
        all.add(e.stats);
      }
      if (e.subcommands != null) {
        for (Entry sub : e.subcommands.entries()) {
          if (sub.stats != null) {
            all.add(sub.stats);
          }
        }
      }
    }
    return all;
  }

  /** Returns how many commands were refused with NOPERM. */
  long deniedCommands() {
    return deniedCommands.sum();
  }

  /** Returns the full names of the administrative commands and subcommands, sorted. */
  List<String> adminCommands() {
    List<String> names = new ArrayList<>();
    for (Entry e : entries()) {
      if (e.subcommands == null) {
        if (e.spec.admin()) {
          names.add(e.fullName);
        }
      } else {
        for (Entry sub : e.subcommands.entries()) {
          if (sub.spec.admin()) {
            names.add(sub.fullName);
          }
        }
      }
    }
    return names;
  }

  @Override
  public void register(CommandSpec spec, CommandHandler handler) {
    add(new Entry(spec, handler, spec.name()));
  }

  @Override
  public void registerSubcommand(String container, CommandSpec spec, CommandHandler handler) {
    Entry parent = lookup(container);
    if (parent == null) {
      throw new IllegalArgumentException("unknown container command: " + container);
    }
    if (parent.subcommands == null) {
      parent.subcommands = new CommandTable();
    }
    parent.subcommands.add(new Entry(spec, handler, parent.spec.name() + "|" + spec.name()));
  }

  private void add(Entry entry) {
    if (entry.name.length > MAX_NAME) {
      throw new IllegalArgumentException(
          "command name is longer than " + MAX_NAME + " bytes: " + entry.spec.name());
    }
    if (lookup(entry.spec.name()) != null) {
      throw new IllegalArgumentException("command already registered: " + entry.fullName);
    }
    if ((size + 1) * 2 > slots.length) {
      Entry[] old = slots;
      slots = new Entry[old.length * 2];
      for (Entry e : old) {
        if (e != null) {
          slots[probe(e.name, 0, e.name.length, null)] = e;
        }
      }
    }
    slots[probe(entry.name, 0, entry.name.length, null)] = entry;
    size++;
  }

  @Override
  public boolean contains(String name) {
    return lookup(name) != null;
  }

  /** Returns the entry named {@code name} (any case), or null. */
  Entry lookup(String name) {
    byte[] bytes = name.getBytes(StandardCharsets.UTF_8);
    int slot = probe(bytes, 0, bytes.length, null);
    return slots[slot];
  }

  /** Returns the entry named by the readable bytes of {@code name} (any case), or null. */
  Entry lookup(ByteBuf name) {
    return lookup(name, new byte[MAX_NAME]);
  }

  /** As {@link #lookup(ByteBuf)}, copying the name into {@code scratch} (64 bytes) first. */
  Entry lookup(ByteBuf name, byte[] scratch) {
    int length = name.readableBytes();
    if (length == 0 || length > MAX_NAME) {
      return null;
    }
    name.getBytes(name.readerIndex(), scratch, 0, length);
    return slots[probe(scratch, 0, length, null)];
  }

  /** Returns the slot holding the name, or the empty slot where it would go. */
  private int probe(byte[] array, int offset, int length, ByteBuf buf) {
    int h = 0;
    for (int i = 0; i < length; i++) {
      h = 31 * h + lower(array != null ? array[offset + i] : buf.getByte(offset + i));
    }
    int mask = slots.length - 1;
    int slot = (h ^ (h >>> 16)) & mask;
    while (true) {
      Entry e = slots[slot];
      if (e == null || sameName(e.name, array, offset, length, buf)) {
        return slot;
      }
      slot = (slot + 1) & mask;
    }
  }

  private static boolean sameName(byte[] name, byte[] array, int offset, int length, ByteBuf buf) {
    if (name.length != length) {
      return false;
    }
    for (int i = 0; i < length; i++) {
      if (name[i] != lower(array != null ? array[offset + i] : buf.getByte(offset + i))) {
        return false;
      }
    }
    return true;
  }

  private static int lower(int b) {
    return b >= 'A' && b <= 'Z' ? b + ('a' - 'A') : b;
  }

  /** Returns the registered entries sorted by name. */
  List<Entry> entries() {
    List<Entry> list = new ArrayList<>(size);
    for (Entry e : slots) {
      if (e != null) {
        list.add(e);
      }
    }
    list.sort(Comparator.comparing(e -> e.spec.name()));
    return list;
  }

  /**
   * Runs the command {@code request} names, checking that it exists, its arity, its subcommand and
   * that the client may run it, with Redis's error texts, then lets the connection's {@link
   * ConnectionState} see it before its handler runs; returns the reply, {@link
   * CommandHandler#DEFERRED} or {@link CommandHandler#HELD}.
   */
  RedisMessage dispatch(ClientHandler client, Request request, User user) {
    Entry entry = lookup(request.arg(0), request.scratch);
    if (entry == null) {
      return refuse(client, unknownStats, unknownCommand(request));
    }
    if (!entry.spec.acceptsArgc(request.argc())) {
      return refuse(client, entry.stats, refusal(entry, Replies.wrongArity(entry.fullName)));
    }
    if (entry.subcommands != null && request.argc() >= 2) {
      Entry sub = entry.subcommands.lookup(request.arg(1), request.scratch);
      if (sub == null) {
        if (request.is(1, "help")) {
          if (user == null) {
            return refuse(client, entry.stats, Replies.error(NOAUTH));
          }
          RedisMessage reply = help(entry);
          if (entry.stats != null) {
            entry.stats.answered(reply, 0);
          }
          return reply;
        }
        return refuse(
            client,
            entry.stats,
            new QuotedError("ERR unknown subcommand '")
                .quote(request.arg(1), MAX_QUOTED)
                .text("'. Try " + entry.spec.name().toUpperCase(Locale.ROOT) + " HELP.")
                .reply());
      }
      if (!sub.spec.acceptsArgc(request.argc())) {
        return refuse(client, sub.stats, Replies.error(Replies.wrongArity(sub.fullName)));
      }
      entry = sub;
    }
    if (user == null && !entry.spec.noAuth()) {
      return refuse(client, entry.stats, refusal(entry, NOAUTH));
    }
    if (entry.admin && (user == null || !user.admin())) {
      deniedCommands.increment();
      return refuse(
          client,
          entry.stats,
          refusal(
              entry,
              "NOPERM this user has no permissions to run the '" + entry.fullName + "' command"));
    }
    CommandRecorder recorder = client.recorder();
    if (entry.stats != null) {
      recorder.begin(entry.stats);
    }
    RedisMessage reply;
    try {
      RedisMessage early = client.state().before(entry.spec, entry.handler, client, request);
      if (early != null) {
        if (early != CommandHandler.HELD) {
          client.info().lastCommand(entry.fullName);
        }
        reply = early;
      } else {
        client.info().lastCommand(entry.fullName);
        reply = entry.handler.execute(client, request);
      }
    } catch (CommandException e) {
      reply = Replies.error(e.getMessage());
    }
    recorder.end(reply);
    return reply;
  }

  /** Refuses a command before it runs, as Redis does, counting it when {@code stats} is set. */
  private static RedisMessage refuse(ClientHandler client, CommandStats stats, RedisMessage error) {
    client.state().refused();
    if (stats != null) {
      stats.rejected(error);
    }
    return error;
  }

  /**
   * Returns the error refusing {@code entry}: {@code error} itself, except for EXEC, which Redis
   * refuses as the end of the transaction ({@code EXECABORT Transaction discarded because of:} and
   * the error without its {@code ERR}).
   */
  private static RedisMessage refusal(Entry entry, String error) {
    if (!entry.fullName.equals("exec")) {
      return Replies.error(error);
    }
    String reason = error.startsWith("ERR ") ? error.substring(4) : error;
    return Replies.error("EXECABORT Transaction discarded because of: " + reason);
  }

  private static RedisMessage help(Entry container) {
    String upper = container.spec.name().toUpperCase(Locale.ROOT);
    List<RedisMessage> lines = new ArrayList<>();
    lines.add(Replies.simple(upper + " <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"));
    for (Entry sub : container.subcommands.entries()) {
      lines.add(Replies.simple(sub.spec.name().toUpperCase(Locale.ROOT)));
    }
    lines.add(Replies.simple("HELP"));
    lines.add(Replies.simple("    Prints this help."));
    return Replies.array(lines);
  }

  /**
   * Returns Redis's error for an unknown command: the name, then the first arguments each quoted,
   * as long as the arguments quoted so far (quotes and spaces counted) are under {@link
   * #MAX_QUOTED} bytes, each cut to what is left of that; every quote ends at a NUL byte.
   */
  static RedisMessage unknownCommand(Request request) {
    QuotedError error =
        new QuotedError("ERR unknown command '")
            .quote(request.arg(0), MAX_QUOTED)
            .text("', with args beginning with: ");
    int start = error.length();
    for (int i = 1; i < request.argc() && error.length() - start < MAX_QUOTED; i++) {
      int room = MAX_QUOTED - (error.length() - start);
      error.text("'").quote(request.arg(i), room).text("' ");
    }
    return error.reply();
  }

  /** Returns the entries, subcommands included, that satisfy {@code filter}. */
  List<Entry> find(Predicate<Entry> filter) {
    List<Entry> found = new ArrayList<>();
    for (Entry e : entries()) {
      if (filter.test(e)) {
        found.add(e);
      }
    }
    return found;
  }
}
