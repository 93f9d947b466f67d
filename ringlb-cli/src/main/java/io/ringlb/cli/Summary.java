package io.ringlb.cli;

import io.ringlb.core.LoadBalancer;
import io.ringlb.core.Placement;
import java.util.Locale;

/** Renders the per-server table that {@code ringlb run --summary} prints after a run. */
final class Summary {

  private Summary() {}

  /** Returns the table: one row per server with its labels, keys, share of keys and of the ring. */
  static String of(LoadBalancer balancer) {
    Placement placement = balancer.placement();
    long total = balancer.size();
    StringBuilder table = new StringBuilder();
    table.append(
        String.format(
            Locale.ROOT,
            "%8s %7s %12s %10s %10s%n",
            "server",
            "labels",
            "keys",
            "key share",
            "ring share"));
    for (int id : balancer.servers()) {
      int keys = balancer.keys(id);
      table.append(
          String.format(
              Locale.ROOT,
              "%8d %7d %12d %9.2f%% %9.2f%%%n",
              id,
              placement.points(id),
              keys,
              total == 0 ? 0.0 : 100.0 * keys / total,
              100.0 * placement.share(id)));
    }
    table.append(
        String.format(
            Locale.ROOT,
            "%8s %7s %12d   (%d servers, placement %s)%n",
            "total",
            "",
            total,
            balancer.serverCount(),
            placement.name()));
    return table.toString();
  }
}
