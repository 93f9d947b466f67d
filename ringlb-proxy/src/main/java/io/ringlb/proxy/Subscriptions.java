package io.ringlb.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.redis.ArrayRedisMessage;
import io.netty.handler.codec.redis.FullBulkStringRedisMessage;
import io.netty.handler.codec.redis.RedisMessage;
import io.netty.util.ReferenceCountUtil;
import io.ringlb.server.CommandHandler;
import io.ringlb.server.CommandSpec;
import io.ringlb.server.DeferredReply;
import io.ringlb.server.Replies;
import io.ringlb.server.Request;
import io.ringlb.server.Session;
import java.util.ArrayList;
import java.util.List;

/**
 * One client's publish/subscribe through the proxy: (P)SUBSCRIBE and (P)UNSUBSCRIBE answered by the
 * proxy over a {@link PubSub} that subscribes on every backend, PUBLISH to the channel's owner, and
 * what a subscribed client may still run.
 */
final class Subscriptions {

  private final Session client;
  private final Worker worker;
  private final Router router;

  /** Subscriptions, while the client has any (or is being answered about them); else null. */
  private PubSub pubsub;

  Subscriptions(Session client, Worker worker, Router router) {
    this.client = client;
    this.worker = worker;
    this.router = router;
  }

  /** Returns whether the client is in subscribed mode. */
  boolean active() {
    return pubsub != null;
  }

  /** Returns the channels ({@code pattern} false) or patterns subscribed. */
  int count(boolean pattern) {
    PubSub p = pubsub;
    return p == null ? 0 : p.count(pattern);
  }

  /**
   * In subscribed mode: refuses what Redis refuses there (RESP2), answers PING as Redis does there,
   * and lets the rest run (returns null).
   */
  RedisMessage before(CommandSpec spec, Request r) {
    if (client.protocol() == 3) {
      return null; // in RESP3 every command runs while subscribed, PING answers PONG
    }
    if (!spec.flags().contains(CommandSpec.PUBSUB_CONTEXT)) {
      return Replies.error(
          "ERR Can't execute '"
              + spec.name()
              + "': only (P|S)SUBSCRIBE /"
              + " (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context");
    }
    if (spec.name().equals("ping") && r.argc() <= 2) {
      // Subscribed, Redis answers ["pong", message] (RESP2)
      return new ArrayRedisMessage(
          List.of(
              Replies.bulk(
                  Unpooled.wrappedBuffer(
                      "pong".getBytes(java.nio.charset.StandardCharsets.US_ASCII))),
              r.argc() == 2
                  ? new FullBulkStringRedisMessage(Unpooled.copiedBuffer(r.arg(1)))
                  : FullBulkStringRedisMessage.EMPTY_INSTANCE));
    }
    return null;
  }

  /** SUBSCRIBE and PSUBSCRIBE: answered once every backend has confirmed. */
  RedisMessage subscribe(Request r) {
    boolean pattern = r.is(0, "psubscribe");
    PubSub p = start();
    DeferredReply slot = client.defer();
    p.subscribe(
        pattern, names(r), worker.topology(), confirmations -> confirm(slot, confirmations));
    return CommandHandler.DEFERRED;
  }

  /** UNSUBSCRIBE and PUNSUBSCRIBE, of the names given or of all. */
  RedisMessage unsubscribe(Request r) {
    boolean pattern = r.is(0, "punsubscribe");
    PubSub p = start();
    DeferredReply slot = client.defer();
    confirm(slot, p.unsubscribe(pattern, names(r)));
    if (p.count() == 0) {
      close(); // subscribed to nothing: the client is out of subscribed mode
    }
    return CommandHandler.DEFERRED;
  }

  /**
   * PUBLISH to the backend owning the channel (as a key, hash tag and all). Subscribers through the
   * proxy are subscribed on every backend, so one copy reaches each of them.
   */
  RedisMessage publish(Request r) {
    Topology t = worker.topology();
    int owner = t.placement().serverFor(router.hash(t, r.arg(1)));
    if (owner < 0) {
      return Replies.error(Router.NO_BACKEND);
    }
    DeferredReply slot = client.defer();
    t.backend(owner)
        .connection(worker, client.id(), client.protocol() == 3)
        .send(r, new ClientReply(slot, worker, t));
    return CommandHandler.DEFERRED;
  }

  /** RESET or the client's end: out of subscribed mode. */
  void close() {
    if (pubsub != null) {
      pubsub.close();
      worker.removeSubscriber(pubsub);
      pubsub = null;
    }
  }

  private PubSub start() {
    if (pubsub == null) {
      pubsub = new PubSub(client, worker);
      worker.addSubscriber(pubsub);
    }
    return pubsub;
  }

  private static List<byte[]> names(Request r) {
    List<byte[]> names = new ArrayList<>(r.argc() - 1);
    for (int i = 1; i < r.argc(); i++) {
      names.add(ByteBufUtil.getBytes(r.arg(i)));
    }
    return names;
  }

  /**
   * Answers with the (un)subscribe confirmations, one after the other, as one reply (pushes in
   * RESP3).
   */
  private void confirm(DeferredReply slot, List<RedisMessage> confirmations) {
    ByteBuf encoded = Unpooled.buffer(64 * Math.max(1, confirmations.size()));
    boolean resp3 = client.protocol() == 3;
    try {
      for (RedisMessage confirmation : confirmations) {
        Resp.write(encoded, confirmation, resp3);
        ReferenceCountUtil.release(confirmation);
      }
      slot.completeRaw(encoded);
    } finally {
      encoded.release();
    }
  }
}
