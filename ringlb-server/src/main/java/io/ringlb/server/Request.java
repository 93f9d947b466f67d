package io.ringlb.server;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.redis.ArrayRedisMessage;
import io.netty.handler.codec.redis.FullBulkStringRedisMessage;
import io.netty.handler.codec.redis.RedisMessage;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * The arguments of one command, the name first; valid only while its handler runs (the connection
 * reuses the object and releases the buffers afterwards).
 */
public final class Request {

  /** Room for a command name, so that the table looks names up without allocating. */
  final byte[] scratch = new byte[CommandTable.MAX_NAME];

  /** Arguments shorter than this are copied when their request waits ({@link #holdAll}). */
  private static final int COPIED_WHEN_HELD = 4096;

  private ByteBuf[] args = new ByteBuf[8];
  private int argc;

  Request() {}

  /** Returns a request over {@code args}, for tests and for backends that replay commands. */
  public static Request of(byte[]... args) {
    Request request = new Request();
    request.setInline(Arrays.asList(args));
    return request;
  }

  /** Returns the number of arguments, the command name included. */
  public int argc() {
    return argc;
  }

  /** Returns argument {@code i} (0 is the name); callers must not change its indexes. */
  public ByteBuf arg(int i) {
    Objects.checkIndex(i, argc);
    return args[i];
  }

  /** Returns the bytes of all the arguments. */
  long size() {
    long n = 0;
    for (int i = 0; i < argc; i++) {
      n += args[i].readableBytes();
    }
    return n;
  }

  /** Returns the length in bytes of argument {@code i}. */
  public int length(int i) {
    return arg(i).readableBytes();
  }

  /** Returns a copy of argument {@code i}. */
  public byte[] bytes(int i) {
    return ByteBufUtil.getBytes(arg(i));
  }

  /** Returns argument {@code i} decoded as UTF-8. */
  public String string(int i) {
    return arg(i).toString(StandardCharsets.UTF_8);
  }

  /** Returns whether argument {@code i} equals {@code lowercase} (ASCII), ignoring case. */
  public boolean is(int i, String lowercase) {
    ByteBuf b = arg(i);
    int n = lowercase.length();
    if (b.readableBytes() != n) {
      return false;
    }
    int base = b.readerIndex();
    for (int k = 0; k < n; k++) {
      int c = b.getByte(base + k);
      if (c >= 'A' && c <= 'Z') {
        c += 'a' - 'A';
      }
      if (c != lowercase.charAt(k)) {
        return false;
      }
    }
    return true;
  }

  /**
   * Parses argument {@code i} as a signed 64-bit decimal the way Redis does (no sign but a leading
   * minus, no leading zeros, no blanks).
   *
   * @throws CommandException with {@link Replies#NOT_INTEGER} otherwise
   */
  public long longValue(int i) {
    ByteBuf b = arg(i);
    long value = parseLong(b, b.readerIndex(), b.readableBytes());
    if (value == Long.MIN_VALUE && !is(i, "-9223372036854775808")) {
      throw CommandException.notInteger();
    }
    return value;
  }

  /** Returns the parsed value, or {@code Long.MIN_VALUE} when the bytes are not a valid long. */
  static long parseLong(ByteBuf b, int from, int length) {
    if (length == 0 || length > 20) {
      return Long.MIN_VALUE;
    }
    int i = from;
    int end = from + length;
    boolean negative = b.getByte(i) == '-';
    if (negative) {
      i++;
      if (i == end) {
        return Long.MIN_VALUE;
      }
    }
    int first = b.getByte(i);
    if (first == '0') {
      return length == 1 ? 0 : Long.MIN_VALUE;
    }
    long value = 0; // accumulated negatively so that Long.MIN_VALUE fits
    for (; i < end; i++) {
      int d = b.getByte(i) - '0';
      if (d < 0 || d > 9 || value < (Long.MIN_VALUE + d) / 10) {
        return Long.MIN_VALUE;
      }
      value = value * 10 - d;
    }
    if (negative) {
      return value;
    }
    return value == Long.MIN_VALUE ? Long.MIN_VALUE : -value;
  }

  /**
   * Appends an argument this request owns until {@link #release}: the assembler's fast path hands
   * over each bulk string's content as it arrives, without wrapping it in a message.
   */
  void add(ByteBuf arg) {
    if (argc == args.length) {
      args = Arrays.copyOf(args, argc * 2);
    }
    args[argc++] = arg;
  }

  /** Releases the arguments {@link #add} gave this request and forgets them. */
  void release() {
    for (int i = 0; i < argc; i++) {
      args[i].release();
      args[i] = null;
    }
    argc = 0;
  }

  /**
   * Fills this request from a message of the decoder; returns false for one Redis ignores (an empty
   * or null array, an empty inline line).
   *
   * @throws InlineArgs.Refused naming the protocol error: the decoder's, an inline command's
   *     quoting, or a message of another kind
   */
  boolean read(Object msg) throws InlineArgs.Refused {
    if (msg instanceof ArrayRedisMessage array) {
      List<RedisMessage> children = array.children();
      if (array.isNull() || children.isEmpty()) {
        return false;
      }
      set(children);
      return true;
    }
    if (msg instanceof ProtocolError error) {
      throw new InlineArgs.Refused(error.reason());
    }
    if (msg instanceof RedisMessage inline) {
      List<byte[]> args = InlineArgs.of(inline);
      if (args.isEmpty()) {
        return false;
      }
      setInline(args);
      return true;
    }
    throw new InlineArgs.Refused("unexpected message " + msg.getClass().getSimpleName());
  }

  /** Points this request at the contents of an aggregated array's bulk strings. */
  void set(List<RedisMessage> children) {
    int n = children.size();
    ensure(n);
    for (int i = 0; i < n; i++) {
      args[i] = ((FullBulkStringRedisMessage) children.get(i)).content();
    }
    argc = n;
  }

  /** Points this request at {@code held} (owned by the caller), a request that was held. */
  void set(ByteBuf[] held) {
    ensure(held.length);
    System.arraycopy(held, 0, args, 0, held.length);
    argc = held.length;
  }

  /**
   * Returns the arguments for the caller to own (a request that waits): a small one copied, so that
   * it does not keep the whole read buffer it came in alive, a larger one retained once more.
   */
  ByteBuf[] holdAll() {
    ByteBuf[] copy = new ByteBuf[argc];
    for (int i = 0; i < argc; i++) {
      ByteBuf arg = args[i];
      copy[i] = arg.readableBytes() < COPIED_WHEN_HELD ? Unpooled.copiedBuffer(arg) : arg.retain();
    }
    return copy;
  }

  /** Points this request at arguments split from an inline command. */
  void setInline(List<byte[]> inline) {
    int n = inline.size();
    ensure(n);
    for (int i = 0; i < n; i++) {
      args[i] = Unpooled.wrappedBuffer(inline.get(i));
    }
    argc = n;
  }

  /** Forgets the arguments (their owner releases them). */
  void clear() {
    Arrays.fill(args, 0, argc, null);
    argc = 0;
  }

  private void ensure(int n) {
    if (n > args.length) {
      args = new ByteBuf[Math.max(n, args.length * 2)];
    }
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("Request[");
    for (int i = 0; i < argc; i++) {
      sb.append(i == 0 ? "" : " ").append(string(i));
    }
    return sb.append(']').toString();
  }
}
