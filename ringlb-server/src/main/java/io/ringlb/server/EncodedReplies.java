package io.ringlb.server;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.redis.RedisMessage;
import java.nio.charset.StandardCharsets;

/**
 * The RESP frames of the constant replies, and the encoding of integers and short bulk strings
 * straight into a connection's batch buffer: the same bytes {@code RedisEncoder} writes, in one
 * buffer instead of up to three per reply.
 */
final class EncodedReplies {

  /** Longest bulk string encoded into the batch; longer ones go through RedisEncoder as is. */
  static final int MAX_INLINED_BULK = 16 * 1024;

  /** Bytes around a bulk string's content: {@code $}, up to 19 digits, two CRLFs. */
  static final int BULK_OVERHEAD = 1 + 19 + 4;

  /** Longest integer frame: {@code :}, sign, 19 digits, CRLF. */
  static final int INTEGER_MAX = 1 + 20 + 2;

  /** RESP2's null bulk string. */
  static final byte[] NULL_BULK = {'$', '-', '1', '\r', '\n'};

  /** RESP2's null array. */
  static final byte[] NULL_ARRAY = {'*', '-', '1', '\r', '\n'};

  /** RESP3's null. */
  static final byte[] NULL3 = {'_', '\r', '\n'};

  private static final ByteBuf OK = frame("+OK\r\n");
  private static final ByteBuf PONG = frame("+PONG\r\n");
  private static final ByteBuf NULL = frame("$-1\r\n");
  private static final ByteBuf EMPTY_ARRAY = frame("*0\r\n");

  private EncodedReplies() {}

  private static ByteBuf frame(String text) {
    return Unpooled.unreleasableBuffer(
            Unpooled.directBuffer().writeBytes(text.getBytes(StandardCharsets.US_ASCII)))
        .asReadOnly();
  }

  /** Returns the frame of a constant reply of {@link Replies}, or null. */
  static ByteBuf constantFrame(RedisMessage reply) {
    if (reply == Replies.OK) {
      return OK;
    }
    if (reply == Replies.NULL) {
      return NULL;
    }
    if (reply == Replies.PONG) {
      return PONG;
    }
    if (reply == Replies.EMPTY_ARRAY) {
      return EMPTY_ARRAY;
    }
    return null;
  }

  /** Writes {@code $length\r\n<content>\r\n}. */
  static void writeBulk(ByteBuf out, ByteBuf content, int length) {
    out.writeByte('$');
    writeDigits(out, length);
    out.writeShort(('\r' << 8) | '\n');
    out.writeBytes(content, content.readerIndex(), length);
    out.writeShort(('\r' << 8) | '\n');
  }

  /** Writes {@code $length\r\n<bytes>\r\n}. */
  static void writeBulk(ByteBuf out, byte[] bytes, int offset, int length) {
    out.writeByte('$');
    writeDigits(out, length);
    out.writeShort(('\r' << 8) | '\n');
    out.writeBytes(bytes, offset, length);
    out.writeShort(('\r' << 8) | '\n');
  }

  /** Writes {@code :value\r\n}. */
  static void writeInteger(ByteBuf out, long value) {
    out.writeByte(':');
    if (value < 0) {
      out.writeByte('-');
      if (value == Long.MIN_VALUE) {
        out.writeBytes("9223372036854775808".getBytes(StandardCharsets.US_ASCII));
        out.writeShort(('\r' << 8) | '\n');
        return;
      }
      value = -value;
    }
    writeDigits(out, value);
    out.writeShort(('\r' << 8) | '\n');
  }

  /** Writes {@code type}, the count {@code n} (not negative) and CRLF: an aggregate's header. */
  static void writeHeader(ByteBuf out, char type, long n) {
    out.writeByte(type);
    writeDigits(out, n);
    out.writeShort(('\r' << 8) | '\n');
  }

  private static void writeDigits(ByteBuf out, long value) {
    if (value < 10) {
      out.writeByte('0' + (int) value);
      return;
    }
    int digits = 1;
    for (long v = value / 10; v > 0; v /= 10) {
      digits++;
    }
    int end = out.writerIndex() + digits;
    out.ensureWritable(digits);
    for (int i = end - 1; i >= end - digits; i--) {
      out.setByte(i, (int) ('0' + value % 10));
      value /= 10;
    }
    out.writerIndex(end);
  }
}
