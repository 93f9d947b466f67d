package io.ringlb.server;

import io.netty.channel.EventLoopGroup;

/**
 * The data side of a {@link RespServer}: the commands that read and write keys, and whatever
 * holds the keys.
 *
 * <p>This is the server's extension point. The front end (Netty pipeline, request limits,
 * authentication, connection commands such as PING, HELLO, CLIENT, COMMAND, INFO, and reply
 * ordering) is the same for every backend; a backend only registers its commands in {@link
 * #register}. Handlers may answer synchronously (the embedded server memories of {@code
 * io.ringlb.server.embedded}) or asynchronously through {@link Session#defer()} (a proxy over
 * real redis-servers); under pipelining the connection keeps replies in request order either way.
 */
public interface Backend extends AutoCloseable {

  /** Registers this backend's commands; called once, before the server accepts connections. */
  void register(CommandRegistry registry);

  /** Called once the server's event loops run, e.g. to schedule background work on them. */
  default void start(EventLoopGroup eventLoops) {}

  /** Returns the INFO sections this backend adds, lowercase, in the order shown. */
  default String[] infoSections() {
    return new String[0];
  }

  /**
   * Appends the lines of {@code section} ({@code field:value}, each ending in CRLF), one of
   * {@link #infoSections()}.
   */
  default void info(String section, StringBuilder out) {}

  /** Releases what the backend holds, after the last connection has closed. */
  @Override
  default void close() {}
}
