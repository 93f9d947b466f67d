package io.ringlb.server;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.redis.RedisMessage;
import io.netty.util.ReferenceCountUtil;
import java.util.Objects;

/**
 * The session a command queued by MULTI runs with at EXEC, on the connection's event loop: its
 * reply becomes one element of EXEC's array, so {@link #bulk} always returns a message (never
 * writes to the connection), and a reply deferred with {@link #defer} must be completed with a
 * message before the handler returns; everything else is the connection's own session.
 */
public final class ExecSession implements Session {

  private final Session connection;
  private RedisMessage deferred;
  private boolean deferredTaken;
  private boolean running;

  /** Returns a session for running queued commands of {@code connection}. */
  public ExecSession(Session connection) {
    this.connection = Objects.requireNonNull(connection, "connection");
  }

  /** Returns the connection this session stands for. */
  public Session connection() {
    return connection;
  }

  /**
   * Runs {@code handler} on {@code request} as a queued command and returns its reply as a message:
   * an error reply for a {@link CommandException}, or for a reply deferred and not completed with a
   * message before the handler returned.
   */
  public RedisMessage run(CommandSpec spec, CommandHandler handler, Request request) {
    deferred = null;
    deferredTaken = false;
    RedisMessage reply;
    running = true;
    try {
      reply = handler.execute(this, request);
    } catch (CommandException e) {
      return Replies.error(e.getMessage());
    } finally {
      running = false;
    }
    if (reply == CommandHandler.DEFERRED) {
      RedisMessage out = deferred;
      deferred = null;
      return out != null
          ? out
          : Replies.error("ERR ringlb: '" + spec.name() + "' cannot run inside a transaction");
    }
    if (reply == CommandHandler.HELD) {
      return Replies.error("ERR ringlb: '" + spec.name() + "' cannot run inside a transaction");
    }
    return reply;
  }

  @Override
  public int protocol() {
    return connection.protocol();
  }

  @Override
  public long id() {
    return connection.id();
  }

  @Override
  public String name() {
    return connection.name();
  }

  @Override
  public ByteBufAllocator alloc() {
    return connection.alloc();
  }

  @Override
  public EventLoop eventLoop() {
    return connection.eventLoop();
  }

  @Override
  public ConnectionState state() {
    return connection.state();
  }

  @Override
  public RedisMessage bulk(byte[] bytes, int offset, int length) {
    return Replies.bulk(connection.alloc(), bytes, offset, length);
  }

  @Override
  public DeferredReply defer() {
    if (deferredTaken) {
      throw new IllegalStateException("defer() called twice for one command");
    }
    deferredTaken = true;
    return new DeferredReply() {
      private boolean done;

      @Override
      public void complete(RedisMessage reply) {
        check();
        if (running && connection.eventLoop().inEventLoop()) {
          deferred = reply;
        } else {
          ReferenceCountUtil.release(reply); // too late for the transaction's reply
        }
      }

      @Override
      public void completeRaw(ByteBuf resp) {
        check();
        // Raw RESP cannot be one element of EXEC's array here: the caller's run() answers an error.
      }

      private void check() {
        if (done) {
          throw new IllegalStateException("reply already completed");
        }
        done = true;
      }
    };
  }

  @Override
  public void push(RedisMessage message) {
    connection.push(message);
  }

  @Override
  public void resume() {
    connection.resume();
  }

  @Override
  public void closeAfterReply() {
    connection.closeAfterReply();
  }
}
