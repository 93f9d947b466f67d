package io.ringlb.server;

import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.redis.RedisMessage;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * The connection commands every data side shares: PING, ECHO, QUIT, RESET, AUTH, HELLO, SELECT,
 * TIME, ACL (WHOAMI, LIST, USERS) and CONFIG (GET, SET, RESETSTAT, with the data side); {@link
 * #register} adds CLIENT, COMMAND and INFO from their own classes.
 */
final class ConnectionCommands {

  /**
   * The front end's parameters CONFIG SET refuses whatever the value: those redis-server cannot set
   * after it starts, and requirepass (ringlb's passwords are its users', given when it starts).
   */
  private static final Set<String> IMMUTABLE = Set.of("databases", "io-threads", "requirepass");

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

  /**
   * Registers the commands every data side shares in {@code server}'s table: these, and CLIENT
   * ({@link ClientCommands}), COMMAND ({@link CommandDescriptions}) and INFO ({@link InfoCommand}).
   */
  static void register(ServerContext server) {
    new ConnectionCommands(server).registerAll(server.commands());
    new ClientCommands(server).registerAll(server.commands());
    new CommandDescriptions(server).registerAll(server.commands());
    new InfoCommand(server).registerAll(server.commands());
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
          ClientHandler.of(s).reset();
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

    t.register(
        CommandSpec.of("acl", -2, ""),
        (s, r) -> {
          throw CommandException.syntax(); // reached only for a bare ACL, which arity refuses
        });
    t.registerSubcommand(
        "acl",
        CommandSpec.of("whoami", 2, ""),
        (s, r) -> Replies.bulk(s.alloc(), ClientHandler.of(s).info().user().name()));
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
    t.registerSubcommand("config", CommandSpec.of("set", -4, "admin"), this::configSet);
    t.registerSubcommand(
        "config",
        CommandSpec.of("resetstat", 2, "admin"),
        (s, r) -> {
          InfoStats.reset(server.commands());
          server.dataSide().resetStats();
          return Replies.OK;
        });
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
    ClientHandler client = ClientHandler.of(s);
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
    ClientHandler.of(s).info().login(user);
    return Replies.OK;
  }

  /**
   * HELLO [2|3 [AUTH user password] [SETNAME name]]: the options take effect one by one, left to
   * right, as in Redis, so an error stops at the option it names and keeps what came before it (a
   * login, a name); an unauthenticated client then gets NOAUTH. The protocol switches last, once
   * everything else succeeded, and the reply (a map) is in the new one.
   */
  private RedisMessage hello(Session s, Request r) {
    ClientHandler client = ClientHandler.of(s);
    long version = 0;
    if (r.argc() >= 2) {
      try {
        version = r.longValue(1);
      } catch (CommandException e) {
        throw new CommandException("ERR Protocol version is not an integer or out of range");
      }
      if (version != 2 && version != 3) {
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
        client.info().login(user);
        i += 2;
      } else if (r.is(i, "setname") && more >= 1) {
        String name = r.string(i + 1);
        ClientCommands.checkName(name);
        client.info().name(name.isEmpty() ? null : name);
        i += 1;
      } else {
        throw new CommandException("ERR Syntax error in HELLO option '" + r.string(i) + "'");
      }
    }
    if (!client.info().authenticated()) {
      throw new CommandException(
          "NOAUTH HELLO must be called with the client already"
              + " authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to"
              + " authenticate the client and select the RESP protocol version at the same time");
    }
    if (version != 0) {
      client.protocol((int) version);
    }
    ByteBufAllocator alloc = s.alloc();
    return Replies.map(
        List.of(
            Replies.bulk(alloc, "server"), Replies.bulk(alloc, "ringlb"),
            Replies.bulk(alloc, "version"), Replies.bulk(alloc, RespServer.VERSION),
            Replies.bulk(alloc, "proto"), Replies.integer(client.protocol()),
            Replies.bulk(alloc, "id"), Replies.integer(s.id()),
            Replies.bulk(alloc, "mode"), Replies.bulk(alloc, "standalone"),
            Replies.bulk(alloc, "role"), Replies.bulk(alloc, "master"),
            Replies.bulk(alloc, "modules"), Replies.EMPTY_ARRAY));
  }

  /**
   * The front end's own parameters, by lowercase name, in the order CONFIG GET lists them: set by
   * ringlb's command line when it starts, never by CONFIG SET.
   */
  private Map<String, String> parameters() {
    ServerConfig c = server.config();
    Map<String, String> all = new LinkedHashMap<>();
    all.put("port", Integer.toString(server.port()));
    all.put("bind", c.bind());
    all.put("maxclients", Integer.toString(c.maxClients()));
    all.put("proto-max-bulk-len", Long.toString(c.protoMaxBulkLen()));
    all.put("maxmemory-clients", Long.toString(c.maxMemoryClients()));
    // Never the password itself, to any user: CONFIG GET answers it as redis-server without one.
    all.put("requirepass", "");
    all.put("databases", "1");
    all.put("timeout", "0");
    all.put("io-threads", Integer.toString(c.ioThreads()));
    return all;
  }

  /**
   * CONFIG GET: the front end's parameters and the data side's own ({@link
   * DataSide#configParameters}) matching the names and patterns, then what the data side adds.
   */
  private RedisMessage configGet(Session s, Request r) {
    Map<String, String> params = parameters();
    server.dataSide().configParameters().forEach(params::putIfAbsent);
    Map<String, String> matched = new LinkedHashMap<>();
    for (int i = 2; i < r.argc(); i++) {
      String arg = r.string(i);
      if (!Glob.isPattern(arg)) {
        // A name without a pattern is looked up ignoring case and shown as given, as in Redis.
        String value = params.get(arg.toLowerCase(Locale.ROOT));
        if (value != null) {
          matched.putIfAbsent(arg, value);
        }
        continue;
      }
      byte[] pattern = arg.getBytes(StandardCharsets.UTF_8);
      params.forEach(
          (name, value) -> {
            byte[] bytes = name.getBytes(StandardCharsets.UTF_8);
            if (Glob.matches(pattern, bytes, 0, bytes.length, true)) {
              matched.putIfAbsent(name, value);
            }
          });
    }
    return server.dataSide().configGet(s, r, matched);
  }

  /**
   * CONFIG SET name value [name value ...], all or nothing, with Redis's errors. The front end's
   * parameters are fixed at start: one redis-server cannot set either ({@link #IMMUTABLE}) is
   * always refused as immutable, any other only when set to a value other than its current one
   * (which is then a no-op). A name of the front end's or of the data side's own parameters given
   * twice is refused as a duplicate. The data side takes the other pairs ({@link
   * DataSide#configSet}).
   */
  private RedisMessage configSet(Session s, Request r) {
    if (r.argc() % 2 != 0) {
      throw CommandException.syntax(); // a parameter without its value, as Redis answers it
    }
    Map<String, String> front = parameters();
    Set<String> own = server.dataSide().configParameters().keySet();
    Set<String> seen = new LinkedHashSet<>();
    List<Map.Entry<String, String>> changes = new ArrayList<>();
    for (int i = 2; i < r.argc(); i += 2) {
      String given = r.string(i);
      String name = given.toLowerCase(Locale.ROOT);
      String value = r.string(i + 1);
      if ((front.containsKey(name) || own.contains(name)) && !seen.add(name)) {
        throw new CommandException(ConfigReplies.duplicate(given));
      }
      if (!front.containsKey(name)) {
        changes.add(Map.entry(given, value));
      } else if (IMMUTABLE.contains(name) || !front.get(name).equals(value)) {
        throw new CommandException(ConfigReplies.immutable(given));
      }
    }
    return changes.isEmpty() ? Replies.OK : server.dataSide().configSet(s, r, changes);
  }
}
