package io.ringlb.server;

import io.netty.handler.codec.redis.RedisMessage;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * CLIENT and its subcommands (ID, GETNAME, SETNAME, SETINFO, INFO, LIST, KILL, UNBLOCK, REPLY,
 * NO-EVICT, NO-TOUCH) over the server's connected clients.
 */
final class ClientCommands {

  private final ServerContext server;

  ClientCommands(ServerContext server) {
    this.server = server;
  }

  /** Registers this class's commands in {@code t}. */
  void registerAll(CommandTable t) {
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
        (s, r) -> Replies.verbatim(s.alloc(), ClientHandler.of(s).describe() + "\n"));
    t.registerSubcommand(
        "client",
        CommandSpec.of("list", -2, "admin"),
        (s, r) -> {
          StringBuilder sb = new StringBuilder();
          for (ClientHandler c : clients()) {
            sb.append(c.describe()).append('\n');
          }
          return Replies.verbatim(s.alloc(), sb.toString());
        });
    t.registerSubcommand("client", CommandSpec.of("kill", -3, "admin"), this::kill);
    t.registerSubcommand("client", CommandSpec.of("unblock", -3, "admin"), this::unblock);
    t.registerSubcommand(
        "client",
        CommandSpec.of("reply", 3, "fast"),
        (s, r) -> {
          ClientHandler client = ClientHandler.of(s);
          if (r.is(2, "on")) {
            client.replies().on();
          } else if (r.is(2, "off")) {
            client.replies().off();
          } else if (r.is(2, "skip")) {
            client.replies().skip();
          } else {
            throw CommandException.syntax();
          }
          return Replies.OK;
        });
    t.registerSubcommand("client", CommandSpec.of("no-evict", 3, "admin"), this::noEvict);
    t.registerSubcommand("client", CommandSpec.of("no-touch", 3, "fast"), this::onOff);
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

  /**
   * CLIENT UNBLOCK id [TIMEOUT|ERROR]: ends the blocking command client {@code id} waits in, as if
   * timed out or with Redis's UNBLOCKED error; answers 1 if it was blocked, else 0, once the
   * client's own event loop has said.
   */
  private RedisMessage unblock(Session s, Request r) {
    long id = r.longValue(2);
    boolean error = false;
    if (r.argc() == 4) {
      if (r.is(3, "error")) {
        error = true;
      } else if (!r.is(3, "timeout")) {
        throw new CommandException("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR");
      }
    } else if (r.argc() > 4) {
      throw CommandException.syntax();
    }
    ClientHandler target = null;
    for (ClientHandler c : clients()) {
      if (c.id() == id) {
        target = c;
      }
    }
    if (target == null) {
      return Replies.integer(0);
    }
    DeferredReply slot = s.defer();
    ClientHandler client = target;
    boolean withError = error;
    client
        .eventLoop()
        .execute(() -> slot.complete(Replies.integer(client.state().unblock(withError) ? 1 : 0)));
    return CommandHandler.DEFERRED;
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

  /** CLIENT NO-EVICT ON|OFF: whether maxmemory-clients may disconnect this client (admin). */
  private RedisMessage noEvict(Session s, Request r) {
    onOff(s, r);
    ((ClientHandler) s).memory().noEvict(r.is(2, "on"));
    return Replies.OK;
  }

  private RedisMessage onOff(Session s, Request r) {
    if (!r.is(2, "on") && !r.is(2, "off")) {
      throw CommandException.syntax();
    }
    return Replies.OK;
  }

  static void checkName(String name) {
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
    ClientHandler.of(s).info().name(name.isEmpty() ? null : name);
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
      ClientHandler.of(s).info().libInfo(value, null);
    } else if (r.is(2, "lib-ver")) {
      ClientHandler.of(s).info().libInfo(null, value);
    } else {
      throw new CommandException("ERR Unrecognized option '" + r.string(2) + "'");
    }
    return Replies.OK;
  }
}
