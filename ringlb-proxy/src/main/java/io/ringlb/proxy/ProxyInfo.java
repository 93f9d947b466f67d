package io.ringlb.proxy;

import java.time.Instant;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/** The texts of the proxy's INFO sections and of RING NODES / STATS / LOCATE. */
final class ProxyInfo {

  private ProxyInfo() {}

  /** Returns the state RING NODES shows for {@code b}. */
  static String state(Topology t, Backend b) {
    if (b.isEjected()) {
      return "down";
    }
    Migration m = t.migration();
    if (m != null && m.server() == b.id()) {
      return m.kind() == Migration.Kind.ADD ? "importing" : "draining";
    }
    if (b.down()) {
      return "down";
    }
    return "serving";
  }

  private static long keys(Object reply) {
    return reply instanceof Long n ? n : -1;
  }

  static String nodes(ProxyContext proxy, Topology t, Backend[] backends, Object[] replies) {
    long total = 0;
    for (Object r : replies) {
      total += Math.max(0, keys(r));
    }
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < backends.length; i++) {
      Backend b = backends[i];
      long keys = keys(replies[i]);
      Migration m = t.migration();
      sb.append("id=")
          .append(b.id())
          .append(" address=")
          .append(b.address())
          .append(" state=")
          .append(state(t, b))
          .append(" labels=")
          .append(t.placement().points(b.id()))
          .append(" keys=")
          .append(keys)
          .append(" share_keys=")
          .append(fraction(total == 0 || keys < 0 ? 0 : (double) keys / total))
          .append(" share_ring=")
          .append(fraction(t.placement().share(b.id())));
      if (m != null && m.server() == b.id()) {
        sb.append(" migration=")
            .append(m.kind().word())
            .append(",moved:")
            .append(m.moved())
            .append(",left:")
            .append(m.left())
            .append(",rate:")
            .append(String.format(Locale.ROOT, "%.0f", m.rate()));
      } else {
        sb.append(" migration=-");
      }
      SentinelInfo.appendNode(sb, b);
      if (replies[i] instanceof Values.Error e) {
        sb.append(" error=").append(e.text().replace(' ', '_'));
      }
      sb.append('\n');
    }
    return sb.toString();
  }

  static String stats(ProxyContext proxy, Topology t, Backend[] backends, Object[] replies) {
    long total = 0;
    for (Object r : replies) {
      total += Math.max(0, keys(r));
    }
    StringBuilder sb = new StringBuilder();
    sb.append("placement:").append(proxy.ring().placementName()).append('\n');
    sb.append("hash_tag:")
        .append(proxy.ring().hashTag() == null ? "none" : proxy.ring().hashTag())
        .append('\n');
    sb.append("servers:").append(t.ringSize()).append('\n');
    sb.append("labels:").append(labels(t)).append('\n');
    sb.append("keys:").append(total).append('\n');
    sb.append("epoch:").append(t.epoch()).append('\n');
    sb.append("migration:")
        .append(t.migration() == null ? "none" : t.migration().describe())
        .append('\n');
    return sb.toString();
  }

  private static int labels(Topology t) {
    int n = 0;
    for (int id : t.placement().servers()) {
      n += t.placement().points(id);
    }
    return n;
  }

  static String locate(Topology t, int hash) {
    int owner = t.placement().serverFor(hash);
    StringBuilder sb = new StringBuilder();
    sb.append("hash=").append(Integer.toUnsignedString(hash)).append(" server=").append(owner);
    Backend b = owner < 0 ? null : t.backend(owner);
    if (b != null) {
      sb.append(" address=").append(b.address());
    }
    if (t.previous() != null) {
      int before = t.previous().serverFor(hash);
      if (before != owner) {
        sb.append(" moving_from=").append(before);
      }
    }
    return sb.toString();
  }

  /** Returns whether one of INFO's {@code sections} shows the backends' key counts. */
  static boolean countsKeys(Set<String> sections) {
    return sections.contains("keyspace") || sections.contains("ring");
  }

  /**
   * Asks each of {@code backends} for its DBSIZE, all at once, and puts the answer, or a {@link
   * Values.Error}, in {@code replies} at the backend's index; completes once all have answered.
   */
  static CompletableFuture<Void> askKeyCounts(Backend[] backends, Object[] replies) {
    CompletableFuture<?>[] counts = new CompletableFuture<?>[backends.length];
    for (int i = 0; i < backends.length; i++) {
      int index = i;
      counts[i] =
          backends[i]
              .call("DBSIZE")
              .handle(
                  (n, failure) -> {
                    replies[index] = failure == null ? n : new Values.Error(failure.getMessage());
                    return null;
                  });
    }
    return CompletableFuture.allOf(counts);
  }

  /**
   * Returns the proxy's lines of each wanted INFO section, by section: backend failures in stats,
   * and the keyspace, ring and migration sections; {@code replies} holds each backend's DBSIZE (or
   * its error), or nulls when no section shows key counts.
   */
  static Map<String, String> info(
      ProxyContext proxy, Topology t, Set<String> sections, Backend[] backends, Object[] replies) {
    Map<String, String> out = new HashMap<>();
    if (sections.contains("stats")) {
      long failures = 0;
      long unreplicated = 0;
      long blockingRefused = 0;
      for (Backend b : backends) {
        failures += b.failures();
        unreplicated += b.unreplicated();
        blockingRefused += b.blockingRefused();
      }
      out.put(
          "stats",
          "backend_failures:"
              + failures
              + "\r\n"
              + "sentinel_failovers:"
              + proxy.ring().sentinelFailovers()
              + "\r\n"
              + "writes_unreplicated:"
              + unreplicated
              + "\r\n"
              + "blocking_refused:"
              + blockingRefused
              + "\r\n"
              + "blocking_moved:"
              + proxy.stats().blockedMovedCount()
              + "\r\n");
    }
    if (sections.contains("keyspace")) {
      long keys = 0;
      for (Object r : replies) {
        keys += Math.max(0, keys(r));
      }
      out.put("keyspace", keys > 0 ? "db0:keys=" + keys + ",expires=0,avg_ttl=0\r\n" : "");
    }
    if (sections.contains("ring")) {
      StringBuilder sb =
          new StringBuilder()
              .append("ring_placement:")
              .append(proxy.ring().placementName())
              .append("\r\n")
              .append("ring_hash_tag:")
              .append(proxy.ring().hashTag() == null ? "none" : proxy.ring().hashTag())
              .append("\r\n")
              .append("ring_servers:")
              .append(t.ring().length)
              .append("\r\n")
              .append("ring_labels:")
              .append(labels(t))
              .append("\r\n")
              .append("ring_epoch:")
              .append(t.epoch())
              .append("\r\n");
      for (int i = 0; i < backends.length; i++) {
        Backend b = backends[i];
        sb.append("backend")
            .append(b.id())
            .append(":address=")
            .append(b.address())
            .append(",state=")
            .append(state(t, b))
            .append(",keys=")
            .append(keys(replies[i]))
            .append(",share_ring=")
            .append(fraction(t.placement().share(b.id())))
            .append(",failures=")
            .append(b.failures())
            .append(",requests=")
            .append(b.requests())
            .append(",error_replies=")
            .append(b.errorReplies())
            .append(",timeouts=")
            .append(b.timeouts())
            .append(",unreplicated=")
            .append(b.unreplicated())
            .append(",blocking_connections=")
            .append(b.blockingOpen())
            .append(",blocking_refused=")
            .append(b.blockingRefused());
        SentinelInfo.appendRing(sb, b);
        sb.append("\r\n");
      }
      out.put("ring", sb.toString());
    }
    if (sections.contains("cluster")) {
      out.put("cluster", proxy.ring().clusterInfo());
    }
    if (sections.contains("migration")) {
      Migration m = proxy.ring().migration();
      StringBuilder sb =
          new StringBuilder()
              .append("migrations_running:")
              .append(m == null ? 0 : 1)
              .append("\r\n")
              .append("migrations_completed:")
              .append(proxy.stats().migrationsCompleted())
              .append("\r\n");
      proxy.stats().barrierWaits().appendInfo(sb);
      if (m != null) {
        sb.append("migration0:").append(m.describe()).append("\r\n");
      }
      Migration last = proxy.stats().lastMigration();
      if (last != null) {
        sb.append("last_migration:").append(last.describe()).append("\r\n");
      }
      out.put("migration", sb.toString());
    }
    return out;
  }

  private static String fraction(double f) {
    return String.format(Locale.ROOT, "%.4f", f);
  }

  static String iso(long millis) {
    return Instant.ofEpochMilli(millis).toString();
  }
}
