package io.ringlb.proxy;

/**
 * What RING NODES and INFO ring show of a Sentinel-managed shard: its primary, its replicas with
 * their lag, and the last failover followed with its time; nothing for a plain backend.
 */
final class SentinelInfo {

  private SentinelInfo() {}

  /** Appends RING NODES' fields for {@code b}: {@code primary= replicas= failovers=...}. */
  static void appendNode(StringBuilder sb, Backend b) {
    SentinelShard s = b.shard();
    if (s == null) {
      return;
    }
    sb.append(" master=").append(s.master());
    sb.append(" primary=").append(orDash(s.primaryAddress()));
    sb.append(" replicas=").append(replicas(b, s, ";"));
    sb.append(" read_from=").append(readFrom(b));
    sb.append(" failovers=").append(s.failovers());
    sb.append(" last_failover=").append(lastFailover(s));
    if (s.lastError() != null) {
      sb.append(" sentinel_error=").append(s.lastError().replace(' ', '_'));
    }
  }

  /** Appends INFO ring's fields for {@code b}, comma separated as its backend line. */
  static void appendRing(StringBuilder sb, Backend b) {
    SentinelShard s = b.shard();
    if (s == null) {
      return;
    }
    sb.append(",master=").append(s.master());
    sb.append(",primary=").append(orDash(s.primaryAddress()));
    sb.append(",replicas=").append(replicas(b, s, ";"));
    sb.append(",read_from=").append(readFrom(b));
    sb.append(",failovers=").append(s.failovers());
    sb.append(",last_failover=").append(lastFailover(s));
  }

  private static String readFrom(Backend b) {
    ReplicaReads reads = b.replicaReads();
    return reads == null ? ReadFrom.Mode.PRIMARY.toString() : reads.mode().toString();
  }

  /**
   * {@code HOST:PORT/up/lag=Ns/behind=Nb} per replica, then {@code /reads=N} when the shard reads
   * from replicas; or {@code -}.
   */
  private static String replicas(Backend b, SentinelShard s, String separator) {
    ReplicaReads reads = b.replicaReads();
    StringBuilder sb = new StringBuilder();
    for (SentinelShard.Replica r : s.replicas()) {
      if (sb.length() > 0) {
        sb.append(separator);
      }
      sb.append(r.address())
          .append(r.up() ? "/up" : "/down")
          .append("/lag=")
          .append(r.lagSeconds() < 0 ? "?" : r.lagSeconds() + "s")
          .append("/behind=")
          .append(r.lagBytes() < 0 ? "?" : r.lagBytes() + "b");
      if (reads != null) {
        sb.append("/reads=").append(reads.reads(r.address()));
      }
    }
    return sb.length() == 0 ? "-" : sb.toString();
  }

  /** {@code OLD->NEW@TIME} of the last failover followed, or {@code -}. */
  private static String lastFailover(SentinelShard s) {
    String last = s.lastFailover();
    if (last == null) {
      return "-";
    }
    return last.replace(" -> ", "->") + "@" + ProxyInfo.iso(s.lastFailoverMillis());
  }

  private static String orDash(String text) {
    return text == null ? "-" : text;
  }
}
