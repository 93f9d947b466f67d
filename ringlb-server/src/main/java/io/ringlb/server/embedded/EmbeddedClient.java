package io.ringlb.server.embedded;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.redis.ArrayRedisMessage;
import io.netty.handler.codec.redis.FullBulkStringRedisMessage;
import io.netty.handler.codec.redis.RedisMessage;
import io.ringlb.server.CommandHandler;
import io.ringlb.server.CommandSpec;
import io.ringlb.server.ConnectionState;
import io.ringlb.server.Replies;
import io.ringlb.server.Request;
import io.ringlb.server.Session;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;

/**
 * One client connection of the embedded server, as the front end's {@link ConnectionState}: its
 * transaction ({@link Transaction}) and its subscriptions ({@link Subscriber}), each made on first
 * use. Every command passes {@link #before}: refused in subscribed mode unless Redis allows it
 * there, queued inside MULTI unless it runs at once (MULTI, EXEC, DISCARD, WATCH, QUIT, RESET).
 */
final class EmbeddedClient implements ConnectionState {

  private static final byte[] PONG = "pong".getBytes(StandardCharsets.US_ASCII);

  private final Session session;
  private final Keyspace keyspace;
  private final Channels channels;
  private Transaction transaction;
  private Subscriber subscriber;

  EmbeddedClient(Session session, Keyspace keyspace, Channels channels) {
    this.session = session;
    this.keyspace = keyspace;
    this.channels = channels;
  }

  /** Returns the embedded server's state of {@code session}'s connection. */
  static EmbeddedClient of(Session session) {
    return (EmbeddedClient) session.state();
  }

  Transaction transaction() {
    Transaction t = transaction;
    if (t == null) {
      t = transaction = new Transaction(keyspace);
    }
    return t;
  }

  Subscriber subscriber() {
    Subscriber s = subscriber;
    if (s == null) {
      s = subscriber = new Subscriber(session, channels);
    }
    return s;
  }

  @Override
  public RedisMessage before(CommandSpec spec, CommandHandler handler, Session s, Request r) {
    Subscriber sub = subscriber;
    if (sub != null && sub.active() && s.protocol() == 2) { // RESP3 runs anything while subscribed
      if (!spec.flags().contains(CommandSpec.PUBSUB_CONTEXT)) {
        refused();
        return Replies.error(
            "ERR Can't execute '"
                + fullName(spec, r)
                + "': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in"
                + " this context");
      }
      if (spec.name().equals("ping") && r.argc() <= 2) {
        return new ArrayRedisMessage(
            List.of(
                new FullBulkStringRedisMessage(Unpooled.wrappedBuffer(PONG)),
                r.argc() == 2
                    ? new FullBulkStringRedisMessage(Unpooled.copiedBuffer(r.arg(1)))
                    : FullBulkStringRedisMessage.EMPTY_INSTANCE));
      }
    }
    Transaction tx = transaction;
    if (tx != null && tx.open() && !spec.flags().contains(CommandSpec.NO_QUEUE)) {
      return tx.queue(spec, handler, r);
    }
    return null;
  }

  /** Returns Redis's full name of the command: {@code container|sub} for a subcommand. */
  private static String fullName(CommandSpec spec, Request r) {
    if (r.is(0, spec.name())) {
      return spec.name();
    }
    return r.string(0).toLowerCase(Locale.ROOT) + "|" + spec.name();
  }

  @Override
  public void refused() {
    if (transaction != null) {
      transaction.refused();
    }
  }

  @Override
  public void reset() {
    if (transaction != null) {
      transaction.reset();
    }
    if (subscriber != null) {
      subscriber.clear();
    }
  }

  @Override
  public int subscriptions() {
    return subscriber == null ? 0 : subscriber.count(false);
  }

  @Override
  public int patternSubscriptions() {
    return subscriber == null ? 0 : subscriber.count(true);
  }

  @Override
  public int queued() {
    return transaction == null ? -1 : transaction.queuedCount();
  }

  @Override
  public void closed() {
    reset();
  }
}
