package io.ringlb.server;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.redis.FullBulkStringRedisMessage;
import io.netty.handler.codec.redis.IntegerRedisMessage;
import io.netty.handler.codec.redis.RedisMessage;

/**
 * One connection's replies encoded into one buffer and written as one: small replies of the common
 * shapes (status, integer, null, bulk strings up to {@value EncodedReplies#MAX_INLINED_BULK} bytes,
 * and RESP bytes passed through) are encoded straight into the batch, so a pipeline of N replies is
 * one buffer and one write; anything else goes through {@code RedisEncoder} after the batch so far,
 * in order. Event loop only.
 */
final class ReplyBatch {

  private static final int BATCH_BYTES = 8192;

  private final ChannelHandlerContext ctx;
  private ByteBuf batch; // replies encoded and not yet handed to the channel

  ReplyBatch(ChannelHandlerContext ctx) {
    this.ctx = ctx;
  }

  /**
   * Encodes {@code reply} after the replies before it; takes ownership of it, and releases it even
   * when it throws ({@link OutOfMemoryError}: no buffer for it).
   */
  void write(RedisMessage reply) {
    ByteBuf frame = EncodedReplies.constantFrame(reply);
    if (frame != null) {
      room(frame.readableBytes()).writeBytes(frame, frame.readerIndex(), frame.readableBytes());
      return;
    }
    if (reply instanceof EncodedReply encoded) {
      try {
        writeRaw(encoded.content());
      } finally { // released even when no buffer could be had for it
        encoded.release();
      }
      return;
    }
    if (reply instanceof FullBulkStringRedisMessage bulk
        && !bulk.isNull()
        && bulk.content().readableBytes() <= EncodedReplies.MAX_INLINED_BULK) {
      ByteBuf content = bulk.content();
      int length = content.readableBytes();
      try {
        EncodedReplies.writeBulk(room(length + EncodedReplies.BULK_OVERHEAD), content, length);
      } finally {
        bulk.release();
      }
      return;
    }
    if (reply instanceof IntegerRedisMessage integer) {
      EncodedReplies.writeInteger(room(EncodedReplies.INTEGER_MAX), integer.value());
      return;
    }
    writeOut();
    // Not the void promise: the transport copies a heap buffer into a direct one as it takes it,
    // and a failure there (no direct memory) is dropped silently for a void promise; here it
    // reaches ClientHandler.exceptionCaught, which closes the connection instead of leaving its
    // client waiting for a reply that will never come. The batch is direct already.
    ctx.write(reply).addListener(ChannelFutureListener.FIRE_EXCEPTION_ON_FAILURE);
  }

  /** Copies the readable bytes of a reply already in RESP form after the replies before it. */
  void writeRaw(ByteBuf resp) {
    int length = resp.readableBytes();
    room(length).writeBytes(resp, resp.readerIndex(), length);
  }

  /**
   * Encodes a bulk string of {@code length} bytes of {@code bytes} when it is short enough to go
   * into the batch; returns false, writing nothing, otherwise.
   */
  boolean writeBulk(byte[] bytes, int offset, int length) {
    if (length > EncodedReplies.MAX_INLINED_BULK) {
      return false;
    }
    EncodedReplies.writeBulk(room(length + EncodedReplies.BULK_OVERHEAD), bytes, offset, length);
    return true;
  }

  /** Hands the batch so far to the channel (not flushed). */
  void writeOut() {
    ByteBuf b = batch;
    if (b != null) {
      batch = null;
      ctx.write(b, ctx.voidPromise());
    }
  }

  /** Drops what was not handed to the channel (the connection closed). */
  void release() {
    if (batch != null) {
      batch.release();
      batch = null;
    }
  }

  /** Returns the batch buffer with room for {@code bytes} more. */
  private ByteBuf room(int bytes) {
    ByteBuf b = batch;
    if (b != null && b.writableBytes() >= bytes) {
      return b;
    }
    writeOut();
    batch = b = ctx.alloc().ioBuffer(Math.max(BATCH_BYTES, bytes));
    return b;
  }
}
