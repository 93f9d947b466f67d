package io.ringlb.server.embedded;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.ringlb.server.Session;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * One connection's subscriptions (channels and patterns) on the embedded server, and the
 * confirmations Redis answers (P)SUBSCRIBE and (P)UNSUBSCRIBE with: one {@code [kind, name, count]}
 * array per name (a push in RESP3), all of them the command's reply. Runs on the connection's event
 * loop.
 */
final class Subscriber {

  private final Session session;
  private final Channels registry;
  private final Set<ByteKey> channels = new LinkedHashSet<>();
  private final Set<ByteKey> patterns = new LinkedHashSet<>();

  Subscriber(Session session, Channels registry) {
    this.session = session;
    this.registry = registry;
  }

  Session session() {
    return session;
  }

  /** Returns whether the connection is in subscribed mode. */
  boolean active() {
    return !channels.isEmpty() || !patterns.isEmpty();
  }

  int count(boolean pattern) {
    return (pattern ? patterns : channels).size();
  }

  /** SUBSCRIBE or PSUBSCRIBE {@code names}; returns the confirmations as RESP. */
  ByteBuf subscribe(boolean pattern, List<byte[]> names) {
    ByteBuf out = Unpooled.buffer();
    for (byte[] name : names) {
      ByteKey key = new ByteKey(name);
      if ((pattern ? patterns : channels).add(key)) {
        registry.add(pattern, key, this);
      }
      confirm(out, pattern ? "psubscribe" : "subscribe", name);
    }
    return out;
  }

  /** UNSUBSCRIBE or PUNSUBSCRIBE {@code names}, or all when empty; returns the confirmations. */
  ByteBuf unsubscribe(boolean pattern, List<byte[]> names) {
    Set<ByteKey> set = pattern ? patterns : channels;
    String kind = pattern ? "punsubscribe" : "unsubscribe";
    ByteBuf out = Unpooled.buffer();
    List<byte[]> targets = names;
    if (names.isEmpty()) {
      targets = new ArrayList<>();
      for (ByteKey k : set) {
        targets.add(k.bytes());
      }
      if (targets.isEmpty()) {
        confirm(out, kind, null);
        return out;
      }
    }
    for (byte[] name : targets) {
      ByteKey key = new ByteKey(name);
      if (set.remove(key)) {
        registry.remove(pattern, key, this);
      }
      confirm(out, kind, name);
    }
    return out;
  }

  /** Drops every subscription (RESET, the connection's end). */
  void clear() {
    for (ByteKey k : channels) {
      registry.remove(false, k, this);
    }
    for (ByteKey k : patterns) {
      registry.remove(true, k, this);
    }
    channels.clear();
    patterns.clear();
  }

  private void confirm(ByteBuf out, String kind, byte[] name) {
    boolean resp3 = session.protocol() == 3;
    out.writeCharSequence(
        (resp3 ? ">3\r\n$" : "*3\r\n$") + kind.length() + "\r\n" + kind + "\r\n",
        StandardCharsets.US_ASCII);
    if (name == null) {
      out.writeCharSequence(resp3 ? "_\r\n" : "$-1\r\n", StandardCharsets.US_ASCII);
    } else {
      out.writeCharSequence("$" + name.length + "\r\n", StandardCharsets.US_ASCII);
      out.writeBytes(name);
      out.writeCharSequence("\r\n", StandardCharsets.US_ASCII);
    }
    out.writeCharSequence(
        ":" + (channels.size() + patterns.size()) + "\r\n", StandardCharsets.US_ASCII);
  }
}
