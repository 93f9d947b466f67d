package io.ringlb.proxy;

import io.ringlb.server.RingArcs;
import io.ringlb.server.RingView;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * What the proxy shows of its ring on the HTTP port: each backend's state, keys (its DBSIZE, asked
 * of every backend at once) and counters, the arcs of the current placement, and the migration
 * under way and the last one.
 */
final class ProxyRingView {

  private ProxyRingView() {}

  /** Asks every backend of {@code t} for its keys and returns the view once all have answered. */
  static CompletionStage<RingView> of(ProxyContext proxy, Topology t) {
    Backend[] backends = t.backends();
    Object[] replies = new Object[backends.length];
    return ProxyInfo.askKeyCounts(backends, replies)
        .thenApply(done -> view(proxy, t, backends, replies));
  }

  private static RingView view(
      ProxyContext proxy, Topology t, Backend[] backends, Object[] replies) {
    List<RingView.Server> servers = new ArrayList<>();
    for (int i = 0; i < backends.length; i++) {
      Backend b = backends[i];
      boolean routed = t.placement().contains(b.id());
      String error =
          replies[i] instanceof Long
              ? null
              : replies[i] instanceof Values.Error e ? e.text() : String.valueOf(replies[i]);
      servers.add(
          new RingView.Server(
              b.id(),
              b.address(),
              ProxyInfo.state(t, b),
              routed,
              error == null,
              routed ? t.placement().points(b.id()) : 0,
              replies[i] instanceof Long n ? n : -1,
              routed ? t.placement().share(b.id()) : 0,
              -1,
              new RingView.BackendCounters(
                  b.requests(),
                  b.errorReplies(),
                  b.failures(),
                  b.timeouts(),
                  b.ejections(),
                  !b.down(),
                  replicaReads(b)),
              error));
    }
    RingControl ring = proxy.ring();
    return new RingView(
        "proxy",
        ring.placementName(),
        ring.hashTag() == null ? "none" : ring.hashTag().toString(),
        t.epoch(),
        servers,
        RingArcs.of(t.placement()),
        migration(t.migration()),
        migration(proxy.stats().lastMigration()),
        proxy.stats().keysMovedCompleted() + (t.migration() == null ? 0 : t.migration().moved()),
        proxy.stats().migrationsCompleted());
  }

  private static RingView.Migration migration(Migration m) {
    if (m == null) {
      return null;
    }
    return new RingView.Migration(
        m.kind().word(),
        m.server(),
        m.backend().address(),
        m.phase(),
        m.moved(),
        m.left(),
        m.rate(),
        m.seconds(),
        m.error());
  }

  /** The reads each replica of {@code b} served, by address; empty when it reads none. */
  private static java.util.Map<String, Long> replicaReads(Backend b) {
    ReplicaReads reads = b.replicaReads();
    if (reads == null) {
      return java.util.Map.of();
    }
    java.util.Map<String, Long> out = new java.util.TreeMap<>();
    for (Backend replica : reads.all()) {
      out.put(replica.address(), replica.requests());
    }
    return out;
  }
}
