package io.ringlb.server;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.ringlb.core.HashRing;
import io.ringlb.server.embedded.EmbeddedBackend;
import java.nio.charset.StandardCharsets;

/** Helpers shared by the server tests. */
final class Fixtures {

  private Fixtures() {}

  static EmbeddedBackend embedded() {
    return EmbeddedBackend.create(HashRing.seed(), 0, 1, 2);
  }

  /** Returns a channel with a connection's whole pipeline over {@code backend}. */
  static EmbeddedChannel channel(ServerConfig config, DataSide backend) {
    ServerContext context = new ServerContext(config, backend);
    ConnectionCommands.register(context);
    backend.register(context.commands());
    context.commands().enableMetrics(new CommandMetrics(new PrometheusRegistry()));
    EmbeddedChannel ch = new EmbeddedChannel();
    RespServer.initPipeline(ch.pipeline(), context);
    ch.pipeline().fireChannelActive();
    return ch;
  }

  static EmbeddedChannel channel() {
    return channel(ServerConfig.defaults(), embedded());
  }

  static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }

  /** Encodes a command as a RESP array of bulk strings. */
  static String resp(String... args) {
    StringBuilder sb = new StringBuilder("*").append(args.length).append("\r\n");
    for (String a : args) {
      sb.append('$')
          .append(a.getBytes(StandardCharsets.ISO_8859_1).length)
          .append("\r\n")
          .append(a)
          .append("\r\n");
    }
    return sb.toString();
  }

  /** Returns everything the channel has written so far, as ISO-8859-1 text. */
  static String output(EmbeddedChannel ch) {
    ch.runPendingTasks();
    StringBuilder sb = new StringBuilder();
    Object o;
    while ((o = ch.readOutbound()) != null) {
      ByteBuf b = (ByteBuf) o;
      sb.append(b.toString(StandardCharsets.ISO_8859_1));
      b.release();
    }
    return sb.toString();
  }

  static void write(EmbeddedChannel ch, String text) {
    ch.writeInbound(Unpooled.wrappedBuffer(bytes(text)));
  }
}
