package io.ringlb.server;

import java.util.Locale;

/** What a user may run: the data commands, or those and the administrative ones too. */
public enum UserRole {
  /** Reads and writes data; refused every command whose {@link CommandSpec} is {@code admin}. */
  DATA,
  /** Everything: ring changes, flushes, CLIENT KILL, CONFIG, SCRIPT/FUNCTION FLUSH, SHUTDOWN. */
  ADMIN;

  /**
   * Returns the role named {@code text} ({@code data} or {@code admin}); {@code where} names it.
   */
  public static UserRole parse(String text, String where) {
    String t = text == null ? "" : text.trim().toLowerCase(Locale.ROOT);
    return switch (t) {
      case "data" -> DATA;
      case "admin" -> ADMIN;
      default ->
          throw new IllegalArgumentException(
              where + ": role must be data or admin, not '" + text + "'");
    };
  }

  /** Returns the role's name as configuration files write it. */
  public String word() {
    return name().toLowerCase(Locale.ROOT);
  }
}
