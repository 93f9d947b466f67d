package io.ringlb.server.embedded;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.redis.FullBulkStringRedisMessage;
import io.netty.handler.codec.redis.RedisMessage;
import io.ringlb.server.Glob;
import io.ringlb.server.Replies;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The embedded server's publish/subscribe registry: which connections subscribe to each channel and
 * pattern, shared by every event loop (its own lock, never the keyspace's). PUBLISH pushes the
 * message to each receiver's connection, which writes it on its own loop after the replies already
 * due there.
 */
final class Channels {

  private static final byte[] MESSAGE = "message".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] PMESSAGE = "pmessage".getBytes(StandardCharsets.US_ASCII);

  private final Map<ByteKey, Set<Subscriber>> channels = new HashMap<>();
  private final Map<ByteKey, Set<Subscriber>> patterns = new HashMap<>();

  /** Adds {@code subscriber} to a channel or pattern; returns whether it was not there yet. */
  synchronized boolean add(boolean pattern, ByteKey name, Subscriber subscriber) {
    return (pattern ? patterns : channels)
        .computeIfAbsent(name, k -> new LinkedHashSet<>())
        .add(subscriber);
  }

  /** Removes {@code subscriber} from a channel or pattern. */
  synchronized void remove(boolean pattern, ByteKey name, Subscriber subscriber) {
    Map<ByteKey, Set<Subscriber>> map = pattern ? patterns : channels;
    Set<Subscriber> set = map.get(name);
    if (set != null && set.remove(subscriber) && set.isEmpty()) {
      map.remove(name);
    }
  }

  /** Sends {@code payload} on {@code channel}; returns how many receptions (Redis's count). */
  long publish(byte[] channel, byte[] payload) {
    List<Subscriber> direct;
    List<Object[]> matched = new ArrayList<>();
    synchronized (this) {
      Set<Subscriber> set = channels.get(new ByteKey(channel));
      direct = set == null ? List.of() : new ArrayList<>(set);
      for (Map.Entry<ByteKey, Set<Subscriber>> e : patterns.entrySet()) {
        if (Glob.matches(e.getKey().bytes(), channel)) {
          for (Subscriber s : e.getValue()) {
            matched.add(new Object[] {e.getKey().bytes(), s});
          }
        }
      }
    }
    for (Subscriber s : direct) {
      s.session().push(frame(MESSAGE, channel, payload));
    }
    for (Object[] m : matched) {
      ((Subscriber) m[1]).session().push(frame(PMESSAGE, (byte[]) m[0], channel, payload));
    }
    return direct.size() + (long) matched.size();
  }

  private static RedisMessage frame(byte[]... parts) {
    List<RedisMessage> children = new ArrayList<>(parts.length);
    for (byte[] p : parts) {
      children.add(
          p.length == 0
              ? FullBulkStringRedisMessage.EMPTY_INSTANCE
              : new FullBulkStringRedisMessage(Unpooled.copiedBuffer(p)));
    }
    return Replies.push(children);
  }

  /** Returns the channels with at least one subscriber matching {@code pattern} (null: all). */
  synchronized List<byte[]> channels(byte[] pattern) {
    List<byte[]> out = new ArrayList<>();
    for (ByteKey name : channels.keySet()) {
      if (pattern == null || Glob.matches(pattern, name.bytes())) {
        out.add(name.bytes());
      }
    }
    return out;
  }

  /** Returns how many connections subscribe to {@code channel}. */
  synchronized int subscribers(byte[] channel) {
    Set<Subscriber> set = channels.get(new ByteKey(channel));
    return set == null ? 0 : set.size();
  }

  /** Returns how many patterns have at least one subscriber. */
  synchronized int patterns() {
    return patterns.size();
  }
}
