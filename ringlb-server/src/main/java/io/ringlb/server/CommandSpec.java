package io.ringlb.server;

import java.util.Locale;
import java.util.Set;

/**
 * The name, arity, flags and key positions of a command, as the dispatcher checks them and {@code
 * COMMAND} reports them.
 *
 * <p>Arity counts the way Redis counts it, the command name included: {@code n > 0} means exactly n
 * arguments, {@code -n} at least n. A subcommand's arity counts from the container name, so {@code
 * CLIENT SETNAME name} has arity 3.
 *
 * @param name lowercase ASCII name
 * @param arity exact ({@code > 0}) or minimum ({@code < 0}) number of arguments
 * @param flags Redis command flags; {@code noauth} lets the command run before authentication,
 *     {@code admin} keeps it to admin users
 * @param firstKey position of the first key argument, 0 when there is none
 * @param lastKey position of the last key argument, -1 for the last argument
 * @param step distance between key arguments
 */
public record CommandSpec(
    String name, int arity, Set<String> flags, int firstKey, int lastKey, int step) {

  /**
   * Flag of an administrative command (ring changes, flushes, CLIENT KILL, CONFIG, SCRIPT/FUNCTION
   * FLUSH, SHUTDOWN): only a user whose role is {@link UserRole#ADMIN} may run it; any other gets
   * Redis's {@code NOPERM}. A subcommand carries its own flag (CLIENT KILL is admin, CLIENT ID is
   * not).
   */
  public static final String ADMIN = "admin";

  /** Flag of a command that runs before authentication (AUTH, HELLO, QUIT). */
  public static final String NO_AUTH = "noauth";

  /** Redis's flag of a command that may change data. */
  public static final String WRITE = "write";

  /** Redis's flag of a command that only reads data. */
  public static final String READONLY = "readonly";

  /**
   * Flag of a command that runs at once inside MULTI instead of being queued (MULTI, EXEC, DISCARD,
   * WATCH, QUIT, RESET), for a data side that queues transactions.
   */
  public static final String NO_QUEUE = "no-queue";

  /** Flag of a command a client in subscribed mode may still run (RESP2), as Redis allows. */
  public static final String PUBSUB_CONTEXT = "pubsub-context";

  /** Validates the fields. */
  public CommandSpec {
    if (name == null
        || name.isEmpty()
        || !name.equals(name.toLowerCase(Locale.ROOT))
        || name.chars().anyMatch(c -> c <= ' ' || c > '~')) {
      throw new IllegalArgumentException("command name must be non-empty lowercase ASCII: " + name);
    }
    if (arity == 0) {
      throw new IllegalArgumentException("arity must not be 0: " + name);
    }
    flags = Set.copyOf(flags);
    if (firstKey < 0 || step < 0) {
      throw new IllegalArgumentException("key positions must not be negative: " + name);
    }
  }

  /** Returns a spec without key arguments; {@code flags} is a space-separated list. */
  public static CommandSpec of(String name, int arity, String flags) {
    return new CommandSpec(name, arity, parseFlags(flags), 0, 0, 0);
  }

  /** Returns a spec whose keys are at {@code firstKey..lastKey} every {@code step}. */
  public static CommandSpec of(
      String name, int arity, String flags, int firstKey, int lastKey, int step) {
    return new CommandSpec(name, arity, parseFlags(flags), firstKey, lastKey, step);
  }

  /** Returns whether {@code argc} arguments, the name included, satisfy the arity. */
  public boolean acceptsArgc(int argc) {
    return arity > 0 ? argc == arity : argc >= -arity;
  }

  /** Returns whether this command may run before the client authenticates. */
  public boolean noAuth() {
    return flags.contains(NO_AUTH);
  }

  /** Returns whether only an admin user may run this command. */
  public boolean admin() {
    return flags.contains(ADMIN);
  }

  private static Set<String> parseFlags(String flags) {
    String trimmed = flags.trim();
    return trimmed.isEmpty() ? Set.of() : Set.of(trimmed.split("\\s+"));
  }
}
