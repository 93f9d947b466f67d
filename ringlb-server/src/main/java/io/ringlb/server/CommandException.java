package io.ringlb.server;

/**
 * Thrown by a command handler to answer with an error reply; the message is the reply text without
 * the leading {@code -}, e.g. {@code ERR syntax error}.
 */
public final class CommandException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  /** Creates an exception answering {@code error}, e.g. {@code "ERR syntax error"}. */
  public CommandException(String error) {
    super(error, null, false, false);
  }

  /** Returns {@code ERR syntax error}. */
  public static CommandException syntax() {
    return new CommandException(Replies.SYNTAX_ERROR);
  }

  /** Returns {@code ERR value is not an integer or out of range}. */
  public static CommandException notInteger() {
    return new CommandException(Replies.NOT_INTEGER);
  }
}
