package io.ringlb.server.embedded;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.redis.RedisMessage;
import io.ringlb.server.CommandException;
import io.ringlb.server.CommandHandler;
import io.ringlb.server.CommandRegistry;
import io.ringlb.server.CommandSpec;
import io.ringlb.server.DeferredReply;
import io.ringlb.server.Replies;
import io.ringlb.server.Request;
import io.ringlb.server.Session;
import java.util.ArrayList;
import java.util.List;

/**
 * The embedded server's commands on a connection's own state: MULTI, EXEC, DISCARD, WATCH and
 * UNWATCH ({@link Transaction}); SUBSCRIBE, PSUBSCRIBE, UNSUBSCRIBE, PUNSUBSCRIBE ({@link
 * Subscriber}), PUBLISH and PUBSUB CHANNELS, NUMSUB, NUMPAT ({@link Channels}).
 */
final class SessionCommands {

  private static final String NOW = CommandSpec.NO_QUEUE;
  private static final String SUBSCRIBED = CommandSpec.PUBSUB_CONTEXT;

  private final Channels channels;

  SessionCommands(Channels channels) {
    this.channels = channels;
  }

  void register(CommandRegistry r) {
    r.register(
        CommandSpec.of("multi", 1, "fast " + NOW),
        (s, q) -> EmbeddedClient.of(s).transaction().multi());
    r.register(
        CommandSpec.of("exec", 1, NOW), (s, q) -> EmbeddedClient.of(s).transaction().exec(s));
    r.register(
        CommandSpec.of("discard", 1, "fast " + NOW),
        (s, q) -> EmbeddedClient.of(s).transaction().discard());
    r.register(
        CommandSpec.of("watch", -2, "fast " + NOW, 1, -1, 1),
        (s, q) -> EmbeddedClient.of(s).transaction().watch(q));
    r.register(
        CommandSpec.of("unwatch", 1, "fast"),
        (s, q) -> {
          EmbeddedClient.of(s).transaction().unwatch();
          return Replies.OK;
        });

    r.register(
        CommandSpec.of("subscribe", -2, SUBSCRIBED),
        (s, q) -> confirm(s, EmbeddedClient.of(s).subscriber().subscribe(false, names(q))));
    r.register(
        CommandSpec.of("psubscribe", -2, SUBSCRIBED),
        (s, q) -> confirm(s, EmbeddedClient.of(s).subscriber().subscribe(true, names(q))));
    r.register(
        CommandSpec.of("unsubscribe", -1, SUBSCRIBED),
        (s, q) -> confirm(s, EmbeddedClient.of(s).subscriber().unsubscribe(false, names(q))));
    r.register(
        CommandSpec.of("punsubscribe", -1, SUBSCRIBED),
        (s, q) -> confirm(s, EmbeddedClient.of(s).subscriber().unsubscribe(true, names(q))));
    r.register(
        CommandSpec.of("publish", 3, "fast"),
        (s, q) -> Replies.integer(channels.publish(q.bytes(1), q.bytes(2))));
    r.register(
        CommandSpec.of("pubsub", -2, ""),
        (s, q) -> {
          throw CommandException.syntax(); // the table answers unknown subcommands
        });
    r.registerSubcommand(
        "pubsub",
        CommandSpec.of("channels", -2, ""),
        (s, q) -> {
          if (q.argc() > 3) {
            throw new CommandException(
                "ERR unknown subcommand or wrong number of arguments for '"
                    + q.string(1)
                    + "'. Try PUBSUB HELP.");
          }
          List<RedisMessage> out = new ArrayList<>();
          for (byte[] name : channels.channels(q.argc() == 3 ? q.bytes(2) : null)) {
            out.add(Replies.bulkOf(name));
          }
          return Replies.array(out);
        });
    r.registerSubcommand(
        "pubsub",
        CommandSpec.of("numsub", -2, ""),
        (s, q) -> {
          List<RedisMessage> out = new ArrayList<>();
          for (int i = 2; i < q.argc(); i++) {
            byte[] name = q.bytes(i);
            out.add(Replies.bulkOf(name.clone()));
            out.add(Replies.integer(channels.subscribers(name)));
          }
          return Replies.array(out);
        });
    r.registerSubcommand(
        "pubsub", CommandSpec.of("numpat", 2, ""), (s, q) -> Replies.integer(channels.patterns()));
  }

  private static List<byte[]> names(Request q) {
    List<byte[]> names = new ArrayList<>(q.argc() - 1);
    for (int i = 1; i < q.argc(); i++) {
      names.add(q.bytes(i));
    }
    return names;
  }

  /** Answers with several RESP frames at once, as Redis confirms each name of the command. */
  private static RedisMessage confirm(Session s, ByteBuf frames) {
    try {
      DeferredReply slot = s.defer();
      slot.completeRaw(frames);
      return CommandHandler.DEFERRED;
    } finally {
      frames.release();
    }
  }
}
