package io.ringlb.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.redis.ArrayRedisMessage;
import io.netty.handler.codec.redis.ErrorRedisMessage;
import io.netty.handler.codec.redis.FullBulkStringRedisMessage;
import io.netty.handler.codec.redis.IntegerRedisMessage;
import io.netty.handler.codec.redis.RedisMessage;
import io.netty.handler.codec.redis.SimpleStringRedisMessage;
import io.ringlb.server.PushRedisMessage;
import java.nio.charset.StandardCharsets;

/**
 * Writes RESP2 into a buffer, and is the proxy's one command encoder: the hot path appends
 * forwarded commands and replies to one buffer per connection and writes it once per event-loop
 * turn, instead of one encoded message (and one outbound entry per part) at a time; the proxy's own
 * commands (AUTH, SUBSCRIBE, MIGRATE, SCAN...) go through {@link #writeCommand(ByteBuf,
 * Object...)}. Decoding stays with netty-codec-redis's {@code RedisDecoder}.
 */
final class Resp {

  private static final byte[] CRLF = {'\r', '\n'};
  private static final byte[] NULL_BULK = "$-1\r\n".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] NULL3 = "_\r\n".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] NULL_ARRAY = "*-1\r\n".getBytes(StandardCharsets.US_ASCII);

  private Resp() {}

  /** Writes a command of {@code argc} arguments as an array of bulk strings. */
  static void writeCommand(ByteBuf out, ByteBuf[] args, int argc) {
    writeHeader(out, '*', argc);
    for (int i = 0; i < argc; i++) {
      writeBulk(out, args[i]);
    }
  }

  /** Writes the arguments of a client's request as an array of bulk strings. */
  static void writeCommand(ByteBuf out, io.ringlb.server.Request r) {
    int argc = r.argc();
    writeHeader(out, '*', argc);
    for (int i = 0; i < argc; i++) {
      writeBulk(out, r.arg(i));
    }
  }

  /**
   * Writes a command whose arguments are each a {@code String} (sent as UTF-8) or a {@code byte[]}
   * (sent as it is).
   */
  static void writeCommand(ByteBuf out, Object... args) {
    writeHeader(out, '*', args.length);
    for (Object arg : args) {
      if (arg instanceof byte[] bytes) {
        writeBulk(out, bytes);
      } else if (arg instanceof String text) {
        writeBulk(out, text.getBytes(StandardCharsets.UTF_8));
      } else {
        throw new IllegalArgumentException(
            "command argument must be a String or a byte[]: "
                + (arg == null ? "null" : arg.getClass().getSimpleName()));
      }
    }
  }

  /** Returns the encoding of a command of {@code String} and {@code byte[]} args, in a buffer. */
  static ByteBuf command(Object... args) {
    ByteBuf out = Unpooled.buffer(16 + args.length * 16);
    writeCommand(out, args);
    return out;
  }

  static void writeBulk(ByteBuf out, ByteBuf content) {
    int len = content.readableBytes();
    writeHeader(out, '$', len);
    out.writeBytes(content, content.readerIndex(), len);
    out.writeBytes(CRLF);
  }

  static void writeBulk(ByteBuf out, byte[] content) {
    writeHeader(out, '$', content.length);
    out.writeBytes(content);
    out.writeBytes(CRLF);
  }

  /** Writes {@code type}, the decimal {@code n} and CRLF. */
  static void writeHeader(ByteBuf out, char type, long n) {
    out.writeByte(type);
    writeDecimal(out, n);
    out.writeBytes(CRLF);
  }

  static void writeSimple(ByteBuf out, char type, String text) {
    out.writeByte(type);
    ByteBufUtil.writeUtf8(out, text);
    out.writeBytes(CRLF);
  }

  static void writeNullBulk(ByteBuf out) {
    out.writeBytes(NULL_BULK);
  }

  /** Writes any decoded message, arrays recursively, in RESP2. */
  static void write(ByteBuf out, RedisMessage message) {
    write(out, message, false);
  }

  /**
   * Writes a decoded message of RESP2's types, arrays recursively, in RESP3 when {@code resp3} (a
   * null as {@code _}, a {@link PushRedisMessage} as {@code >}), else in RESP2.
   */
  static void write(ByteBuf out, RedisMessage message, boolean resp3) {
    if (resp3 && message instanceof ArrayRedisMessage a && !a.isNull()) {
      writeHeader(out, a instanceof PushRedisMessage ? '>' : '*', a.children().size());
      for (RedisMessage child : a.children()) {
        write(out, child, true);
      }
      return;
    }
    if (resp3
        && (message == FullBulkStringRedisMessage.NULL_INSTANCE
            || message == ArrayRedisMessage.NULL_INSTANCE)) {
      out.writeBytes(NULL3);
      return;
    }
    if (message instanceof FullBulkStringRedisMessage b) {
      if (b.isNull()) {
        out.writeBytes(NULL_BULK);
      } else {
        writeBulk(out, b.content());
      }
    } else if (message instanceof SimpleStringRedisMessage s) {
      writeSimple(out, '+', s.content());
    } else if (message instanceof ErrorRedisMessage e) {
      writeSimple(out, '-', e.content());
    } else if (message instanceof IntegerRedisMessage i) {
      writeHeader(out, ':', i.value());
    } else if (message instanceof ArrayRedisMessage a) {
      if (a.isNull()) {
        out.writeBytes(NULL_ARRAY);
      } else {
        writeHeader(out, '*', a.children().size());
        for (RedisMessage child : a.children()) {
          write(out, child);
        }
      }
    } else {
      throw new IllegalArgumentException("cannot write " + message.getClass().getSimpleName());
    }
  }

  static void writeDecimal(ByteBuf out, long n) {
    if (n >= 0 && n < 10) {
      out.writeByte('0' + (int) n);
      return;
    }
    if (n < 0) {
      if (n == Long.MIN_VALUE) {
        out.writeCharSequence(Long.toString(n), StandardCharsets.US_ASCII);
        return;
      }
      out.writeByte('-');
      n = -n;
    }
    int digits = 1;
    for (long p = 10; p <= n && digits < 19; p *= 10) {
      digits++;
    }
    int at = out.writerIndex() + digits;
    out.ensureWritable(digits);
    for (int i = 1; i <= digits; i++) {
      out.setByte(at - i, (int) ('0' + n % 10));
      n /= 10;
    }
    out.writerIndex(at);
  }
}
