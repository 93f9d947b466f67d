package io.ringlb.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.redis.ArrayRedisMessage;
import io.netty.handler.codec.redis.RedisMessage;
import io.ringlb.server.CommandException;
import io.ringlb.server.CommandHandler;
import io.ringlb.server.ConnectionState;
import io.ringlb.server.DeferredReply;
import io.ringlb.server.Replies;
import io.ringlb.server.Request;
import io.ringlb.server.Session;
import java.util.ArrayList;
import java.util.List;

/**
 * The reply to EXEC of a transaction that queued commands the proxy runs itself (CONFIG SET, which
 * the front end and {@link BackendConfig} answer): once the backend's EXEC answered with the
 * replies of the other commands, each runs in turn, as it would outside MULTI, and its reply takes
 * its place in EXEC's array. Nothing runs when the transaction did not (EXECABORT, or nil after
 * WATCH). Event-loop confined.
 */
final class TransactionLocals extends Pending {

  /** A command run by the proxy, at {@code index} among the transaction's commands. */
  record Command(int index, CommandHandler handler, Request request) {}

  private final Session client;
  private final Pending reply;
  private final List<Command> commands;
  private List<RedisMessage> children;
  private int next;

  TransactionLocals(Session client, Pending reply, List<Command> commands) {
    this.client = client;
    this.reply = reply;
    this.commands = commands;
  }

  @Override
  void complete(RedisMessage exec) {
    if (!(exec instanceof ArrayRedisMessage array) || array.isNull()) {
      reply.complete(exec);
      return;
    }
    // The new array owns the children; the backend's one is dropped without releasing them.
    children = new ArrayList<>(array.children());
    runNext();
  }

  @Override
  void fail(String error) {
    reply.fail(error);
  }

  /** Runs the next command, or answers EXEC once all ran. */
  private void runNext() {
    while (next < commands.size()) {
      Command c = commands.get(next++);
      Slot slot = new Slot();
      RedisMessage out;
      try {
        out = c.handler().execute(new Running(slot), c.request());
      } catch (CommandException e) {
        out = Replies.error(e.getMessage());
      }
      if (out == CommandHandler.DEFERRED) {
        slot.then(c.index());
        return; // runs on once the slot completes
      }
      if (out == CommandHandler.HELD) {
        out = Replies.error("ERR ringlb: the command cannot run inside a transaction");
      }
      place(c.index(), out);
    }
    reply.complete(new ArrayRedisMessage(children));
  }

  private void place(int index, RedisMessage message) {
    children.add(Math.min(index, children.size()), message);
  }

  /** The reply slot of one command the proxy runs: completes it in EXEC's array. */
  private final class Slot implements DeferredReply {
    private RedisMessage early;
    private int index = -1;
    private boolean done;

    /** The command deferred its reply: it goes at {@code at} once it comes. */
    void then(int at) {
      index = at;
      if (early != null) {
        RedisMessage m = early;
        early = null;
        land(m);
      }
    }

    @Override
    public void complete(RedisMessage message) {
      if (done) {
        throw new IllegalStateException("reply already completed");
      }
      done = true;
      if (!client.eventLoop().inEventLoop()) {
        client.eventLoop().execute(() -> arrive(message));
      } else {
        arrive(message);
      }
    }

    private void arrive(RedisMessage message) {
      if (index < 0) {
        early = message; // completed before the handler returned DEFERRED
      } else {
        land(message);
      }
    }

    private void land(RedisMessage message) {
      place(index, message);
      runNext();
    }

    @Override
    public void completeRaw(ByteBuf resp) {
      complete(Replies.error("ERR ringlb: the command cannot run inside a transaction"));
    }
  }

  /** The client's session as a command run at EXEC sees it: its reply goes to {@link Slot}. */
  private final class Running implements Session {
    private final Slot slot;

    Running(Slot slot) {
      this.slot = slot;
    }

    @Override
    public long id() {
      return client.id();
    }

    @Override
    public String name() {
      return client.name();
    }

    @Override
    public int protocol() {
      return client.protocol();
    }

    @Override
    public ByteBufAllocator alloc() {
      return client.alloc();
    }

    @Override
    public EventLoop eventLoop() {
      return client.eventLoop();
    }

    @Override
    public ConnectionState state() {
      return client.state();
    }

    @Override
    public RedisMessage bulk(byte[] bytes, int offset, int length) {
      return Replies.bulk(client.alloc(), bytes, offset, length);
    }

    @Override
    public DeferredReply defer() {
      return slot;
    }

    @Override
    public void push(RedisMessage message) {
      client.push(message);
    }

    @Override
    public void resume() {
      client.resume();
    }

    @Override
    public void closeAfterReply() {
      client.closeAfterReply();
    }
  }
}
