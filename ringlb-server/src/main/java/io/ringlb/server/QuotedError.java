package io.ringlb.server;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.redis.RedisMessage;
import java.nio.charset.StandardCharsets;

/**
 * An error reply that quotes a client's own bytes the way Redis's errors do: a quoted argument ends
 * at its first NUL byte or at a length limit, CR and LF become spaces so the reply stays one line,
 * and every other byte goes out as it came, undecoded.
 */
final class QuotedError {

  private final ByteBuf frame = Unpooled.buffer(96);

  /** Starts the error with {@code text}, e.g. {@code ERR unknown command '}. */
  QuotedError(String text) {
    frame.writeByte('-');
    text(text);
  }

  /** Appends {@code text}, ASCII without CR or LF. */
  QuotedError text(String text) {
    frame.writeCharSequence(text, StandardCharsets.US_ASCII);
    return this;
  }

  /** Appends the readable bytes of {@code arg} up to its first NUL, at most {@code max} of them. */
  QuotedError quote(ByteBuf arg, int max) {
    int end = arg.readerIndex() + Math.min(arg.readableBytes(), Math.max(0, max));
    for (int i = arg.readerIndex(); i < end; i++) {
      byte b = arg.getByte(i);
      if (b == 0) {
        break;
      }
      frame.writeByte(b == '\r' || b == '\n' ? ' ' : b);
    }
    return this;
  }

  /** Returns how many bytes the error holds so far, the leading {@code -} not counted. */
  int length() {
    return frame.writerIndex() - 1;
  }

  /** Ends the error and returns it as a reply; the builder is used up. */
  RedisMessage reply() {
    frame.writeByte('\r').writeByte('\n');
    return new EncodedReply(frame);
  }
}
