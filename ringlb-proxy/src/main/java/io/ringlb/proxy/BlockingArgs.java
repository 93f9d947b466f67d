package io.ringlb.proxy;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The arguments of one blocking command (BLPOP, BRPOP, BLMOVE, BLMPOP, BRPOPLPUSH, BZPOPMIN,
 * BZPOPMAX, BZMPOP, XREAD and XREADGROUP with BLOCK): where its timeout is and in which unit, the
 * same command with a shorter timeout (to block again elsewhere with the time left), and the
 * command that puts back what a pop took (for a client that left as the element came).
 */
final class BlockingArgs {

  /** The command's arguments, copied, the name first. */
  private final byte[][] args;

  private final String name;

  /** Where the timeout is, or -1 when there is none to read (the backend will refuse it). */
  private final int timeoutAt;

  /** Whether the timeout counts milliseconds (XREAD's BLOCK) rather than decimal seconds. */
  private final boolean millis;

  /** The timeout in milliseconds: 0 for no timeout, -1 when it is not a valid one. */
  private final long timeoutMillis;

  private BlockingArgs(byte[][] args) {
    this.args = args;
    this.name = text(args[0]).toLowerCase(Locale.ROOT);
    this.millis = name.startsWith("x");
    this.timeoutAt = timeoutIndex(name, args);
    this.timeoutMillis = timeoutAt < 0 ? -1 : parse(text(args[timeoutAt]), millis);
  }

  /** Returns the arguments of request {@code r}, copied. */
  static BlockingArgs of(io.ringlb.server.Request r) {
    byte[][] args = new byte[r.argc()][];
    for (int i = 0; i < args.length; i++) {
      args[i] = io.netty.buffer.ByteBufUtil.getBytes(r.arg(i));
    }
    return new BlockingArgs(args);
  }

  /** The command's lowercase name. */
  String name() {
    return name;
  }

  /** Returns the timeout in milliseconds: 0 for none, -1 when it is not one Redis takes. */
  long timeoutMillis() {
    return timeoutMillis;
  }

  /** Returns the command as it came, for {@link BackendConnection#send(Object[], Pending)}. */
  Object[] command() {
    return args.clone();
  }

  /**
   * Returns the command with {@code leftMillis} as its timeout (at least one millisecond, so that a
   * command whose time is up still looks once); the command as it came when it blocks forever.
   */
  Object[] commandWithin(long leftMillis) {
    Object[] out = args.clone();
    if (timeoutMillis > 0) {
      long left = Math.max(1, leftMillis);
      out[timeoutAt] =
          (millis ? Long.toString(left) : BigDecimal.valueOf(left).movePointLeft(3).toPlainString())
              .getBytes(StandardCharsets.US_ASCII);
    }
    return out;
  }

  private static int timeoutIndex(String name, byte[][] args) {
    int argc = args.length;
    switch (name) {
      case "blpop", "brpop", "bzpopmin", "bzpopmax", "brpoplpush", "blmove":
        return argc >= 3 ? argc - 1 : -1;
      case "blmpop", "bzmpop":
        return argc >= 2 ? 1 : -1;
      default:
        for (int i = 1; i + 1 < argc; i++) {
          String option = text(args[i]).toLowerCase(Locale.ROOT);
          if (option.equals("streams")) {
            return -1;
          }
          if (option.equals("block")) {
            return i + 1;
          }
        }
        return -1;
    }
  }

  /** Parses a timeout as Redis does: decimal seconds, or whole milliseconds; -1 if invalid. */
  private static long parse(String text, boolean millis) {
    try {
      if (millis) {
        long ms = Long.parseLong(text);
        return ms < 0 ? -1 : ms;
      }
      BigDecimal seconds = new BigDecimal(text);
      if (seconds.signum() < 0) {
        return -1;
      }
      BigDecimal ms = seconds.movePointRight(3);
      return ms.compareTo(BigDecimal.valueOf(Long.MAX_VALUE / 4)) > 0
          ? Long.MAX_VALUE / 4
          : Math.max(seconds.signum() == 0 ? 0 : 1, ms.longValue());
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  /**
   * Returns the command that puts back what this command popped, as {@code reply} (its reply, as
   * {@link Values#toValue} gives it) says; null when nothing was popped or nothing needs putting
   * back (BLMOVE and BRPOPLPUSH moved the element into their destination, XREAD takes nothing, and
   * XREADGROUP's entries stay pending in the group).
   */
  Object[] putBack(Object reply) {
    if (!(reply instanceof List<?> list) || list.isEmpty()) {
      return null;
    }
    switch (name) {
      case "blpop", "brpop":
        // [key, element]
        return list.size() == 2
            ? new Object[] {name.equals("blpop") ? "LPUSH" : "RPUSH", list.get(0), list.get(1)}
            : null;
      case "bzpopmin", "bzpopmax":
        // [key, member, score]
        return list.size() == 3
            ? new Object[] {"ZADD", list.get(0), list.get(2), list.get(1)}
            : null;
      case "blmpop":
        {
          // [key, [element...]], popped from the side named after the keys: pushed back to that
          // side in the reverse order, the first popped last, so that it is at the end again.
          if (list.size() != 2 || !(list.get(1) instanceof List<?> elements)) {
            return null;
          }
          String side = sideOfBlmpop();
          List<Object> out = new ArrayList<>();
          out.add("left".equals(side) ? "LPUSH" : "RPUSH");
          out.add(list.get(0));
          for (int i = elements.size() - 1; i >= 0; i--) {
            out.add(elements.get(i));
          }
          return side == null ? null : out.toArray();
        }
      case "bzmpop":
        {
          // [key, [[member, score]...]]
          if (list.size() != 2 || !(list.get(1) instanceof List<?> pairs)) {
            return null;
          }
          List<Object> out = new ArrayList<>();
          out.add("ZADD");
          out.add(list.get(0));
          for (Object pair : pairs) {
            if (!(pair instanceof List<?> p) || p.size() != 2) {
              return null;
            }
            out.add(p.get(1));
            out.add(p.get(0));
          }
          return out.size() > 2 ? out.toArray() : null;
        }
      default:
        return null;
    }
  }

  /** BLMPOP's LEFT or RIGHT (lowercase), after its keys; null if it cannot be found. */
  private String sideOfBlmpop() {
    try {
      int numkeys = Integer.parseInt(text(args[2]));
      int at = 3 + numkeys;
      return at < args.length ? text(args[at]).toLowerCase(Locale.ROOT) : null;
    } catch (NumberFormatException | ArrayIndexOutOfBoundsException e) {
      return null;
    }
  }

  private static String text(byte[] bytes) {
    return new String(bytes, StandardCharsets.ISO_8859_1);
  }
}
