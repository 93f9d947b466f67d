package io.ringlb.server.embedded;

import io.ringlb.server.CommandException;
import io.ringlb.server.CommandRegistry;
import io.ringlb.server.CommandSpec;
import java.util.Set;

/**
 * SAVE and SHUTDOWN, which the embedded server does not serve (it keeps its keys in memory only,
 * and stops from its command line): refused with the reason, and inside MULTI as Redis refuses them
 * there ({@link #NO_MULTI}).
 */
final class ServerCommands {

  /** Commands Redis refuses inside a transaction, with {@link #NOT_IN_MULTI}. */
  static final Set<String> NO_MULTI = Set.of("save", "shutdown");

  /** Redis's error for a {@link #NO_MULTI} command queued inside MULTI. */
  static final String NOT_IN_MULTI = "ERR Command not allowed inside a transaction";

  void register(CommandRegistry r) {
    r.register(
        CommandSpec.of("save", 1, "admin"),
        (s, q) -> {
          throw new CommandException(
              "ERR ringlb: the embedded server keeps its keys in memory only; SAVE writes nothing");
        });
    r.register(
        CommandSpec.of("shutdown", -1, "admin"),
        (s, q) -> {
          throw new CommandException(
              "ERR ringlb: the embedded server stops from its command line, not from a client");
        });
  }
}
