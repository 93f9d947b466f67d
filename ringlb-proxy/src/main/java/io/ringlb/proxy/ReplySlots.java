package io.ringlb.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.redis.ErrorRedisMessage;
import io.netty.handler.codec.redis.RedisMessage;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayDeque;

/**
 * The replies one {@link BackendConnection} waits for: the {@link Pending}s of what it sent or
 * queued, oldest first, and the reply being assembled; each whole reply completes the head and is
 * counted (and an error reply again).
 *
 * <p>Values come from netty-codec-redis's {@code RedisDecoder}, assembled by a {@link
 * ReplyAssembler}, or whole from a {@link Resp3FrameDecoder} on a RESP3 connection.
 */
final class ReplySlots {

  private final Runnable onReply;
  private final Runnable onErrorReply;

  /** Requests sent or queued, oldest first; each reply completes the head. */
  private final ArrayDeque<Pending> waiting = new ArrayDeque<>();

  private final ReplyAssembler assembler = new ReplyAssembler(Unpooled.buffer(256));

  /** Reply slots that run {@code onReply} for each reply, and {@code onErrorReply} for an error. */
  ReplySlots(Runnable onReply, Runnable onErrorReply) {
    this.onReply = onReply;
    this.onErrorReply = onErrorReply;
  }

  void add(Pending p) {
    waiting.add(p);
  }

  void addFirst(Pending p) {
    waiting.addFirst(p);
  }

  Pending peek() {
    return waiting.peek();
  }

  Pending poll() {
    return waiting.poll();
  }

  boolean isEmpty() {
    return waiting.isEmpty();
  }

  int size() {
    return waiting.size();
  }

  /** Forgets the reply being assembled: the channel it came on is gone. */
  void resetAssembler() {
    assembler.reset();
  }

  /** Fails every request waiting with {@code error}, oldest first. */
  void failAll(String error) {
    Pending p;
    while ((p = waiting.poll()) != null) {
      p.fail(error);
    }
  }

  /**
   * Feeds a value of {@code RedisDecoder}'s (released here), completing the head once its reply is
   * whole; returns false when no request waits for a reply.
   */
  boolean read(Object msg) {
    Pending p = waiting.peek();
    if (p == null) {
      ReferenceCountUtil.release(msg);
      return false;
    }
    boolean done;
    try {
      done = assembler.feed(msg, p.raw());
    } finally {
      ReferenceCountUtil.release(msg);
    }
    if (!done) {
      return true;
    }
    waiting.poll();
    onReply.run();
    if (p.raw()) {
      ByteBuf reply = assembler.bytes();
      if (reply.getByte(reply.readerIndex()) == '-') {
        onErrorReply.run();
      }
      p.completeRaw(reply);
    } else {
      RedisMessage reply = assembler.message();
      if (reply instanceof ErrorRedisMessage) {
        onErrorReply.run();
      }
      p.complete(reply);
    }
    return true;
  }

  /**
   * Completes the head with a whole RESP3 reply from {@link Resp3FrameDecoder} (released here);
   * returns false when no request waits for a reply.
   */
  boolean frame(ByteBuf frame) {
    try {
      byte type = frame.getByte(frame.readerIndex());
      if (type == '>') {
        return true; // out of band (client tracking), not the reply of a request
      }
      Pending p = waiting.peek();
      if (p == null) {
        return false;
      }
      waiting.poll();
      onReply.run();
      if (type == '-' || type == '!') {
        onErrorReply.run();
      }
      if (p.raw()) {
        p.completeRaw(frame);
      } else {
        p.complete(Resp3Reader.read(frame));
      }
      return true;
    } finally {
      frame.release();
    }
  }
}
