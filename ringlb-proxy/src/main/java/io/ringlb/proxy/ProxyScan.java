package io.ringlb.proxy;

import io.netty.handler.codec.redis.ArrayRedisMessage;
import io.netty.handler.codec.redis.ErrorRedisMessage;
import io.netty.handler.codec.redis.RedisMessage;
import io.ringlb.server.Replies;
import io.ringlb.server.Request;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * SCAN through the proxy: every backend one after the other, the cursor carrying the backend's own
 * cursor, the backend's place in the scan order and the topology's epoch.
 *
 * <p>Redis's guarantee holds through ring changes: every key present from the first call to the
 * last is returned (some maybe twice). During a migration the backends keys leave are scanned
 * before those they go to, so a key that moves mid-iteration is found on one side or the other; and
 * a cursor made under another topology (the ring changed between two calls) starts the iteration
 * again from the first backend.
 */
final class ProxyScan {

  /**
   * A cursor through the proxy is the backend's own cursor, then {@value #PLACE_BITS} bits of the
   * backend's place in the scan order, then {@value #EPOCH_BITS} bits of the topology's epoch.
   */
  private static final int PLACE_BITS = 10;

  private static final int EPOCH_BITS = 16;
  private static final int SHIFT = PLACE_BITS + EPOCH_BITS;

  private ProxyScan() {}

  /** Serves SCAN {@code r} for {@code fanOut}'s client, by topology {@code t}. */
  static RedisMessage scan(FanOut fanOut, Topology t, Request r) {
    if (r.argc() % 2 != 0) {
      return Replies.error(Replies.wrongArity("scan"));
    }
    long cursor;
    try {
      cursor = Long.parseUnsignedLong(r.string(1));
    } catch (NumberFormatException e) {
      return Replies.error("ERR invalid cursor");
    }
    Backend[] order = order(t);
    if (order.length > 1 << PLACE_BITS) {
      return Replies.error(
          "ERR ringlb: SCAN through the proxy covers at most " + (1 << PLACE_BITS) + " backends");
    }
    long epoch = t.epoch() & ((1L << EPOCH_BITS) - 1);
    int place = 0;
    long backendCursor = 0;
    if (cursor != 0 && (cursor & ((1L << EPOCH_BITS) - 1)) == epoch) {
      place = (int) ((cursor >>> EPOCH_BITS) & ((1L << PLACE_BITS) - 1));
      backendCursor = cursor >>> SHIFT;
    }
    if (place >= order.length) {
      return new ArrayRedisMessage(List.of(Values.bulk("0"), ArrayRedisMessage.EMPTY_INSTANCE));
    }
    Object[] command = new Object[r.argc()];
    command[0] = "SCAN";
    command[1] = Long.toUnsignedString(backendCursor);
    for (int i = 2; i < r.argc(); i++) {
      command[i] = r.bytes(i);
    }
    int at = place;
    return fanOut.send(
        new Backend[] {order[at]},
        command,
        (bs, replies) -> {
          Object v = replies[0];
          if (v instanceof Values.Error e) {
            return new ErrorRedisMessage(e.text());
          }
          List<?> pair = (List<?>) v;
          long next =
              Long.parseUnsignedLong(new String((byte[]) pair.get(0), StandardCharsets.UTF_8));
          if (Long.numberOfLeadingZeros(next) < SHIFT) {
            return new ErrorRedisMessage(
                "ERR ringlb: "
                    + bs[0].describe()
                    + " returned a SCAN cursor"
                    + " too large to carry through the proxy: "
                    + Long.toUnsignedString(next));
          }
          long out;
          if (next != 0) {
            out = next << SHIFT | (long) at << EPOCH_BITS | epoch;
          } else if (at + 1 < order.length) {
            out = (long) (at + 1) << EPOCH_BITS | epoch;
          } else {
            out = 0;
          }
          List<RedisMessage> keys = new ArrayList<>();
          for (Object k : (List<?>) pair.get(1)) {
            keys.add(Values.bulk((byte[]) k));
          }
          return new ArrayRedisMessage(
              List.of(Values.bulk(Long.toUnsignedString(out)), new ArrayRedisMessage(keys)));
        });
  }

  /**
   * Returns the backends in the order SCAN visits them: ascending by id, except that a backend
   * leaving the ring comes first and one joining it comes last, as keys only move from the one
   * leaving or to the one joining.
   */
  static Backend[] order(Topology t) {
    Backend[] all = t.backends();
    Migration m = t.migration();
    if (m == null) {
      return all;
    }
    Backend[] order = new Backend[all.length];
    int n = 0;
    Backend moving = null;
    for (Backend b : all) {
      if (b.id() == m.server()) {
        moving = b;
      } else {
        order[n++] = b;
      }
    }
    if (moving == null) {
      return all;
    }
    if (m.kind() == Migration.Kind.REMOVE) {
      System.arraycopy(order, 0, order, 1, n);
      order[0] = moving;
    } else {
      order[n] = moving;
    }
    return order;
  }
}
