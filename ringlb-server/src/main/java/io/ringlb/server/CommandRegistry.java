package io.ringlb.server;

/** Where the server and its {@link DataSide} register commands, once, by lowercase name. */
public interface CommandRegistry {

  /**
   * Registers a command.
   *
   * @throws IllegalArgumentException if a command of that name is already registered
   */
  void register(CommandSpec spec, CommandHandler handler);

  /**
   * Registers a subcommand of a registered container command ({@code CLIENT SETNAME}); its arity
   * counts from the container name and errors name it {@code container|name}.
   *
   * @throws IllegalArgumentException if the container is unknown or the subcommand registered
   */
  void registerSubcommand(String container, CommandSpec spec, CommandHandler handler);

  /** Returns whether a command of that lowercase name is registered. */
  boolean contains(String name);
}
