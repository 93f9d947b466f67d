package io.ringlb.server.proxy;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.handler.codec.redis.ArrayRedisMessage;
import io.netty.handler.codec.redis.FullBulkStringRedisMessage;
import io.netty.handler.codec.redis.IntegerRedisMessage;
import io.netty.handler.codec.redis.RedisArrayAggregator;
import io.netty.handler.codec.redis.RedisBulkStringAggregator;
import io.netty.handler.codec.redis.RedisDecoder;
import io.netty.handler.codec.redis.RedisMessage;
import io.netty.util.ReferenceCountUtil;
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
 * receives it once, wherever PUBLISH sent it and whatever ring changes happen in between; a
 * backend joining the ring gets the subscriptions when a worker adopts the topology naming it.
 * The proxy answers subscribe and unsubscribe itself (the counts are the client's, across
 * backends) and passes on {@code message} and {@code pmessage} pushes. Event-loop confined.
 */
final class PubSub {

  private final ProxyHandler client;
  private final Proxy proxy;
  private final Worker worker;
  /** Channel and pattern names, kept as ISO-8859-1 strings: one char per byte, exact. */
  private final Set<String> channels = new LinkedHashSet<>();
  private final Set<String> patterns = new LinkedHashSet<>();
  private final Map<Backend, Channel> connections = new HashMap<>();
  private boolean closed;

  PubSub(ProxyHandler client, Proxy proxy, Worker worker) {
    this.client = client;
    this.proxy = proxy;
    this.worker = worker;
  }

  /** Returns the number of channels and patterns subscribed, as Redis counts them. */
  int count() {
    return channels.size() + patterns.size();
  }

  /**
   * SUBSCRIBE or PSUBSCRIBE ({@code pattern}) of {@code names}: subscribes every connection to
   * the new ones, and returns the confirmations, one per name given.
   */
  List<RedisMessage> subscribe(boolean pattern, List<byte[]> names, Topology t) {
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
    if (!added.isEmpty()) {
      sendAll(pattern ? "PSUBSCRIBE" : "SUBSCRIBE", added);
    }
    return confirmations;
  }

  /**
   * UNSUBSCRIBE or PUNSUBSCRIBE of {@code names}, or of everything when none are given; returns
   * the confirmations, as Redis gives them.
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
      sendAll(pattern ? "PUNSUBSCRIBE" : "UNSUBSCRIBE", removed);
    }
    return confirmations;
  }

  /** Opens a subscribed connection to every backend of {@code t} holding keys that has none. */
  void ensure(Topology t) {
    if (closed) {
      return;
    }
    for (Backend b : t.backends()) {
      boolean holdsKeys = !b.ejected && (t.placement.contains(b.id)
          || (t.previous != null && t.previous.contains(b.id)));
      if (holdsKeys && !connections.containsKey(b)) {
        connect(b);
      }
    }
  }

  /** Closes every subscribed connection. */
  void close() {
    closed = true;
    for (Channel ch : connections.values()) {
      ch.close();
    }
    connections.clear();
  }

  private static String key(byte[] name) {
    return new String(name, StandardCharsets.ISO_8859_1);
  }

  private RedisMessage confirmation(String kind, byte[] name) {
    List<RedisMessage> parts = new ArrayList<>(3);
    parts.add(Replies.bulk(kind));
    parts.add(name == null ? FullBulkStringRedisMessage.NULL_INSTANCE : Replies.bulk(name));
    parts.add(new IntegerRedisMessage(count()));
    return new ArrayRedisMessage(parts);
  }

  private void sendAll(String command, List<byte[]> names) {
    for (Channel ch : connections.values()) {
      if (ch.isActive()) {
        ch.writeAndFlush(encode(command, names), ch.voidPromise());
      }
    }
  }

  private static ByteBuf encode(String command, List<byte[]> names) {
    ByteBuf out = Unpooled.buffer(32 + names.size() * 16);
    Resp.writeHeader(out, '*', names.size() + 1);
    Resp.writeBulk(out, command.getBytes(StandardCharsets.US_ASCII));
    for (byte[] name : names) {
      Resp.writeBulk(out, name);
    }
    return out;
  }

  private void connect(Backend b) {
    ChannelFuture future = new Bootstrap()
        .group(worker.loop)
        .channel(proxy.transport().socketChannel())
        .option(ChannelOption.TCP_NODELAY, true)
        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS,
            (int) Math.min(Integer.MAX_VALUE, proxy.config().connectTimeout().toMillis()))
        .handler(new ChannelInitializer<Channel>() {
          @Override
          protected void initChannel(Channel ch) {
            ch.pipeline().addLast(new RedisDecoder(), new RedisBulkStringAggregator(),
                new RedisArrayAggregator(), new Pushes(b));
          }
        })
        .connect(b.spec.host(), b.spec.port());
    connections.put(b, future.channel());
    future.addListener(f -> {
      Channel ch = future.channel();
      if (!f.isSuccess() || closed || connections.get(b) != ch) {
        ch.close();
        return;
      }
      // Everything subscribed so far: later changes are sent as they come.
      String password = proxy.config().backendPassword();
      if (password != null) {
        ch.write(encode("AUTH", List.of(password.getBytes(StandardCharsets.UTF_8))),
            ch.voidPromise());
      }
      if (!channels.isEmpty()) {
        ch.write(encode("SUBSCRIBE", bytes(channels)), ch.voidPromise());
      }
      if (!patterns.isEmpty()) {
        ch.write(encode("PSUBSCRIBE", bytes(patterns)), ch.voidPromise());
      }
      ch.flush();
    });
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
      if (!closed && msg instanceof ArrayRedisMessage push && !push.children().isEmpty()
          && push.children().get(0) instanceof FullBulkStringRedisMessage kind) {
        String type = kind.content().toString(StandardCharsets.US_ASCII);
        // Only what the client is still subscribed to: a message the backend sent before it
        // read an UNSUBSCRIBE must not follow the proxy's confirmation of it.
        if ((type.equals("message") && subscribed(push, channels))
            || (type.equals("pmessage") && subscribed(push, patterns))) {
          client.push(push); // takes ownership
          return;
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
      // The backend went away (or left the ring): the next subscription change or topology
      // reconnects to it if it still holds keys.
      if (connections.get(backend) == ctx.channel()) {
        connections.remove(backend);
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
    }
  }
}
