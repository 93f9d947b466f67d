package io.ringlb.server.embedded;

import io.ringlb.core.HashTag;
import io.ringlb.core.LoadBalancer;
import io.ringlb.core.Placement;
import io.ringlb.server.RingArcs;
import io.ringlb.server.RingView;
import java.util.ArrayList;
import java.util.List;

/**
 * What the embedded server shows of its ring on the HTTP port: each server memory's keys, share and
 * heap, the arcs of the hash space, and the last ring change (whose keys moved at once, under the
 * keyspace lock).
 */
final class EmbeddedRingView {

  private EmbeddedRingView() {}

  /** Returns the view of {@code keyspace}; the caller holds its lock. */
  static RingView of(Keyspace keyspace) {
    LoadBalancer lb = keyspace.balancer();
    Placement p = lb.placement();
    List<RingView.Server> servers = new ArrayList<>();
    for (int id : lb.servers()) {
      servers.add(
          new RingView.Server(
              id,
              null,
              "serving",
              true,
              true,
              p.points(id),
              lb.keys(id),
              p.share(id),
              lb.footprint(id),
              null,
              null));
    }
    RingView.Migration last = null;
    if (keyspace.lastChangeKind != null) {
      double seconds = keyspace.lastChangeMicros / 1e6;
      long moved = keyspace.lastChangeKeysMoved;
      last =
          new RingView.Migration(
              keyspace.lastChangeKind,
              keyspace.lastChangeServer,
              null,
              "done",
              moved,
              0,
              seconds > 0 ? moved / seconds : 0,
              seconds,
              null);
    }
    HashTag tag = HashTag.tagOf(p);
    return new RingView(
        "embedded",
        p.name(),
        tag == null ? "none" : tag.toString(),
        RingCommands.epoch(keyspace),
        servers,
        RingArcs.of(p),
        null,
        last,
        keyspace.keysMovedTotal,
        keyspace.ringAdds + keyspace.ringRemoves);
  }
}
