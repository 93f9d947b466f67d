package io.ringlb.server;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.redis.ArrayRedisMessage;
import io.netty.handler.codec.redis.ErrorRedisMessage;
import io.netty.handler.codec.redis.FullBulkStringRedisMessage;
import io.netty.handler.codec.redis.IntegerRedisMessage;
import io.netty.handler.codec.redis.RedisMessage;
import io.netty.handler.codec.redis.SimpleStringRedisMessage;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;

/**
 * One connection's replies encoded into one buffer and written as one: small replies of the common
 * shapes (status, integer, null, bulk strings up to {@value EncodedReplies#MAX_INLINED_BULK} bytes,
 * and RESP bytes passed through) are encoded straight into the batch, so a pipeline of N replies is
 * one buffer and one write; anything else goes through {@code RedisEncoder} after the batch so far,
 * in order. Event loop only.
 *
 * <p>The protocol is the connection's: in RESP2 the RESP3 types ({@link MapRedisMessage}, {@link
 * DoubleRedisMessage}...) are written as Redis writes them in RESP2 (a flat array, a bulk string);
 * in RESP3 ({@link #resp3(boolean)}) every reply is encoded here, nulls as {@code _}.
 */
final class ReplyBatch {

  private static final int BATCH_BYTES = 8192;

  private final ChannelHandlerContext ctx;
  private ByteBuf batch; // replies encoded and not yet handed to the channel
  private boolean resp3;

  ReplyBatch(ChannelHandlerContext ctx) {
    this.ctx = ctx;
  }

  /** Encodes the replies written from now on in RESP3 when {@code on}, else in RESP2. */
  void resp3(boolean on) {
    resp3 = on;
  }

  /**
   * Encodes {@code reply} after the replies before it; takes ownership of it, and releases it even
   * when it throws ({@link OutOfMemoryError}: no buffer for it).
   */
  void write(RedisMessage reply) {
    if (resp3) {
      writeTree(reply, true);
      return;
    }
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
    if (reply instanceof MapRedisMessage
        || reply instanceof SetRedisMessage
        || reply instanceof PushRedisMessage
        || reply instanceof BooleanRedisMessage) {
      writeTree(reply, false); // a boolean may be among their elements
      return;
    }
    writeOut();
    // Not the void promise: the transport copies a heap buffer into a direct one as it takes it,
    // and a failure there (no direct memory) is dropped silently for a void promise; here it
    // reaches ClientHandler.exceptionCaught, which closes the connection instead of leaving its
    // client waiting for a reply that will never come. The batch is direct already.
    ctx.write(reply).addListener(ChannelFutureListener.FIRE_EXCEPTION_ON_FAILURE);
  }

  /** Encodes {@code reply} and everything in it in RESP3, or in RESP2; takes it, releases it. */
  private void writeTree(RedisMessage reply, boolean r3) {
    try {
      encode(reply, r3);
    } finally {
      ReferenceCountUtil.release(reply);
    }
  }

  private void encode(RedisMessage m, boolean r3) {
    if (m instanceof FullBulkStringRedisMessage bulk) {
      if (bulk.isNull()) {
        room(5).writeBytes(r3 ? EncodedReplies.NULL3 : EncodedReplies.NULL_BULK);
        return;
      }
      ByteBuf content = bulk.content();
      int length = content.readableBytes();
      if (r3 && m instanceof DoubleRedisMessage) {
        line(',', content);
      } else if (r3 && m instanceof BigNumberRedisMessage) {
        line('(', content);
      } else if (r3 && m instanceof VerbatimRedisMessage verbatim) {
        header('=', length + 4L);
        ByteBuf b = room(4);
        b.writeCharSequence(verbatim.format(), StandardCharsets.US_ASCII);
        b.writeByte(':');
        content(content, length);
      } else {
        header('$', length);
        content(content, length);
      }
    } else if (m instanceof IntegerRedisMessage integer) {
      EncodedReplies.writeInteger(room(EncodedReplies.INTEGER_MAX), integer.value());
    } else if (m instanceof ArrayRedisMessage array) {
      if (array.isNull()) {
        room(5).writeBytes(r3 ? EncodedReplies.NULL3 : EncodedReplies.NULL_ARRAY);
        return;
      }
      int n = array.children().size();
      if (!r3) {
        header('*', n);
      } else if (m instanceof MapRedisMessage) {
        header('%', n / 2);
      } else if (m instanceof SetRedisMessage) {
        header('~', n);
      } else if (m instanceof PushRedisMessage) {
        header('>', n);
      } else {
        header('*', n);
      }
      for (RedisMessage child : array.children()) {
        encode(child, r3);
      }
    } else if (m instanceof SimpleStringRedisMessage simple) {
      text('+', simple.content());
    } else if (m instanceof ErrorRedisMessage error) {
      text('-', error.content());
    } else if (m instanceof BooleanRedisMessage b) {
      room(4)
          .writeByte(r3 ? '#' : ':')
          .writeByte(r3 ? (b.value() ? 't' : 'f') : (b.value() ? '1' : '0'));
      room(2).writeShort(('\r' << 8) | '\n');
    } else if (m instanceof EncodedReply encoded) {
      writeRaw(encoded.content());
    } else {
      throw new IllegalArgumentException("no RESP encoding for " + m.getClass().getSimpleName());
    }
  }

  private void header(char type, long n) {
    EncodedReplies.writeHeader(room(EncodedReplies.INTEGER_MAX), type, n);
  }

  /** Writes {@code type}, the content, CRLF (a double or a big number). */
  private void line(char type, ByteBuf content) {
    int length = content.readableBytes();
    ByteBuf b = room(length + 3);
    b.writeByte(type).writeBytes(content, content.readerIndex(), length);
    b.writeShort(('\r' << 8) | '\n');
  }

  private void text(char type, String text) {
    ByteBuf b = room(ByteBufUtil.utf8MaxBytes(text) + 3);
    b.writeByte(type);
    ByteBufUtil.writeUtf8(b, text);
    b.writeShort(('\r' << 8) | '\n');
  }

  /** Writes a bulk string's content and CRLF: copied when short, else handed on as it is. */
  private void content(ByteBuf content, int length) {
    if (length <= EncodedReplies.MAX_INLINED_BULK) {
      room(length + 2).writeBytes(content, content.readerIndex(), length);
    } else {
      writeOut();
      ctx.write(content.retainedSlice())
          .addListener(ChannelFutureListener.FIRE_EXCEPTION_ON_FAILURE);
    }
    room(2).writeShort(('\r' << 8) | '\n');
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
