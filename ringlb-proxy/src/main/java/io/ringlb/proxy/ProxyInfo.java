package io.ringlb.proxy;

import io.ringlb.server.Version;
import java.time.Instant;
import java.util.Locale;

/** The texts of INFO and RING NODES / STATS / LOCATE in proxy mode. */
final class ProxyInfo {

  private ProxyInfo() {}

  static String version() {
    return Version.current();
  }

  /** Returns the state RING NODES shows for {@code b}. */
  static String state(Topology t, Backend b) {
    if (b.ejected) {
      return "down";
    }
    Migration m = t.migration;
    if (m != null && m.server == b.id) {
      return m.kind == Migration.Kind.ADD ? "importing" : "draining";
    }
    if (b.down()) {
      return "down";
    }
    return "serving";
  }

  private static long keys(Object reply) {
    return reply instanceof Long n ? n : -1;
  }

  static String nodes(Proxy proxy, Topology t, Backend[] backends, Object[] replies) {
    long total = 0;
    for (Object r : replies) {
      total += Math.max(0, keys(r));
    }
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < backends.length; i++) {
      Backend b = backends[i];
      long keys = keys(replies[i]);
      Migration m = t.migration;
      sb.append("id=").append(b.id)
          .append(" address=").append(b.address)
          .append(" state=").append(state(t, b))
          .append(" labels=").append(t.placement.points(b.id))
          .append(" keys=").append(keys)
          .append(" share_keys=").append(fraction(total == 0 || keys < 0 ? 0 : (double) keys / total))
          .append(" share_ring=").append(fraction(t.placement.share(b.id)));
      if (m != null && m.server == b.id) {
        sb.append(" migration=").append(m.kind.word())
            .append(",moved:").append(m.moved())
            .append(",left:").append(m.left())
            .append(",rate:").append(String.format(Locale.ROOT, "%.0f", m.rate()));
      } else {
        sb.append(" migration=-");
      }
      if (replies[i] instanceof Replies.Error e) {
        sb.append(" error=").append(e.text().replace(' ', '_'));
      }
      sb.append('\n');
    }
    return sb.toString();
  }

  static String stats(Proxy proxy, Topology t, Backend[] backends, Object[] replies) {
    long total = 0;
    for (Object r : replies) {
      total += Math.max(0, keys(r));
    }
    StringBuilder sb = new StringBuilder();
    sb.append("placement:").append(proxy.placementName()).append('\n');
    sb.append("hash_tag:").append(proxy.hashTag() == null ? "none" : proxy.hashTag())
        .append('\n');
    sb.append("servers:").append(t.ring.length).append('\n');
    sb.append("labels:").append(labels(t)).append('\n');
    sb.append("keys:").append(total).append('\n');
    sb.append("epoch:").append(t.epoch).append('\n');
    sb.append("migration:").append(t.migration == null ? "none" : t.migration.describe())
        .append('\n');
    return sb.toString();
  }

  private static int labels(Topology t) {
    int n = 0;
    for (int id : t.placement.servers()) {
      n += t.placement.points(id);
    }
    return n;
  }

  static String locate(Topology t, int hash) {
    int owner = t.placement.serverFor(hash);
    StringBuilder sb = new StringBuilder();
    sb.append("hash=").append(Integer.toUnsignedString(hash))
        .append(" server=").append(owner);
    Backend b = owner < 0 ? null : t.backend(owner);
    if (b != null) {
      sb.append(" address=").append(b.address);
    }
    if (t.previous != null) {
      int before = t.previous.serverFor(hash);
      if (before != owner) {
        sb.append(" moving_from=").append(before);
      }
    }
    return sb.toString();
  }

  /** Returns whether INFO {@code section} shows the backends' key counts (DBSIZE of each). */
  static boolean countsKeys(String section) {
    return switch (section) {
      case "all", "everything", "default", "keyspace", "ring" -> true;
      default -> false;
    };
  }

  static String info(Proxy proxy, Topology t, String section, Backend[] backends,
      Object[] replies) {
    boolean all = section.equals("all") || section.equals("everything")
        || section.equals("default");
    StringBuilder sb = new StringBuilder();
    if (all || section.equals("server")) {
      sb.append("# Server\r\n")
          .append("ringlb_version:").append(version()).append("\r\n")
          .append("redis_version:7.0.0\r\n")
          .append("ringlb_mode:proxy\r\n")
          .append("process_id:").append(ProcessHandle.current().pid()).append("\r\n")
          .append("tcp_port:").append(proxy.config().port()).append("\r\n")
          .append("uptime_in_seconds:")
          .append((System.currentTimeMillis() - proxy.startedMillis) / 1000).append("\r\n")
          .append("\r\n");
    }
    if (all || section.equals("clients")) {
      sb.append("# Clients\r\n")
          .append("connected_clients:").append(proxy.clients.get()).append("\r\n")
          .append("maxclients:").append(proxy.config().maxClients()).append("\r\n")
          .append("\r\n");
    }
    if (all || section.equals("stats")) {
      sb.append("# Stats\r\n")
          .append("total_connections_received:").append(proxy.connectionsReceived.get())
          .append("\r\n")
          .append("total_commands_processed:").append(proxy.commands.sum()).append("\r\n")
          .append("instantaneous_ops_per_sec:").append(proxy.instantaneousOpsPerSecond())
          .append("\r\n")
          .append("rejected_connections:").append(proxy.rejectedConnections.get())
          .append("\r\n");
      long failures = 0;
      for (Backend b : backends) {
        failures += b.failures();
      }
      sb.append("backend_failures:").append(failures).append("\r\n").append("\r\n");
    }
    if (all || section.equals("memory")) {
      Runtime rt = Runtime.getRuntime();
      sb.append("# Memory\r\n")
          .append("used_memory:").append(rt.totalMemory() - rt.freeMemory()).append("\r\n")
          .append("\r\n");
    }
    if (all || section.equals("keyspace")) {
      long keys = 0;
      for (Object r : replies) {
        keys += Math.max(0, keys(r));
      }
      sb.append("# Keyspace\r\n");
      if (keys > 0) {
        sb.append("db0:keys=").append(keys).append(",expires=0,avg_ttl=0\r\n");
      }
      sb.append("\r\n");
    }
    if (all || section.equals("ring")) {
      sb.append("# Ring\r\n")
          .append("ring_placement:").append(proxy.placementName()).append("\r\n")
          .append("ring_hash_tag:").append(proxy.hashTag() == null ? "none" : proxy.hashTag())
          .append("\r\n")
          .append("ring_servers:").append(t.ring.length).append("\r\n")
          .append("ring_labels:").append(labels(t)).append("\r\n")
          .append("ring_epoch:").append(t.epoch).append("\r\n");
      for (int i = 0; i < backends.length; i++) {
        Backend b = backends[i];
        sb.append("backend").append(b.id).append(":address=").append(b.address)
            .append(",state=").append(state(t, b))
            .append(",keys=").append(keys(replies[i]))
            .append(",share_ring=").append(fraction(t.placement.share(b.id)))
            .append(",failures=").append(b.failures())
            .append(",requests=").append(b.requests.sum())
            .append(",error_replies=").append(b.errorReplies.sum())
            .append(",timeouts=").append(b.timeouts.get())
            .append("\r\n");
      }
      sb.append("\r\n");
    }
    if (all || section.equals("migration")) {
      Migration m = proxy.migration();
      sb.append("# Migration\r\n")
          .append("migrations_running:").append(m == null ? 0 : 1).append("\r\n")
          .append("migrations_completed:").append(proxy.migrationsCompleted()).append("\r\n");
      if (m != null) {
        sb.append("migration0:").append(m.describe()).append("\r\n");
      }
      Migration last = proxy.lastMigration();
      if (last != null) {
        sb.append("last_migration:").append(last.describe()).append("\r\n");
      }
      sb.append("\r\n");
    }
    return sb.toString();
  }

  private static String fraction(double f) {
    return String.format(Locale.ROOT, "%.4f", f);
  }

  static String iso(long millis) {
    return Instant.ofEpochMilli(millis).toString();
  }
}
