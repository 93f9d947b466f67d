package io.ringlb.server;

import io.netty.buffer.ByteBufUtil;
import io.netty.handler.codec.redis.ErrorRedisMessage;
import io.netty.handler.codec.redis.InlineCommandRedisMessage;
import io.netty.handler.codec.redis.IntegerRedisMessage;
import io.netty.handler.codec.redis.RedisMessage;
import io.netty.handler.codec.redis.SimpleStringRedisMessage;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Splits an inline command line into arguments with Redis's quoting rules ({@code sdssplitargs}):
 * blanks separate arguments; double quotes allow {@code \n \r \t \b \a \\ \" \xHH}; single quotes
 * allow {@code \'}; a closing quote must be followed by a blank or the end. A line over Redis's 64
 * KB is refused ({@link #of}).
 */
final class InlineArgs {

  /** Thrown for a line whose quotes do not balance. */
  static final class UnbalancedQuotes extends Exception {
    private static final long serialVersionUID = 1L;

    UnbalancedQuotes() {
      super("unbalanced quotes in request", null, false, false);
    }
  }

  /** Thrown for an inline request that Redis refuses, with the reason of its protocol error. */
  static final class Refused extends Exception {
    private static final long serialVersionUID = 1L;

    Refused(String reason) {
      super(reason, null, false, false);
    }
  }

  private InlineArgs() {}

  /**
   * Returns the arguments of an inline request (or of a top-level simple string, error or integer,
   * which Redis reads as one); empty for a blank line.
   *
   * @throws Refused for a line over 64 KB or with unbalanced quotes
   */
  static List<byte[]> of(RedisMessage msg) throws Refused {
    String line = lineOf(msg);
    // The decoder checks an inline line's length only while its CRLF has not arrived; a whole
    // line read at once is checked here, as Redis refuses any over 64 KB.
    if (line.length() > RespServer.MAX_INLINE / 3
        && ByteBufUtil.utf8Bytes(line) > RespServer.MAX_INLINE) {
      throw new Refused("too big inline request");
    }
    try {
      return split(line);
    } catch (UnbalancedQuotes e) {
      throw new Refused(e.getMessage());
    }
  }

  /** Returns the arguments of {@code line}; empty for a blank line. */
  static List<byte[]> split(String line) throws UnbalancedQuotes {
    byte[] p = line.getBytes(StandardCharsets.UTF_8);
    List<byte[]> args = new ArrayList<>();
    int i = 0;
    int n = p.length;
    ByteArrayOutputStream current = new ByteArrayOutputStream();
    while (true) {
      while (i < n && isSpace(p[i])) {
        i++;
      }
      if (i >= n) {
        return args;
      }
      boolean inDouble = false;
      boolean inSingle = false;
      boolean done = false;
      current.reset();
      while (!done) {
        if (inDouble) {
          if (i >= n) {
            throw new UnbalancedQuotes();
          }
          byte c = p[i];
          if (c == '\\' && i + 3 < n && p[i + 1] == 'x' && isHex(p[i + 2]) && isHex(p[i + 3])) {
            current.write(hex(p[i + 2]) * 16 + hex(p[i + 3]));
            i += 3;
          } else if (c == '\\' && i + 1 < n) {
            i++;
            byte e = p[i];
            current.write(
                switch (e) {
                  case 'n' -> '\n';
                  case 'r' -> '\r';
                  case 't' -> '\t';
                  case 'b' -> '\b';
                  case 'a' -> 7;
                  default -> e;
                });
          } else if (c == '"') {
            if (i + 1 < n && !isSpace(p[i + 1])) {
              throw new UnbalancedQuotes();
            }
            done = true;
          } else {
            current.write(c);
          }
        } else if (inSingle) {
          if (i >= n) {
            throw new UnbalancedQuotes();
          }
          byte c = p[i];
          if (c == '\\' && i + 1 < n && p[i + 1] == '\'') {
            i++;
            current.write('\'');
          } else if (c == '\'') {
            if (i + 1 < n && !isSpace(p[i + 1])) {
              throw new UnbalancedQuotes();
            }
            done = true;
          } else {
            current.write(c);
          }
        } else {
          if (i >= n) {
            done = true;
            break;
          }
          byte c = p[i];
          if (isSpace(c)) {
            done = true;
          } else if (c == '"') {
            inDouble = true;
          } else if (c == '\'') {
            inSingle = true;
          } else {
            current.write(c);
          }
        }
        if (i < n) {
          i++;
        }
      }
      args.add(current.toByteArray());
    }
  }

  private static boolean isSpace(byte c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == 0x0B || c == '\f';
  }

  private static boolean isHex(byte c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
  }

  private static int hex(byte c) {
    return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
  }

  /**
   * Returns the line of an inline command. Redis reads any line that does not start with {@code *}
   * as one, so a line the decoder took for a simple string, error or integer gets its type
   * character back ({@code +PING} is an unknown command, as in Redis).
   */
  static String lineOf(RedisMessage msg) {
    if (msg instanceof InlineCommandRedisMessage inline) {
      return inline.content();
    }
    if (msg instanceof SimpleStringRedisMessage simple) {
      return "+" + simple.content();
    }
    if (msg instanceof ErrorRedisMessage error) {
      return "-" + error.content();
    }
    if (msg instanceof IntegerRedisMessage integer) {
      return ":" + integer.value();
    }
    return "";
  }
}
