package io.ringlb.server;

import java.util.Set;

/**
 * The family a command's latency is measured in: {@code read}, {@code write}, {@code admin}, {@code
 * connection}, {@code transaction}, {@code pubsub} or {@code scripting}, from the command's name
 * and its spec's flags, the same for both data sides.
 */
final class CommandFamily {

  static final String READ = "read";
  static final String WRITE = "write";
  static final String ADMIN = "admin";
  static final String CONNECTION = "connection";
  static final String TRANSACTION = "transaction";
  static final String PUBSUB = "pubsub";
  static final String SCRIPTING = "scripting";

  /** Every family, in the order {@code /metrics} shows them. */
  static final String[] ALL = {READ, WRITE, ADMIN, CONNECTION, TRANSACTION, PUBSUB, SCRIPTING};

  private static final Set<String> CONNECTION_COMMANDS =
      Set.of(
          "ping", "echo", "quit", "auth", "hello", "select", "time", "client", "command", "config",
          "info", "reset", "acl");

  private static final Set<String> TRANSACTION_COMMANDS =
      Set.of("multi", "exec", "discard", "watch", "unwatch");

  private static final Set<String> PUBSUB_COMMANDS =
      Set.of("subscribe", "unsubscribe", "psubscribe", "punsubscribe", "publish", "pubsub");

  private static final Set<String> SCRIPTING_COMMANDS =
      Set.of("eval", "evalsha", "eval_ro", "evalsha_ro", "fcall", "fcall_ro", "script", "function");

  /**
   * Reads besides {@link ReadOnlyCommands}' (keyless ones, and containers whose subcommands read),
   * for a data side whose specs do not flag them.
   */
  private static final Set<String> OTHER_READS =
      Set.of("xinfo", "scan", "keys", "dbsize", "randomkey", "memory", "object");

  private CommandFamily() {}

  /**
   * Returns the family of the command or subcommand {@code fullName} ({@code get}, {@code
   * client|list}) whose spec is {@code spec}.
   */
  static String of(String fullName, CommandSpec spec) {
    int bar = fullName.indexOf('|');
    String command = bar < 0 ? fullName : fullName.substring(0, bar);
    if (spec.admin()) {
      return ADMIN;
    }
    if (CONNECTION_COMMANDS.contains(command)) {
      return CONNECTION;
    }
    if (TRANSACTION_COMMANDS.contains(command)) {
      return TRANSACTION;
    }
    if (PUBSUB_COMMANDS.contains(command)) {
      return PUBSUB;
    }
    if (SCRIPTING_COMMANDS.contains(command)) {
      return SCRIPTING;
    }
    if (spec.flags().contains("readonly")
        || ReadOnlyCommands.contains(command)
        || OTHER_READS.contains(command)) {
      return READ;
    }
    return WRITE;
  }
}
