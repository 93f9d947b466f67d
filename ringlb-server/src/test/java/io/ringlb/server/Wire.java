package io.ringlb.server;

import io.netty.channel.embedded.EmbeddedChannel;

/**
 * One client connection through the whole front-end pipeline over a data side, without a socket:
 * {@link #call} sends a command as RESP and returns the RESP bytes written back, as text, so that a
 * test states replies exactly as redis-server writes them.
 */
public final class Wire implements AutoCloseable {

  private final EmbeddedChannel channel;

  private Wire(EmbeddedChannel channel) {
    this.channel = channel;
  }

  /** Returns the data side's server with its commands registered, for {@link #connect}. */
  public static Server server(DataSide dataSide) {
    return server(ServerConfig.defaults(), dataSide);
  }

  /** As {@link #server(DataSide)}, with {@code config}. */
  public static Server server(ServerConfig config, DataSide dataSide) {
    ServerContext context = new ServerContext(config, dataSide);
    ConnectionCommands.register(context);
    dataSide.register(context.commands());
    return new Server(context);
  }

  /** A front end whose connections {@link #connect} opens. */
  public static final class Server {
    private final ServerContext context;

    private Server(ServerContext context) {
      this.context = context;
    }

    /** Opens a new client connection. */
    public Wire connect() {
      EmbeddedChannel ch = new EmbeddedChannel();
      RespServer.initPipeline(ch.pipeline(), context);
      ch.pipeline().fireChannelActive();
      return new Wire(ch);
    }
  }

  /** Sends {@code args} as one RESP command; returns everything written back since the last. */
  public String call(String... args) {
    Fixtures.write(channel, Fixtures.resp(args));
    return output();
  }

  /** Returns what the connection wrote since the last call (pushed messages). */
  public String output() {
    return Fixtures.output(channel);
  }

  @Override
  public void close() {
    channel.finishAndReleaseAll();
  }
}
