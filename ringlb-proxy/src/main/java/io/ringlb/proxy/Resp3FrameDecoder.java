package io.ringlb.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.redis.RedisCodecException;
import io.netty.util.ByteProcessor;
import java.util.Arrays;
import java.util.List;

/**
 * Frames the replies of a backend connection that speaks RESP3: emits each complete top-level
 * reply, of any RESP3 type and nested to any depth, as one buffer of its bytes as they came (a
 * retained slice, released by whoever takes it), to pass on unchanged or to read with {@link
 * Resp3Reader}. It keeps its place between reads, so a large reply arriving in many reads is
 * scanned once.
 */
final class Resp3FrameDecoder extends ByteToMessageDecoder {

  /** Longest line (a header, a simple string or error, a number) taken before giving up. */
  private static final int MAX_LINE = 64 * 1024;

  /** Bytes of the reply being framed already scanned, from the reader index. */
  private int scanned;

  /** Elements still expected by each aggregate open at the scanned point, outermost first. */
  private long[] remaining = new long[8];

  private int depth;

  /** Bytes that were not RESP came: the rest is dropped (the connection is closed for it). */
  private boolean failed;

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
    while (!failed) {
      int start = in.readerIndex();
      int end;
      try {
        end = frame(in, start);
      } catch (RedisCodecException e) {
        failed = true;
        throw e;
      }
      if (end < 0) {
        return;
      }
      out.add(in.retainedSlice(start, end - start));
      in.readerIndex(end);
      scanned = 0;
    }
    in.skipBytes(in.readableBytes());
  }

  /** Scans on from where the last call stopped; returns where the reply ends, or -1 for more. */
  private int frame(ByteBuf in, int start) {
    int pos = start + scanned;
    int limit = in.writerIndex();
    while (pos < limit) {
      int lf = in.forEachByte(pos, limit - pos, ByteProcessor.FIND_LF);
      if (lf < 0) {
        if (limit - pos > MAX_LINE) {
          throw new RedisCodecException("a RESP line longer than " + MAX_LINE + " bytes");
        }
        break;
      }
      if (lf == pos || in.getByte(lf - 1) != '\r') {
        throw new RedisCodecException("a RESP line not ended by CRLF");
      }
      byte type = in.getByte(pos);
      int next = lf + 1;
      switch (type) {
        case '+', '-', ':', '_', ',', '#', '(' -> {}
        case '$', '=', '!' -> {
          long length = number(in, pos + 1, lf - 1);
          if (length >= 0) {
            long after = (long) next + length + 2;
            if (after > limit) {
              scanned = pos - start; // the header again next time: cheap, and no state to keep
              return -1;
            }
            next = (int) after;
            if (in.getByte(next - 2) != '\r' || in.getByte(next - 1) != '\n') {
              throw new RedisCodecException("a RESP bulk string not ended by CRLF");
            }
          } else if (length != -1 || type != '$') {
            throw new RedisCodecException("a RESP length of " + length);
          }
        }
        case '*', '%', '~', '>', '|' -> {
          long n = number(in, pos + 1, lf - 1);
          if (n < -1 || (n == -1 && type != '*')) {
            throw new RedisCodecException("a RESP aggregate of " + n + " elements");
          }
          // A map holds a key and a value per entry; an attribute, its entries and the reply after.
          long elements = type == '%' ? 2 * n : type == '|' ? 2 * n + 1 : n;
          if (elements > 0) {
            open(elements);
            pos = next;
            continue;
          }
        }
        default -> throw new RedisCodecException("an unknown RESP type byte " + type);
      }
      pos = next;
      if (closeElement()) {
        return next;
      }
    }
    scanned = pos - start;
    return -1;
  }

  private void open(long elements) {
    if (depth == remaining.length) {
      remaining = Arrays.copyOf(remaining, depth * 2);
    }
    remaining[depth++] = elements;
  }

  /** One element ended: closes the aggregates it completes; true when the reply is complete. */
  private boolean closeElement() {
    while (depth > 0) {
      if (--remaining[depth - 1] > 0) {
        return false;
      }
      depth--;
    }
    return true;
  }

  /** Parses the decimal between {@code from} and {@code to} (exclusive). */
  static long number(ByteBuf in, int from, int to) {
    if (from >= to || to - from > 20) {
      throw new RedisCodecException("a RESP length or number that is not one");
    }
    boolean negative = in.getByte(from) == '-';
    long n = 0;
    for (int i = negative ? from + 1 : from; i < to; i++) {
      int d = in.getByte(i) - '0';
      if (d < 0 || d > 9) {
        throw new RedisCodecException("a RESP length or number that is not one");
      }
      n = n * 10 + d;
    }
    return negative ? -n : n;
  }
}
