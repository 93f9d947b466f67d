package io.ringlb.server;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.redis.ErrorRedisMessage;
import io.netty.handler.codec.redis.RedisMessage;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Error replies counted by their code, the error's first word ({@code ERR}, {@code WRONGTYPE}), as
 * INFO errorstats and {@code total_error_replies} show them; at most {@link #MAX_CODES} codes, as
 * Redis keeps, later ones counted in the total only. Thread-safe; touched on error replies only.
 */
final class ErrorCounts {

  /** The most distinct codes kept, as in Redis. */
  static final int MAX_CODES = 128;

  /** The longest code kept; a longer first word is counted under its first this many bytes. */
  private static final int MAX_CODE_LENGTH = 64;

  private final Map<String, LongAdder> byCode = new ConcurrentHashMap<>();
  private final LongAdder total = new LongAdder();

  /** Counts {@code reply} when it is an error. */
  void count(RedisMessage reply) {
    if (reply instanceof EncodedReply encoded) {
      if (isError(encoded.content())) {
        countRaw(encoded.content());
      }
    } else if (reply instanceof ErrorRedisMessage e) {
      String text = e.content();
      int end = 0;
      while (end < text.length() && end < MAX_CODE_LENGTH && text.charAt(end) != ' ') {
        end++;
      }
      count(text.substring(0, end));
    }
  }

  /** Returns whether the RESP bytes {@code resp} are an error reply. */
  static boolean isError(ByteBuf resp) {
    return resp.isReadable() && resp.getByte(resp.readerIndex()) == '-';
  }

  /** Counts the RESP error {@code resp} (starting with {@code -}), leaving its indices alone. */
  void countRaw(ByteBuf resp) {
    int start = resp.readerIndex() + 1;
    int end = start;
    int limit = Math.min(resp.writerIndex(), start + MAX_CODE_LENGTH);
    while (end < limit) {
      byte b = resp.getByte(end);
      if (b == ' ' || b == '\r') {
        break;
      }
      end++;
    }
    count(resp.toString(start, end - start, StandardCharsets.UTF_8));
  }

  private void count(String code) {
    total.increment();
    LongAdder n = byCode.get(code);
    if (n == null) {
      if (byCode.size() >= MAX_CODES) {
        return;
      }
      n = byCode.computeIfAbsent(code, c -> new LongAdder());
    }
    n.increment();
  }

  /** Returns the error replies counted since the last reset. */
  long total() {
    return total.sum();
  }

  /** Returns the counts by code, sorted by code, of codes counted since the last reset. */
  Map<String, Long> byCode() {
    Map<String, Long> out = new TreeMap<>();
    byCode.forEach(
        (code, n) -> {
          long v = n.sum();
          if (v > 0) {
            out.put(code, v);
          }
        });
    return out;
  }

  /** Starts again from nothing (CONFIG RESETSTAT). */
  void reset() {
    byCode.clear();
    total.reset();
  }
}
