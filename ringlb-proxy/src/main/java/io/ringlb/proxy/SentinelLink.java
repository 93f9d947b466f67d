package io.ringlb.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.redis.RedisArrayAggregator;
import io.netty.handler.codec.redis.RedisBulkStringAggregator;
import io.netty.handler.codec.redis.RedisDecoder;
import io.netty.handler.codec.redis.RedisMessage;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;

/**
 * The proxy's two connections to one Redis Sentinel, on one event loop: one for commands (SENTINEL
 * MASTER, SENTINEL REPLICAS), answered in order, and one subscribed to the events that announce a
 * failover or a replica's change ({@link #EVENTS}).
 */
final class SentinelLink {

  /** The Sentinel channels the proxy follows. */
  static final String[] EVENTS = {
    "+switch-master", "+sdown", "-sdown", "+odown", "-odown", "+slave", "+failover-end"
  };

  private final BackendSpec address;
  private final Upstream upstream;
  private final EventLoop loop;
  private final long timeoutMillis;
  private final BiConsumer<String, String> events;

  // ---- touched on the loop only
  private Channel commands;
  private boolean connecting;
  private final ArrayDeque<CompletableFuture<Object>> waiting = new ArrayDeque<>();
  private final List<ByteBuf> unsent = new ArrayList<>();
  private Channel subscription;
  private boolean subscribing;
  private boolean closed;

  private volatile boolean subscribed;

  /**
   * A link to the sentinel at {@code address}, on {@code loop}, telling {@code events} of each
   * event as (channel, payload).
   */
  SentinelLink(
      BackendSpec address, Upstream upstream, EventLoop loop, BiConsumer<String, String> events) {
    this.address = address;
    this.upstream = upstream;
    this.loop = loop;
    this.timeoutMillis = upstream.requestTimeoutMillis();
    this.events = events;
  }

  /** {@code host:port}. */
  String address() {
    return address.address();
  }

  /** Returns whether the event subscription is up. */
  boolean subscribed() {
    return subscribed;
  }

  /**
   * Sends a command of {@code String} and {@code byte[]} arguments; the reply comes as plain values
   * ({@link Values#toValue}), a failure or silence past the request timeout as an exception.
   */
  CompletableFuture<Object> call(Object... args) {
    CompletableFuture<Object> future = new CompletableFuture<>();
    loop.execute(() -> send(args, future));
    return future;
  }

  private void send(Object[] args, CompletableFuture<Object> future) {
    if (closed) {
      future.completeExceptionally(new Values.BackendException("sentinel link closed"));
      return;
    }
    ByteBuf command = Resp.command(args);
    waiting.add(future);
    loop.schedule(
        () -> {
          if (!future.isDone()) {
            reset("sentinel " + address() + " did not answer within " + timeoutMillis + " ms");
          }
        },
        timeoutMillis,
        TimeUnit.MILLISECONDS);
    if (commands != null) {
      commands.writeAndFlush(command, commands.voidPromise());
      return;
    }
    unsent.add(command);
    if (!connecting) {
      connecting = true;
      ChannelFuture f =
          upstream.connectSentinel(loop, address, ch -> pipeline(ch).addLast(new Handler(false)));
      f.addListener(
          done -> {
            connecting = false;
            if (!done.isSuccess() || closed) {
              f.channel().close();
              reset(
                  "sentinel "
                      + address()
                      + " is unreachable: "
                      + (done.cause() == null ? "closed" : done.cause().getMessage()));
              return;
            }
            commands = f.channel();
            for (ByteBuf b : unsent) {
              commands.write(b, commands.voidPromise());
            }
            unsent.clear();
            commands.flush();
          });
    }
  }

  /** Fails every command waiting with {@code error} and closes the command connection. */
  private void reset(String error) {
    Channel ch = commands;
    commands = null;
    if (ch != null) {
      ch.close();
    }
    for (ByteBuf b : unsent) {
      b.release();
    }
    unsent.clear();
    CompletableFuture<Object> f;
    while ((f = waiting.poll()) != null) {
      f.completeExceptionally(new Values.BackendException(error));
    }
  }

  /** Subscribes to the events when the subscription is down; any thread. */
  void ensureSubscribed() {
    loop.execute(
        () -> {
          if (closed || subscription != null || subscribing) {
            return;
          }
          subscribing = true;
          ChannelFuture f =
              upstream.connectSentinel(
                  loop, address, ch -> pipeline(ch).addLast(new Handler(true)));
          f.addListener(
              done -> {
                subscribing = false;
                if (!done.isSuccess() || closed) {
                  f.channel().close();
                  return;
                }
                subscription = f.channel();
                Object[] args = new Object[EVENTS.length + 1];
                args[0] = "SUBSCRIBE";
                System.arraycopy(EVENTS, 0, args, 1, EVENTS.length);
                subscription.writeAndFlush(Resp.command(args), subscription.voidPromise());
              });
        });
  }

  /** Closes both connections. */
  void close() {
    loop.execute(
        () -> {
          closed = true;
          reset("sentinel link closed");
          if (subscription != null) {
            subscription.close();
            subscription = null;
          }
          subscribed = false;
        });
  }

  private static io.netty.channel.ChannelPipeline pipeline(Channel ch) {
    return ch.pipeline()
        .addLast(new RedisDecoder(), new RedisBulkStringAggregator(), new RedisArrayAggregator());
  }

  private static String text(Object value) {
    return value instanceof byte[] b
        ? new String(b, StandardCharsets.UTF_8)
        : String.valueOf(value);
  }

  /** Replies of the command connection, or the pushes of the subscription. */
  private final class Handler extends ChannelInboundHandlerAdapter {
    private final boolean pushes;

    Handler(boolean pushes) {
      this.pushes = pushes;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      Object value;
      try {
        value = msg instanceof RedisMessage m ? Values.toValue(m) : null;
      } finally {
        ReferenceCountUtil.release(msg);
      }
      if (!pushes) {
        if (ctx.channel() != commands) {
          return;
        }
        CompletableFuture<Object> f = waiting.poll();
        if (f != null) {
          f.complete(value);
        }
        return;
      }
      if (value instanceof List<?> push && push.size() == 3) {
        String kind = text(push.get(0));
        if (kind.equals("subscribe")) {
          subscribed = true;
        } else if (kind.equals("message")) {
          events.accept(text(push.get(1)), text(push.get(2)));
        }
      }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      if (pushes) {
        if (ctx.channel() == subscription) {
          subscription = null;
          subscribed = false;
        }
      } else if (ctx.channel() == commands) {
        reset("connection to sentinel " + address() + " lost");
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
    }
  }
}
