package io.ringlb.server;

import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.redis.RedisMessage;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The commands every data side shares: PING, ECHO, QUIT, AUTH, HELLO, SELECT, RESET, CLIENT, ACL
 * (WHOAMI, LIST, USERS), COMMAND, CONFIG GET, INFO, TIME.
 */
final class ConnectionCommands {

  /** The Redis version whose commands and replies this server follows, as INFO reports it. */
  static final String REDIS_COMPATIBLE_VERSION = "7.0.0";

  private static final String[] FRONT_SECTIONS = {"server", "clients", "memory", "stats"};

  /** Redis's answer to a HELLO with a protocol version it does not speak. */
  static final String NOPROTO = "NOPROTO unsupported protocol version";

  private static final RedisMessage RESET = Replies.simple("RESET");

  /** QUIT and RESET run at once inside MULTI and in subscribed mode, as in Redis. */
  private static final String ANY_TIME = CommandSpec.NO_QUEUE + " " + CommandSpec.PUBSUB_CONTEXT;

  /** The user AUTH password logs in as. */
  private static final byte[] DEFAULT_USER = "default".getBytes(StandardCharsets.US_ASCII);

  private static final String WRONGPASS =
      "WRONGPASS invalid username-password pair or user is disabled.";

  private static final String NO_PASSWORD_CONFIGURED =
      "ERR AUTH <password> called without any"
          + " password configured for the default user. Are you sure your configuration is correct?";

  private final ServerContext server;

  private ConnectionCommands(ServerContext server) {
    this.server = server;
  }

  /** Registers the connection commands in {@code server}'s table. */
  static void register(ServerContext server) {
    new ConnectionCommands(server).registerAll(server.commands());
  }

  private void registerAll(CommandTable t) {
    t.register(CommandSpec.of("ping", -1, "fast " + CommandSpec.PUBSUB_CONTEXT), this::ping);
    t.register(
        CommandSpec.of("echo", 2, "fast"), (s, r) -> Replies.bulk(r.arg(1).retainedDuplicate()));
    t.register(
        CommandSpec.of("quit", -1, "noauth fast " + ANY_TIME),
        (s, r) -> {
          s.closeAfterReply();
          return Replies.OK;
        });
    t.register(
        CommandSpec.of("reset", 1, "noauth fast " + ANY_TIME),
        (s, r) -> {
          ((ClientHandler) s).reset();
          return RESET;
        });
    t.register(CommandSpec.of("auth", -2, "noauth fast"), this::auth);
    t.register(CommandSpec.of("hello", -1, "noauth fast"), this::hello);
    t.register(
        CommandSpec.of("select", 2, "fast"),
        (s, r) -> {
          long db = r.longValue(1);
          if (db != 0) {
            throw new CommandException("ERR DB index is out of range");
          }
          return Replies.OK;
        });
    t.register(
        CommandSpec.of("time", 1, "fast"),
        (s, r) -> {
          long micros = System.currentTimeMillis() * 1000 + (System.nanoTime() / 1000) % 1000;
          return Replies.array(
              List.of(
                  Replies.bulk(s.alloc(), Long.toString(micros / 1_000_000)),
                  Replies.bulk(s.alloc(), Long.toString(micros % 1_000_000))));
        });
    t.register(CommandSpec.of("info", -1, ""), this::info);

    t.register(
        CommandSpec.of("client", -2, ""),
        (s, r) -> {
          throw CommandException.syntax(); // reached only for a bare CLIENT, which arity refuses
        });
    t.registerSubcommand(
        "client", CommandSpec.of("id", 2, "fast"), (s, r) -> Replies.integer(s.id()));
    t.registerSubcommand(
        "client",
        CommandSpec.of("getname", 2, "fast"),
        (s, r) -> s.name() == null ? Replies.NULL : Replies.bulk(s.alloc(), s.name()));
    t.registerSubcommand("client", CommandSpec.of("setname", 3, "fast"), this::setName);
    t.registerSubcommand("client", CommandSpec.of("setinfo", 4, "fast"), this::setInfo);
    t.registerSubcommand(
        "client",
        CommandSpec.of("info", 2, ""),
        (s, r) -> Replies.bulk(s.alloc(), ((ClientHandler) s).describe() + "\n"));
    t.registerSubcommand(
        "client",
        CommandSpec.of("list", -2, "admin"),
        (s, r) -> {
          StringBuilder sb = new StringBuilder();
          for (ClientHandler c : clients()) {
            sb.append(c.describe()).append('\n');
          }
          return Replies.bulk(s.alloc(), sb.toString());
        });
    t.registerSubcommand("client", CommandSpec.of("kill", -3, "admin"), this::kill);
    t.registerSubcommand(
        "client",
        CommandSpec.of("reply", 3, "fast"),
        (s, r) -> {
          // Replies are matched to requests in order; a client that turned them off would be
          // answered anyway and read them as replies to later commands, so only ON is taken.
          if (!r.is(2, "on")) {
            throw new CommandException("ERR ringlb: only CLIENT REPLY ON is supported");
          }
          return Replies.OK;
        });
    t.registerSubcommand("client", CommandSpec.of("no-evict", 3, "fast"), this::onOff);
    t.registerSubcommand("client", CommandSpec.of("no-touch", 3, "fast"), this::onOff);

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
          return better != null ? better : Replies.EMPTY_ARRAY;
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

    t.register(
        CommandSpec.of("acl", -2, ""),
        (s, r) -> {
          throw CommandException.syntax(); // reached only for a bare ACL, which arity refuses
        });
    t.registerSubcommand(
        "acl",
        CommandSpec.of("whoami", 2, ""),
        (s, r) -> Replies.bulk(s.alloc(), ((ClientHandler) s).user().name()));
    t.registerSubcommand("acl", CommandSpec.of("list", 2, "admin"), this::aclList);
    t.registerSubcommand(
        "acl",
        CommandSpec.of("users", 2, "admin"),
        (s, r) -> Replies.array(s.alloc(), new ArrayList<>(users().keySet())));

    t.register(
        CommandSpec.of("config", -2, "admin"),
        (s, r) -> {
          throw CommandException.syntax();
        });
    t.registerSubcommand("config", CommandSpec.of("get", -3, "admin"), this::configGet);
    t.registerSubcommand("config", CommandSpec.of("resetstat", 2, "admin"), (s, r) -> Replies.OK);
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

  /** Returns every user by name, {@code default} included while it is on or has a password. */
  private Map<String, User> users() {
    Map<String, User> all = new TreeMap<>(server.config().users().named());
    User d = server.defaultUser();
    if (d != null) {
      all.put(User.DEFAULT, d);
    }
    return all;
  }

  /**
   * ACL LIST in Redis's rules: {@code user NAME on #SHA256 ~* &* +@all}, a data user followed by
   * {@code -command} for each administrative command; {@code default} shows {@code nopass} without
   * a password, and {@code off} when named users replace it.
   */
  private RedisMessage aclList(Session s, Request r) {
    Map<String, User> all = users();
    if (server.defaultUser() == null) {
      all.put(User.DEFAULT, null);
    }
    List<String> denied = server.commands().adminCommands();
    List<String> lines = new ArrayList<>();
    all.forEach(
        (name, u) -> {
          if (u == null) {
            lines.add("user default off resetpass ~* &* -@all");
            return;
          }
          StringBuilder line = new StringBuilder("user ").append(name).append(" on ");
          line.append(u.noPassword() ? "nopass" : "#" + u.passwordHash()).append(" ~* &* +@all");
          if (!u.admin()) {
            for (String command : denied) {
              line.append(" -").append(command);
            }
          }
          lines.add(line.toString());
        });
    return Replies.array(s.alloc(), lines);
  }

  /** Returns the connected clients, ascending by id. */
  private List<ClientHandler> clients() {
    List<ClientHandler> all = new ArrayList<>();
    server
        .channels()
        .forEach(
            ch -> {
              ClientHandler c = ch.pipeline().get(ClientHandler.class);
              if (c != null && ch.isActive()) {
                all.add(c);
              }
            });
    all.sort((a, b) -> Long.compare(a.id(), b.id()));
    return all;
  }

  /**
   * CLIENT KILL addr, or CLIENT KILL with the filters ID, ADDR, LADDR and SKIPME, as Redis: the old
   * form answers OK or "No such client", the new one the number of clients killed. The calling
   * client, when it matches, is closed once this reply is written.
   */
  private RedisMessage kill(Session s, Request r) {
    if (r.argc() == 3) {
      String addr = r.string(2);
      for (ClientHandler c : clients()) {
        if (addr.equals(c.remoteAddress())) {
          killOne(s, c);
          return Replies.OK;
        }
      }
      throw new CommandException("ERR No such client");
    }
    if (r.argc() % 2 != 0) {
      throw CommandException.syntax();
    }
    Long id = null;
    String addr = null;
    boolean skipMe = true;
    for (int i = 2; i < r.argc(); i += 2) {
      if (r.is(i, "id")) {
        long value = r.arg(i + 1).readableBytes() == 0 ? 0 : parseId(r, i + 1);
        if (value <= 0) {
          throw new CommandException("ERR client-id should be greater than 0");
        }
        id = value;
      } else if (r.is(i, "addr")) {
        addr = r.string(i + 1);
      } else if (r.is(i, "skipme")) {
        if (r.is(i + 1, "yes")) {
          skipMe = true;
        } else if (r.is(i + 1, "no")) {
          skipMe = false;
        } else {
          throw CommandException.syntax();
        }
      } else {
        throw new CommandException(
            "ERR ringlb: CLIENT KILL filters by ID, ADDR and SKIPME, not "
                + r.string(i).toLowerCase(Locale.ROOT));
      }
    }
    int killed = 0;
    for (ClientHandler c : clients()) {
      if ((id == null || c.id() == id)
          && (addr == null || addr.equals(c.remoteAddress()))
          && !(skipMe && c == s)) {
        killOne(s, c);
        killed++;
      }
    }
    return Replies.integer(killed);
  }

  private static long parseId(Request r, int i) {
    try {
      return r.longValue(i);
    } catch (CommandException e) {
      throw new CommandException("ERR client-id should be greater than 0");
    }
  }

  private static void killOne(Session caller, ClientHandler client) {
    if (client == caller) {
      caller.closeAfterReply();
    } else {
      client.kill();
    }
  }

  private RedisMessage onOff(Session s, Request r) {
    if (!r.is(2, "on") && !r.is(2, "off")) {
      throw CommandException.syntax();
    }
    return Replies.OK;
  }

  private RedisMessage ping(Session s, Request r) {
    if (r.argc() > 2) {
      throw new CommandException(Replies.wrongArity("ping"));
    }
    return r.argc() == 1 ? Replies.PONG : Replies.bulk(r.arg(1).retainedDuplicate());
  }

  /**
   * Returns the user {@code user} and {@code password} log in as, as Redis's ACL checks them: the
   * name compared byte for byte, then the password's SHA-256 with the user's; null when they do
   * not.
   */
  private User authenticate(byte[] user, byte[] password) {
    User u = server.user(user);
    return u != null && u.accepts(password) ? u : null;
  }

  /**
   * Answers a failed login with WRONGPASS: at once, or later when the connection or its address
   * failed too often ({@link AuthThrottle}), through a deferred reply scheduled on the connection's
   * event loop.
   */
  private RedisMessage wrongPassword(Session s) {
    ClientHandler client = (ClientHandler) s;
    long wait =
        server
            .authThrottle()
            .failed(
                client.authAttempts(),
                AuthThrottle.host(client.remoteAddress()),
                System.nanoTime());
    if (wait == 0) {
      return Replies.error(WRONGPASS);
    }
    DeferredReply slot = s.defer();
    s.eventLoop().schedule(() -> slot.fail(WRONGPASS), wait, TimeUnit.NANOSECONDS);
    return CommandHandler.DEFERRED;
  }

  /**
   * AUTH password, or AUTH username password. With no password configured for {@code default} the
   * one-argument form is refused as a likely mistake, while the user form logs in as {@code
   * default} with any password, as in Redis.
   */
  private RedisMessage auth(Session s, Request r) {
    if (r.argc() > 3) {
      throw CommandException.syntax();
    }
    User configuredDefault = server.defaultUser();
    if (r.argc() == 2 && configuredDefault != null && configuredDefault.noPassword()) {
      throw new CommandException(NO_PASSWORD_CONFIGURED);
    }
    byte[] name = r.argc() == 2 ? DEFAULT_USER : r.bytes(1);
    User user = authenticate(name, r.bytes(r.argc() - 1));
    if (user == null) {
      return wrongPassword(s);
    }
    ((ClientHandler) s).login(user);
    return Replies.OK;
  }

  /**
   * HELLO [2 [AUTH user password] [SETNAME name]]: the options take effect one by one, left to
   * right, as in Redis, so an error stops at the option it names and keeps what came before it (a
   * login, a name); an unauthenticated client then gets NOAUTH.
   */
  private RedisMessage hello(Session s, Request r) {
    ClientHandler client = (ClientHandler) s;
    if (r.argc() >= 2) {
      long version;
      try {
        version = r.longValue(1);
      } catch (CommandException e) {
        throw new CommandException("ERR Protocol version is not an integer or out of range");
      }
      if (version != 2) {
        throw new CommandException(NOPROTO);
      }
    }
    for (int i = 2; i < r.argc(); i++) {
      int more = r.argc() - i - 1;
      if (r.is(i, "auth") && more >= 2) {
        User user = authenticate(r.bytes(i + 1), r.bytes(i + 2));
        if (user == null) {
          return wrongPassword(s);
        }
        client.login(user);
        i += 2;
      } else if (r.is(i, "setname") && more >= 1) {
        String name = r.string(i + 1);
        checkName(name);
        client.name(name.isEmpty() ? null : name);
        i += 1;
      } else {
        throw new CommandException("ERR Syntax error in HELLO option '" + r.string(i) + "'");
      }
    }
    if (!client.authenticated()) {
      throw new CommandException(
          "NOAUTH HELLO must be called with the client already"
              + " authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to"
              + " authenticate the client and select the RESP protocol version at the same time");
    }
    ByteBufAllocator alloc = s.alloc();
    return Replies.array(
        List.of(
            Replies.bulk(alloc, "server"), Replies.bulk(alloc, "ringlb"),
            Replies.bulk(alloc, "version"), Replies.bulk(alloc, RespServer.VERSION),
            Replies.bulk(alloc, "proto"), Replies.integer(2),
            Replies.bulk(alloc, "id"), Replies.integer(s.id()),
            Replies.bulk(alloc, "mode"), Replies.bulk(alloc, "standalone"),
            Replies.bulk(alloc, "role"), Replies.bulk(alloc, "master"),
            Replies.bulk(alloc, "modules"), Replies.EMPTY_ARRAY));
  }

  private static void checkName(String name) {
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if (c < '!' || c > '~') {
        throw new CommandException(
            "ERR Client names cannot contain spaces, newlines or special characters.");
      }
    }
  }

  private RedisMessage setName(Session s, Request r) {
    String name = r.string(2);
    checkName(name);
    ((ClientHandler) s).name(name.isEmpty() ? null : name);
    return Replies.OK;
  }

  private RedisMessage setInfo(Session s, Request r) {
    String value = r.string(3);
    checkName(value.replace(' ', '_'));
    if (r.is(2, "lib-name")) {
      if (value.indexOf(' ') >= 0) {
        throw new CommandException(
            "ERR lib-name cannot contain spaces, newlines or special" + " characters.");
      }
      ((ClientHandler) s).libInfo(value, null);
    } else if (r.is(2, "lib-ver")) {
      ((ClientHandler) s).libInfo(null, value);
    } else {
      throw new CommandException("ERR Unrecognized option '" + r.string(2) + "'");
    }
    return Replies.OK;
  }

  private RedisMessage configGet(Session s, Request r) {
    ServerConfig c = server.config();
    String[][] params = {
      {"port", Integer.toString(server.port())},
      {"bind", c.bind()},
      {"maxclients", Integer.toString(c.maxClients())},
      {"proto-max-bulk-len", Long.toString(c.protoMaxBulkLen())},
      // Never the password itself, to any user: CONFIG GET answers it as redis-server without one.
      {"requirepass", ""},
      {"databases", "1"},
      {"save", ""},
      {"appendonly", "no"},
      {"timeout", "0"},
      {"io-threads", Integer.toString(c.ioThreads())},
    };
    Set<String> matched = new LinkedHashSet<>();
    List<RedisMessage> out = new ArrayList<>();
    for (int i = 2; i < r.argc(); i++) {
      byte[] pattern = r.string(i).toLowerCase(Locale.ROOT).getBytes(StandardCharsets.UTF_8);
      for (String[] p : params) {
        if (Glob.matches(pattern, p[0].getBytes(StandardCharsets.UTF_8)) && matched.add(p[0])) {
          out.add(Replies.bulk(s.alloc(), p[0]));
          out.add(Replies.bulk(s.alloc(), p[1]));
        }
      }
    }
    return Replies.array(out);
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
            Replies.array(flags),
            Replies.integer(e.spec.firstKey()),
            Replies.integer(e.spec.lastKey()),
            Replies.integer(e.spec.step()),
            Replies.EMPTY_ARRAY,
            Replies.EMPTY_ARRAY,
            Replies.EMPTY_ARRAY,
            Replies.array(subs)));
  }

  // ---- INFO ----------------------------------------------------------------------------------

  private RedisMessage info(Session s, Request r) {
    DataSide dataSide = server.dataSide();
    List<String> all = new ArrayList<>(List.of(FRONT_SECTIONS));
    for (String extra : dataSide.infoSections()) {
      if (!all.contains(extra)) {
        all.add(extra);
      }
    }
    Set<String> wanted = new LinkedHashSet<>();
    if (r.argc() == 1) {
      wanted.addAll(all);
    }
    for (int i = 1; i < r.argc(); i++) {
      String section = r.string(i).toLowerCase(Locale.ROOT);
      if (section.equals("all") || section.equals("default") || section.equals("everything")) {
        wanted.addAll(all);
      } else {
        wanted.add(section);
      }
    }
    wanted.retainAll(all);
    CompletableFuture<Map<String, String>> parts = dataSide.info(wanted).toCompletableFuture();
    if (parts.isDone() && !parts.isCompletedExceptionally()) {
      return Replies.bulk(s.alloc(), infoText(all, wanted, parts.join()));
    }
    DeferredReply slot = s.defer();
    ByteBufAllocator alloc = s.alloc();
    parts.whenComplete(
        (lines, failure) -> {
          if (failure != null) {
            Throwable cause = failure.getCause() != null ? failure.getCause() : failure;
            slot.fail("ERR ringlb: INFO failed: " + cause.getMessage());
          } else {
            slot.complete(Replies.bulk(alloc, infoText(all, wanted, lines)));
          }
        });
    return CommandHandler.DEFERRED;
  }

  private String infoText(List<String> all, Set<String> wanted, Map<String, String> lines) {
    StringBuilder out = new StringBuilder();
    for (String section : all) {
      if (!wanted.contains(section)) {
        continue;
      }
      if (out.length() > 0) {
        out.append("\r\n");
      }
      out.append("# ")
          .append(Character.toUpperCase(section.charAt(0)))
          .append(section.substring(1))
          .append("\r\n");
      frontSection(section, out);
      String more = lines.get(section);
      if (more != null) {
        out.append(more);
      }
    }
    return out.toString();
  }

  private void frontSection(String section, StringBuilder out) {
    Runtime rt = Runtime.getRuntime();
    switch (section) {
      case "server" -> {
        long uptime = (System.currentTimeMillis() - server.startMillis()) / 1000;
        field(out, "redis_version", REDIS_COMPATIBLE_VERSION);
        field(out, "ringlb_version", RespServer.VERSION);
        field(out, "ringlb_mode", server.dataSide().mode());
        field(out, "redis_mode", "standalone");
        field(
            out,
            "os",
            System.getProperty("os.name")
                + " "
                + System.getProperty("os.version")
                + " "
                + System.getProperty("os.arch"));
        field(out, "arch_bits", "64");
        field(out, "multiplexing_api", server.transport());
        field(out, "java_version", System.getProperty("java.version"));
        field(out, "process_id", Long.toString(ProcessHandle.current().pid()));
        field(out, "run_id", server.runId());
        field(out, "tcp_port", Integer.toString(server.port()));
        field(out, "uptime_in_seconds", Long.toString(uptime));
        field(out, "uptime_in_days", Long.toString(uptime / 86400));
        field(out, "io_threads_active", Integer.toString(server.config().ioThreads()));
      }
      case "clients" -> {
        field(out, "connected_clients", Integer.toString(server.connectedClients()));
        field(out, "maxclients", Integer.toString(server.config().maxClients()));
        field(out, "blocked_clients", "0");
      }
      case "memory" -> {
        long used = rt.totalMemory() - rt.freeMemory();
        field(out, "used_memory", Long.toString(used));
        field(out, "used_memory_human", human(used));
        field(out, "used_memory_heap_committed", Long.toString(rt.totalMemory()));
        field(out, "used_memory_heap_max", Long.toString(rt.maxMemory()));
        field(out, "maxmemory", "0");
        field(out, "maxmemory_policy", "noeviction");
      }
      case "stats" -> {
        field(out, "total_connections_received", Long.toString(server.totalConnectionsReceived()));
        field(out, "total_commands_processed", Long.toString(server.totalCommandsProcessed()));
        field(out, "instantaneous_ops_per_sec", Long.toString(server.instantaneousOpsPerSecond()));
        field(out, "rejected_connections", Long.toString(server.rejectedConnections()));
        AuthThrottle throttle = server.authThrottle();
        field(out, "acl_access_denied_auth", Long.toString(throttle.failures()));
        field(out, "acl_access_denied_cmd", Long.toString(server.commands().deniedCommands()));
        field(out, "auth_failures_delayed", Long.toString(throttle.delayed()));
        field(out, "auth_failure_addresses", Integer.toString(throttle.trackedAddresses()));
        field(
            out, "jvm_uptime_ms", Long.toString(ManagementFactory.getRuntimeMXBean().getUptime()));
      }
      default -> {}
    }
  }

  private static void field(StringBuilder out, String name, String value) {
    out.append(name).append(':').append(value).append("\r\n");
  }

  static String human(long bytes) {
    if (bytes < 1024) {
      return bytes + "B";
    }
    String units = "KMGTP";
    double v = bytes;
    int u = -1;
    while (v >= 1024 && u < units.length() - 1) {
      v /= 1024;
      u++;
    }
    return String.format(Locale.ROOT, "%.2f%c", v, units.charAt(u));
  }
}
