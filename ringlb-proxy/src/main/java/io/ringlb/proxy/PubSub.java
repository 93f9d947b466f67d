package io.ringlb.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.redis.ArrayRedisMessage;
import io.netty.handler.codec.redis.FullBulkStringRedisMessage;
import io.netty.handler.codec.redis.IntegerRedisMessage;
import io.netty.handler.codec.redis.RedisArrayAggregator;
import io.netty.handler.codec.redis.RedisBulkStringAggregator;
import io.netty.handler.codec.redis.RedisDecoder;
import io.netty.handler.codec.redis.RedisMessage;
import io.netty.util.ReferenceCountUtil;
import io.ringlb.server.Replies;
import io.ringlb.server.Session;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The channels and patterns one client has subscribed to through the proxy, and its subscribing
 * connections: one to every backend holding keys, each subscribed to all of them.
 *
 * <p>A message exists on the one backend it was published to, so a client subscribed everywhere
 * receives it once, wherever PUBLISH sent it and whatever ring changes happen in between; a backend
 * joining the ring gets the subscriptions when a worker adopts the topology naming it. The proxy
 * answers subscribe and unsubscribe itself (the counts are the client's, across backends) and
 * passes on {@code message} and {@code pmessage} pushes. Event-loop confined.
 */
final class PubSub {

  /** How long after losing a backend its subscriptions are made again. */
  private static final long RECONNECT_AFTER_MILLIS = 250;

  private final Session client;
  private final Worker worker;

  /** Channel and pattern names, kept as ISO-8859-1 strings: one char per byte, exact. */
  private final Set<String> channels = new LinkedHashSet<>();

  private final Set<String> patterns = new LinkedHashSet<>();
  private final Map<Backend, Link> links = new HashMap<>();
  private boolean closed;

  PubSub(Session client, Worker worker) {
    this.client = client;
    this.worker = worker;
  }

  /** Returns the number of channels and patterns subscribed, as Redis counts them. */
  int count() {
    return channels.size() + patterns.size();
  }

  /** Returns the number of patterns ({@code pattern}) or of channels subscribed. */
  int count(boolean pattern) {
    return pattern ? patterns.size() : channels.size();
  }

  /**
   * SUBSCRIBE or PSUBSCRIBE ({@code pattern}) of {@code names}: subscribes every connection to the
   * new ones, and runs {@code confirm} with the confirmations (one per name given) once every
   * backend has confirmed, so that a message published after the client read them reaches it; or
   * after the request timeout, if a backend does not answer.
   */
  void subscribe(
      boolean pattern,
      List<byte[]> names,
      Topology t,
      java.util.function.Consumer<List<RedisMessage>> confirm) {
    Set<String> set = pattern ? patterns : channels;
    List<byte[]> added = new ArrayList<>();
    List<RedisMessage> confirmations = new ArrayList<>();
    for (byte[] name : names) {
      if (set.add(key(name))) {
        added.add(name);
      }
      confirmations.add(confirmation(pattern ? "psubscribe" : "subscribe", name));
    }
    ensure(t);
    Waiter waiter = new Waiter(confirmations, confirm);
    if (!added.isEmpty()) {
      ByteBuf command = command(pattern ? "PSUBSCRIBE" : "SUBSCRIBE", added);
      for (Link link : links.values()) {
        if (link.channel.isActive()) {
          link.acks.add(new Ack(added.size(), List.of(waiter)));
          link.channel.writeAndFlush(command.retainedDuplicate(), link.channel.voidPromise());
        } else {
          link.connecting.add(waiter); // answered by the subscriptions sent on connect
        }
        waiter.links++;
      }
      command.release();
    }
    waiter.armed();
  }

  /**
   * UNSUBSCRIBE or PUNSUBSCRIBE of {@code names}, or of everything when none are given; returns the
   * confirmations, as Redis gives them.
   */
  List<RedisMessage> unsubscribe(boolean pattern, List<byte[]> names) {
    Set<String> set = pattern ? patterns : channels;
    String kind = pattern ? "punsubscribe" : "unsubscribe";
    List<byte[]> targets = names;
    if (names.isEmpty()) {
      targets = new ArrayList<>();
      for (String name : set) {
        targets.add(name.getBytes(StandardCharsets.ISO_8859_1));
      }
    }
    List<RedisMessage> confirmations = new ArrayList<>();
    List<byte[]> removed = new ArrayList<>();
    for (byte[] name : targets) {
      if (set.remove(key(name))) {
        removed.add(name);
      }
      confirmations.add(confirmation(kind, name));
    }
    if (confirmations.isEmpty()) {
      confirmations.add(confirmation(kind, null));
    }
    if (!removed.isEmpty()) {
      ByteBuf command = command(pattern ? "PUNSUBSCRIBE" : "UNSUBSCRIBE", removed);
      for (Link link : links.values()) {
        if (link.channel.isActive()) {
          link.channel.writeAndFlush(command.retainedDuplicate(), link.channel.voidPromise());
        }
      }
      command.release();
    }
    return confirmations;
  }

  /** Opens a subscribed connection to every backend of {@code t} holding keys that has none. */
  void ensure(Topology t) {
    if (closed) {
      return;
    }
    for (Backend b : t.backends()) {
      boolean holdsKeys =
          !b.isEjected()
              && (t.placement().contains(b.id())
                  || (t.previous() != null && t.previous().contains(b.id())));
      if (holdsKeys && !links.containsKey(b)) {
        connect(b);
      }
    }
  }

  /** Closes every subscribed connection. */
  void close() {
    closed = true;
    for (Link link : new ArrayList<>(links.values())) {
      link.channel.close();
      link.release();
    }
    links.clear();
  }

  private void retrySoon() {
    worker
        .loop()
        .schedule(
            () -> ensure(worker.topology()),
            RECONNECT_AFTER_MILLIS,
            java.util.concurrent.TimeUnit.MILLISECONDS);
  }

  private static String key(byte[] name) {
    return new String(name, StandardCharsets.ISO_8859_1);
  }

  private RedisMessage confirmation(String kind, byte[] name) {
    List<RedisMessage> parts = new ArrayList<>(3);
    parts.add(Values.bulk(kind));
    parts.add(name == null ? FullBulkStringRedisMessage.NULL_INSTANCE : Values.bulk(name));
    parts.add(new IntegerRedisMessage(count()));
    return Replies.push(parts);
  }

  /** Returns {@code command} with {@code names} as its arguments, encoded. */
  private static ByteBuf command(String command, List<byte[]> names) {
    Object[] args = new Object[names.size() + 1];
    args[0] = command;
    for (int i = 0; i < names.size(); i++) {
      args[i + 1] = names.get(i);
    }
    return Resp.command(args);
  }

  private void connect(Backend b) {
    // AUTH goes first, written by Upstream as the channel connects.
    ChannelFuture future =
        worker
            .upstream()
            .connect(
                worker.loop(),
                b.target(),
                ch ->
                    ch.pipeline()
                        .addLast(
                            new RedisDecoder(),
                            new RedisBulkStringAggregator(),
                            new RedisArrayAggregator(),
                            new Pushes(b)));
    Link link = new Link(future.channel());
    links.put(b, link);
    future.addListener(
        f -> {
          Channel ch = link.channel;
          if (!f.isSuccess() || closed || links.get(b) != link) {
            ch.close();
            if (links.get(b) == link) {
              links.remove(b);
              if (!closed) {
                retrySoon(); // the backend is down: try again while the client is subscribed
              }
            }
            link.release();
            return;
          }
          // Everything subscribed so far: later changes are sent as they come.
          if (!channels.isEmpty()) {
            ch.write(command("SUBSCRIBE", bytes(channels)), ch.voidPromise());
          }
          if (!patterns.isEmpty()) {
            ch.write(command("PSUBSCRIBE", bytes(patterns)), ch.voidPromise());
          }
          ch.flush();
          link.acks.add(new Ack(channels.size() + patterns.size(), link.connecting));
          link.connecting = new ArrayList<>();
          link.settle();
        });
  }

  /** A subscribing connection and the confirmations it owes, in the order it owes them. */
  private static final class Link {
    private final Channel channel;
    private final java.util.ArrayDeque<Ack> acks = new java.util.ArrayDeque<>();

    /** Subscriptions made while connecting, confirmed by those sent on connect. */
    private List<Waiter> connecting = new ArrayList<>();

    Link(Channel channel) {
      this.channel = channel;
    }

    /** One (p)subscribe confirmation came. */
    void confirmed() {
      Ack head = acks.peek();
      if (head != null) {
        head.remaining--;
        settle();
      }
    }

    /** Completes the head acknowledgements that owe nothing more. */
    void settle() {
      Ack head;
      while ((head = acks.peek()) != null && head.remaining <= 0) {
        acks.poll();
        for (Waiter waiter : head.waiters) {
          waiter.linkDone();
        }
      }
    }

    /** The connection is gone: nothing it owes will come. */
    void release() {
      Ack head;
      while ((head = acks.poll()) != null) {
        for (Waiter waiter : head.waiters) {
          waiter.linkDone();
        }
      }
      for (Waiter waiter : connecting) {
        waiter.linkDone();
      }
      connecting = new ArrayList<>();
    }
  }

  /** Confirmations a link owes for one SUBSCRIBE it was sent, and who waits for them. */
  private static final class Ack {
    private int remaining;
    private final List<Waiter> waiters;

    Ack(int remaining, List<Waiter> waiters) {
      this.remaining = remaining;
      this.waiters = waiters;
    }
  }

  /** A client's SUBSCRIBE, answered once every link confirmed it, or at the request timeout. */
  private final class Waiter {
    private final List<RedisMessage> confirmations;
    private final java.util.function.Consumer<List<RedisMessage>> confirm;
    private int links;
    private boolean answered;

    Waiter(
        List<RedisMessage> confirmations, java.util.function.Consumer<List<RedisMessage>> confirm) {
      this.confirmations = confirmations;
      this.confirm = confirm;
    }

    /** Every link has been counted: answer now if none owes anything, else at the latest later. */
    void armed() {
      if (links == 0) {
        answer();
      } else {
        worker
            .loop()
            .schedule(
                this::answer,
                worker.upstream().requestTimeoutMillis(),
                java.util.concurrent.TimeUnit.MILLISECONDS);
      }
    }

    void linkDone() {
      if (--links == 0) {
        answer();
      }
    }

    private void answer() {
      if (!answered) {
        answered = true;
        confirm.accept(confirmations);
      }
    }
  }

  private static List<byte[]> bytes(Set<String> names) {
    List<byte[]> out = new ArrayList<>(names.size());
    for (String name : names) {
      out.add(name.getBytes(StandardCharsets.ISO_8859_1));
    }
    return out;
  }

  /** Passes a backend's message pushes on to the client; drops its confirmations. */
  private final class Pushes extends ChannelInboundHandlerAdapter {
    private final Backend backend;

    Pushes(Backend backend) {
      this.backend = backend;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (!closed
          && msg instanceof ArrayRedisMessage push
          && !push.children().isEmpty()
          && push.children().get(0) instanceof FullBulkStringRedisMessage kind) {
        String type = kind.content().toString(StandardCharsets.US_ASCII);
        // Only what the client is still subscribed to: a message the backend sent before it
        // read an UNSUBSCRIBE must not follow the proxy's confirmation of it.
        if ((type.equals("message") && subscribed(push, channels))
            || (type.equals("pmessage") && subscribed(push, patterns))) {
          // A push in RESP3, an array in RESP2: the same bytes the backend sent a RESP2 client.
          List<RedisMessage> parts = new ArrayList<>(push.children());
          parts.forEach(ReferenceCountUtil::retain);
          push.release();
          client.push(Replies.push(parts)); // takes ownership
          return;
        }
        if (type.equals("subscribe") || type.equals("psubscribe")) {
          Link link = links.get(backend);
          if (link != null && link.channel == ctx.channel()) {
            link.confirmed();
          }
        }
      }
      ReferenceCountUtil.release(msg);
    }

    private boolean subscribed(ArrayRedisMessage push, Set<String> names) {
      return push.children().size() >= 3
          && push.children().get(1) instanceof FullBulkStringRedisMessage name
          && names.contains(name.content().toString(StandardCharsets.ISO_8859_1));
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      // The backend went away (restarted, or left the ring): subscribe again soon if it still
      // holds keys, so that a restarted redis-server does not cut the subscriber off.
      Link link = links.get(backend);
      if (link != null && link.channel == ctx.channel()) {
        links.remove(backend);
        link.release();
        if (!closed) {
          retrySoon();
        }
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
    }
  }
}
