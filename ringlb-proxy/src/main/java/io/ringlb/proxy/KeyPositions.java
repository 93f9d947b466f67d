package io.ringlb.proxy;

import io.netty.buffer.ByteBuf;
import io.ringlb.server.Request;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;

/**
 * Where a command's keys are among its arguments, as redis-server's key specs say: the arguments
 * {@code first..last} every {@code step} ({@code last} negative counts from the end, -1 the last;
 * {@code first} 0 means none), then the {@code n} arguments after argument {@code numkeys} that
 * holds {@code n} (0: no such argument), or keys found by parsing options ({@link Parser}).
 *
 * @param first position of the first fixed key, 0 for none
 * @param last position of the last fixed key; negative: counted from the end
 * @param step distance between fixed keys
 * @param numkeys position of the argument counting the keys after it, 0 for none
 * @param parser how keys are found when positions alone cannot say
 */
record KeyPositions(int first, int last, int step, int numkeys, Parser parser) {

  /** Commands whose keys must be found by reading their options. */
  enum Parser {
    /** Positions only. */
    NONE,
    /** XREAD and XREADGROUP: as many keys as ids after {@code STREAMS}. */
    STREAMS,
    /** SORT: its key, and the key after {@code STORE} if any. */
    SORT,
    /** GEORADIUS(BYMEMBER): the key, and the keys after {@code STORE} and {@code STOREDIST}. */
    GEO
  }

  /** The first argument, the key of most commands. */
  static final KeyPositions FIRST = new KeyPositions(1, 1, 1, 0, Parser.NONE);

  /** Every argument is a key (MGET, DEL). */
  static final KeyPositions ALL = new KeyPositions(1, -1, 1, 0, Parser.NONE);

  /** Key-value pairs (MSET, MSETNX). */
  static final KeyPositions PAIRS = new KeyPositions(1, -2, 2, 0, Parser.NONE);

  /** No keys. */
  static final KeyPositions NONE = new KeyPositions(0, 0, 1, 0, Parser.NONE);

  /** Returns fixed keys {@code first..last} every {@code step}. */
  static KeyPositions range(int first, int last, int step) {
    return new KeyPositions(first, last, step, 0, Parser.NONE);
  }

  /** Returns keys counted by argument {@code numkeys}, after fixed keys {@code first..last}. */
  static KeyPositions counted(int first, int last, int numkeys) {
    return new KeyPositions(first, last, 1, numkeys, Parser.NONE);
  }

  /** Returns keys found by {@code parser}; {@code last} is the last positional argument (GEO). */
  static KeyPositions parsed(Parser parser, int last) {
    return new KeyPositions(parser == Parser.NONE ? 0 : 1, last, 1, 0, parser);
  }

  /**
   * Returns the indexes of the keys of {@code r}, or null when its arguments do not hold them (too
   * few, a count that is not a positive number, or more keys than arguments).
   */
  int[] find(Request r) {
    int argc = r.argc();
    switch (parser) {
      case STREAMS -> {
        return streamKeys(r, argc);
      }
      case SORT -> {
        return sortKeys(r, argc);
      }
      case GEO -> {
        return geoKeys(r, argc);
      }
      default -> {}
    }
    int fixed = 0;
    int end = last < 0 ? argc + last : last;
    if (first > 0) {
      if (end < first || end >= argc || (end - first) % step != 0) {
        return null;
      }
      fixed = (end - first) / step + 1;
    }
    int counted = 0;
    if (numkeys > 0) {
      if (numkeys >= argc) {
        return null;
      }
      long n = count(r.arg(numkeys));
      if (n < 1 || n > argc - numkeys - 1) {
        return null;
      }
      counted = (int) n;
    }
    int[] keys = new int[fixed + counted];
    for (int i = 0; i < fixed; i++) {
      keys[i] = first + i * step;
    }
    for (int i = 0; i < counted; i++) {
      keys[fixed + i] = numkeys + 1 + i;
    }
    return keys;
  }

  /**
   * Returns whether XREAD or XREADGROUP {@code r} asks to block (a BLOCK option before STREAMS);
   * false for every other command.
   */
  boolean blocks(Request r) {
    if (parser != Parser.STREAMS) {
      return false;
    }
    for (int i = 1; i < r.argc(); i++) {
      String option = lower(r.arg(i));
      if (option.equals("streams")) {
        return false;
      }
      if (option.equals("block")) {
        return true;
      }
      if (option.equals("group")) {
        i += 2;
      } else if (option.equals("count")) {
        i++;
      }
    }
    return false;
  }

  /**
   * The keys of XREAD or XREADGROUP: after its options ({@code COUNT n}, {@code BLOCK ms}, {@code
   * NOACK}, {@code GROUP g c}), {@code STREAMS} then as many keys as ids.
   */
  private static int[] streamKeys(Request r, int argc) {
    boolean group = r.is(0, "xreadgroup");
    int i = 1;
    while (i < argc) {
      String option = lower(r.arg(i));
      if (option.equals("streams")) {
        int rest = argc - i - 1;
        if (rest == 0 || rest % 2 != 0) {
          return null;
        }
        int[] keys = new int[rest / 2];
        for (int k = 0; k < keys.length; k++) {
          keys[k] = i + 1 + k;
        }
        return keys;
      }
      i +=
          switch (option) {
            case "count", "block" -> 2;
            case "noack" -> 1;
            case "group" -> group ? 3 : argc;
            default -> argc; // not an option of these commands: no keys
          };
    }
    return null;
  }

  /** The keys of SORT: its first argument, and the argument after STORE if any. */
  private static int[] sortKeys(Request r, int argc) {
    if (argc < 2) {
      return null;
    }
    int i = 2;
    while (i < argc) {
      String option = lower(r.arg(i));
      if (option.equals("store")) {
        return i + 1 < argc ? new int[] {1, i + 1} : null;
      }
      i +=
          switch (option) {
            case "by", "get" -> 2;
            case "limit" -> 3;
            default -> 1; // ASC, DESC, ALPHA
          };
    }
    return new int[] {1};
  }

  /** The keys of GEORADIUS(BYMEMBER): the key, and those after STORE and STOREDIST. */
  private int[] geoKeys(Request r, int argc) {
    if (argc <= last) {
      return null;
    }
    int[] keys = {1, 0, 0};
    int n = 1;
    for (int i = last + 1; i < argc; i++) {
      String option = lower(r.arg(i));
      if (option.equals("count")) {
        i++;
      } else if (option.equals("store") || option.equals("storedist")) {
        if (++i >= argc) {
          return null;
        }
        keys[n++] = i;
      }
    }
    return Arrays.copyOf(keys, n);
  }

  /** Returns the non-negative decimal number {@code arg} holds, or -1. */
  private static long count(ByteBuf arg) {
    int len = arg.readableBytes();
    if (len == 0 || len > 10) {
      return -1;
    }
    long n = 0;
    for (int i = arg.readerIndex(); i < arg.writerIndex(); i++) {
      byte b = arg.getByte(i);
      if (b < '0' || b > '9') {
        return -1;
      }
      n = n * 10 + (b - '0');
    }
    return n;
  }

  /** Returns the argument in lowercase, for options and error messages. */
  static String lower(ByteBuf arg) {
    return arg.toString(StandardCharsets.UTF_8).toLowerCase(Locale.ROOT);
  }
}
