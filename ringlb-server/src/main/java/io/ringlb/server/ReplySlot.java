package io.ringlb.server;

import io.netty.buffer.ByteBuf;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.redis.RedisMessage;
import io.netty.util.ReferenceCountUtil;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;

/**
 * The reply slot of one command of a {@link ClientHandler}, in request order: completed once, from
 * any thread; the reply waits here until every earlier reply of the connection is written. Its
 * fields other than the completion flag are touched only on the connection's event loop.
 */
final class ReplySlot implements DeferredReply {

  private static final AtomicIntegerFieldUpdater<ReplySlot> COMPLETED =
      AtomicIntegerFieldUpdater.newUpdater(ReplySlot.class, "completed");

  private static final RedisMessage NO_MEMORY =
      Replies.error("ERR ringlb: no memory for this reply");

  private final ClientHandler owner;
  private final EventLoop loop;
  private volatile int completed;

  /** The reply, once it came as a message. */
  RedisMessage reply;

  /** The reply, once it came as RESP bytes that could not be written at once. */
  ByteBuf raw;

  /** The bytes of the reply, counted in the connection's memory while it waits. */
  long bytes;

  boolean done;
  private boolean discarded;
  private boolean silenced; // CLIENT REPLY: dropped once it reaches the head, never written
  private CommandStats stats; // the command's metrics, counted when answered; null: none
  private long startNanos;

  ReplySlot(ClientHandler owner, EventLoop loop) {
    this.owner = owner;
    this.loop = loop;
  }

  /** Returns a slot holding {@code reply} already, queued behind replies still outstanding. */
  static ReplySlot ready(RedisMessage reply) {
    ReplySlot slot = new ReplySlot(null, null);
    slot.completed = 1;
    slot.reply = reply;
    slot.bytes = ClientMemory.sizeOf(reply);
    slot.done = true;
    return slot;
  }

  /** Counts the command in {@code stats} once answered, timed from {@code startNanos} unless 0. */
  void record(CommandStats stats, long startNanos) {
    this.stats = stats;
    this.startNanos = startNanos;
  }

  @Override
  public void complete(RedisMessage message) {
    if (!COMPLETED.compareAndSet(this, 0, 1)) {
      ReferenceCountUtil.release(message);
      throw new IllegalStateException("reply already completed");
    }
    if (loop.inEventLoop()) {
      deliver(message);
    } else {
      loop.execute(() -> deliver(message));
    }
  }

  @Override
  public void completeRaw(ByteBuf resp) {
    if (!COMPLETED.compareAndSet(this, 0, 1)) {
      throw new IllegalStateException("reply already completed");
    }
    if (!loop.inEventLoop()) {
      ByteBuf copy = resp.copy();
      loop.execute(
          () -> {
            deliverRaw(copy);
            copy.release();
          });
      return;
    }
    deliverRaw(resp);
  }

  private void deliver(RedisMessage message) {
    if (discarded) {
      ReferenceCountUtil.release(message);
      return;
    }
    if (stats != null) {
      stats.answered(message, startNanos);
    }
    reply = message;
    bytes = ClientMemory.sizeOf(message);
    done = true;
    // Called from whatever produced the reply (a backend connection's handler): a buffer this
    // connection cannot get fails this connection, not that one.
    try {
      owner.delivered(this);
    } catch (OutOfMemoryError e) {
      owner.memory().outOfMemory(e);
    }
  }

  private void deliverRaw(ByteBuf resp) {
    if (discarded) {
      return;
    }
    if (stats != null) {
      stats.answeredRaw(resp, startNanos);
    }
    done = true;
    try {
      if (!owner.deliveredRaw(this, resp)) {
        raw = resp.copy();
      }
    } catch (OutOfMemoryError e) {
      reply = NO_MEMORY;
      owner.memory().outOfMemory(e);
    }
  }

  /** CLIENT REPLY OFF or SKIP: the reply is dropped, in its turn, instead of written. */
  void silence() {
    silenced = true;
  }

  /** Returns whether the reply is to be dropped in its turn ({@link #silence()}). */
  boolean silenced() {
    return silenced;
  }

  /** The connection closed: a reply that comes later is dropped, one held is released. */
  void discard() {
    discarded = true;
    if (reply != null) {
      ReferenceCountUtil.release(reply);
      reply = null;
    }
    if (raw != null) {
      raw.release();
      raw = null;
    }
  }
}
