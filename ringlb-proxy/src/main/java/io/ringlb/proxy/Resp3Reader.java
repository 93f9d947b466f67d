package io.ringlb.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.redis.ArrayRedisMessage;
import io.netty.handler.codec.redis.ErrorRedisMessage;
import io.netty.handler.codec.redis.FullBulkStringRedisMessage;
import io.netty.handler.codec.redis.IntegerRedisMessage;
import io.netty.handler.codec.redis.RedisCodecException;
import io.netty.handler.codec.redis.RedisMessage;
import io.netty.handler.codec.redis.SimpleStringRedisMessage;
import io.netty.util.ByteProcessor;
import io.netty.util.ReferenceCountUtil;
import io.ringlb.server.BigNumberRedisMessage;
import io.ringlb.server.BooleanRedisMessage;
import io.ringlb.server.DoubleRedisMessage;
import io.ringlb.server.MapRedisMessage;
import io.ringlb.server.PushRedisMessage;
import io.ringlb.server.SetRedisMessage;
import io.ringlb.server.VerbatimRedisMessage;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads one complete RESP3 reply, framed by {@link Resp3FrameDecoder}, into messages: RESP2's types
 * as netty-codec-redis has them, RESP3's as the front end's ({@link MapRedisMessage}, {@link
 * DoubleRedisMessage}...), a null as the null bulk string, a blob error as an error; attributes are
 * skipped. The messages copy what they hold: the frame stays the caller's.
 */
final class Resp3Reader {

  private final ByteBuf in;

  private Resp3Reader(ByteBuf frame) {
    this.in = frame;
  }

  /** Returns the reply in {@code frame} (a whole one, from its reader index). */
  static RedisMessage read(ByteBuf frame) {
    return new Resp3Reader(frame.duplicate()).next();
  }

  private RedisMessage next() {
    int pos = in.readerIndex();
    int lf = in.forEachByte(pos, in.writerIndex() - pos, ByteProcessor.FIND_LF);
    if (lf < 0) {
      throw new RedisCodecException("a RESP3 reply cut short");
    }
    byte type = in.getByte(pos);
    int textEnd = lf - 1;
    in.readerIndex(lf + 1);
    switch (type) {
      case '+':
        return new SimpleStringRedisMessage(text(pos + 1, textEnd));
      case '-':
        return new ErrorRedisMessage(text(pos + 1, textEnd));
      case ':':
        return new IntegerRedisMessage(Resp3FrameDecoder.number(in, pos + 1, textEnd));
      case '_':
        return FullBulkStringRedisMessage.NULL_INSTANCE;
      case '#':
        return BooleanRedisMessage.of(in.getByte(pos + 1) == 't');
      case ',':
        return new DoubleRedisMessage(in.copy(pos + 1, textEnd - pos - 1));
      case '(':
        return new BigNumberRedisMessage(in.copy(pos + 1, textEnd - pos - 1));
      case '$', '=', '!':
        return blob(type, Resp3FrameDecoder.number(in, pos + 1, textEnd));
      case '*', '%', '~', '>', '|':
        return aggregate(type, Resp3FrameDecoder.number(in, pos + 1, textEnd));
      default:
        throw new RedisCodecException("an unknown RESP type byte " + type);
    }
  }

  private RedisMessage blob(byte type, long length) {
    if (length < 0) {
      return FullBulkStringRedisMessage.NULL_INSTANCE;
    }
    int at = in.readerIndex();
    int n = (int) length;
    in.readerIndex(at + n + 2);
    if (type == '!') {
      return new ErrorRedisMessage(text(at, at + n));
    }
    if (type == '=') {
      // "txt:" first: the format, then the text
      String format = text(at, at + 3);
      return new VerbatimRedisMessage(format, in.copy(at + 4, n - 4));
    }
    return n == 0
        ? FullBulkStringRedisMessage.EMPTY_INSTANCE
        : new FullBulkStringRedisMessage(in.copy(at, n));
  }

  private RedisMessage aggregate(byte type, long n) {
    if (n < 0) {
      return ArrayRedisMessage.NULL_INSTANCE;
    }
    long count = type == '%' || type == '|' ? 2 * n : n;
    List<RedisMessage> children = new ArrayList<>((int) Math.min(count, 1024));
    try {
      for (long i = 0; i < count; i++) {
        children.add(next());
      }
    } catch (RuntimeException e) {
      children.forEach(ReferenceCountUtil::release);
      throw e;
    }
    return switch (type) {
      case '%' -> new MapRedisMessage(children);
      case '~' -> new SetRedisMessage(children);
      case '>' -> new PushRedisMessage(children);
      case '|' -> {
        children.forEach(ReferenceCountUtil::release); // an attribute: what follows is the reply
        yield next();
      }
      default ->
          children.isEmpty() ? ArrayRedisMessage.EMPTY_INSTANCE : new ArrayRedisMessage(children);
    };
  }

  private String text(int from, int to) {
    return in.toString(from, to - from, StandardCharsets.UTF_8);
  }
}
