package io.ringlb.server.http;

import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.Unit;
import io.ringlb.server.RingView;
import java.util.List;
import java.util.function.Predicate;
import java.util.function.ToDoubleFunction;

/**
 * The ring's metrics: epoch, servers, keys, each server's and backend's figures, and the migration,
 * read from the {@link RingView} taken just before each scrape ({@link #update}). Every series of a
 * server is labelled {@code server}, the ring server id (a backend's id for the proxy).
 */
final class RingMetrics {

  /** The states a server can be in, as {@code ringlb_server_state} lists them. */
  private static final List<String> SERVER_STATES =
      List.of("serving", "importing", "draining", "down");

  /** The states of a migration, as {@code ringlb_migration_state} lists them. */
  private static final List<String> MIGRATION_STATES =
      List.of("none", "starting", "moving", "retrying", "finishing");

  private volatile RingView view = RingView.none("embedded");

  /** Registers the ring's metrics in {@code registry}. */
  RingMetrics(PrometheusRegistry registry) {
    gauge(registry, "ringlb_ring_epoch", "Rises with every change of the ring", v -> v.epoch());
    gauge(registry, "ringlb_ring_servers", "Servers in the ring", v -> v.servers().size());
    gauge(registry, "ringlb_ring_keys", "Keys held by all servers", RingView::keys);
    gauge(
        registry,
        "ringlb_ring_ready",
        "1 while the ring routes (every server owning keys reachable), else 0",
        v -> v.ready() ? 1 : 0);
    serverGauge(registry, "ringlb_server_keys", "Keys the server holds", s -> s.keys(), s -> true);
    serverGauge(
        registry,
        "ringlb_server_ring_share",
        "Fraction of the hash space the server owns",
        s -> s.ringShare(),
        s -> true);
    serverGauge(
        registry,
        "ringlb_server_labels",
        "The server's points on the ring",
        s -> s.labels(),
        s -> true);
    serverGauge(
        registry,
        GaugeWithCallback.builder()
            .name("ringlb_server_memory_bytes")
            .help("Estimated heap the data of an embedded server memory retains")
            .unit(Unit.BYTES),
        s -> s.memoryBytes(),
        s -> s.memoryBytes() >= 0);
    GaugeWithCallback.builder()
        .name("ringlb_server_state")
        .help("1 for the server's state (serving, importing, draining, down), 0 for the others")
        .labelNames("server", "state")
        .callback(
            cb -> {
              for (RingView.Server s : view.servers()) {
                for (String state : SERVER_STATES) {
                  cb.call(state.equals(s.state()) ? 1 : 0, Integer.toString(s.id()), state);
                }
              }
            })
        .register(registry);
    GaugeWithCallback.builder()
        .name("ringlb_backend_info")
        .help("1, labelled with each backend's address")
        .labelNames("server", "address")
        .callback(
            cb -> {
              for (RingView.Server s : view.servers()) {
                if (s.address() != null) {
                  cb.call(1, Integer.toString(s.id()), s.address());
                }
              }
            })
        .register(registry);
    serverGauge(
        registry,
        "ringlb_backend_up",
        "1 when the backend answered the scrape's DBSIZE and is not ejected, else 0",
        s -> s.reachable() && !"down".equals(s.state()) ? 1 : 0,
        s -> s.backend() != null);
    backendCounter(
        registry,
        "ringlb_backend_requests_total",
        "Commands sent to the backend, clients' and the proxy's own",
        RingView.BackendCounters::requests);
    backendCounter(
        registry,
        "ringlb_backend_error_replies_total",
        "Error replies the backend gave (WRONGTYPE...)",
        RingView.BackendCounters::errorReplies);
    backendCounter(
        registry,
        "ringlb_backend_failures_total",
        "Times the backend could not be reached or its connection failed",
        RingView.BackendCounters::failures);
    backendCounter(
        registry,
        "ringlb_backend_timeouts_total",
        "Requests to the backend that waited past the request timeout",
        RingView.BackendCounters::timeouts);
    backendCounter(
        registry,
        "ringlb_backend_ejections_total",
        "Times the backend was ejected (failed over: its keys routed to the next owners)",
        RingView.BackendCounters::ejections);
    CounterWithCallback.builder()
        .name("ringlb_backend_replica_reads_total")
        .help("Reads of one key a replica of the backend served (read-from), per replica address")
        .labelNames("server", "replica")
        .callback(
            cb -> {
              for (RingView.Server s : view.servers()) {
                if (s.backend() != null) {
                  String id = Integer.toString(s.id());
                  s.backend().replicaReads().forEach((replica, n) -> cb.call(n, id, replica));
                }
              }
            })
        .register(registry);
    gauge(
        registry,
        "ringlb_migration_running",
        "1 while a migration moves keys, else 0",
        v -> v.migration() == null ? 0 : 1);
    GaugeWithCallback.builder()
        .name("ringlb_migration_state")
        .help("1 for the running migration's state (none when no migration runs), 0 for the others")
        .labelNames("state")
        .callback(
            cb -> {
              RingView.Migration m = view.migration();
              String now = m == null ? "none" : m.state();
              for (String state : MIGRATION_STATES) {
                cb.call(state.equals(now) ? 1 : 0, state);
              }
            })
        .register(registry);
    GaugeWithCallback.builder()
        .name("ringlb_migration_info")
        .help("1 while a migration runs, labelled with its kind (add or remove) and server")
        .labelNames("kind", "server")
        .callback(
            cb -> {
              RingView.Migration m = view.migration();
              if (m != null) {
                cb.call(1, m.kind(), Integer.toString(m.server()));
              }
            })
        .register(registry);
    migrationGauge(
        registry,
        "ringlb_migration_keys_moved",
        "Keys the running migration moved so far (0 when none runs)",
        RingView.Migration::keysMoved);
    migrationGauge(
        registry,
        "ringlb_migration_keys_left",
        "Keys the running migration has still to move, estimated while a server joins; -1 unknown",
        RingView.Migration::keysLeft);
    migrationGauge(
        registry,
        "ringlb_migration_rate_keys_per_second",
        "Keys the running migration moves per second",
        RingView.Migration::rate);
    CounterWithCallback.builder()
        .name("ringlb_keys_moved_total")
        .help("Keys moved by every ring change since start")
        .callback(cb -> cb.call(view.keysMovedTotal()))
        .register(registry);
    CounterWithCallback.builder()
        .name("ringlb_migrations_completed_total")
        .help("Ring changes whose keys have all moved, since start")
        .callback(cb -> cb.call(view.migrationsCompleted()))
        .register(registry);
  }

  /** Takes {@code next} as the view the next scrape reads. */
  void update(RingView next) {
    view = next;
  }

  private void gauge(
      PrometheusRegistry registry, String name, String help, ToDoubleFunction<RingView> value) {
    GaugeWithCallback.builder()
        .name(name)
        .help(help)
        .callback(cb -> cb.call(value.applyAsDouble(view)))
        .register(registry);
  }

  private void serverGauge(
      PrometheusRegistry registry,
      String name,
      String help,
      ToDoubleFunction<RingView.Server> value,
      Predicate<RingView.Server> which) {
    serverGauge(registry, GaugeWithCallback.builder().name(name).help(help), value, which);
  }

  /**
   * Registers {@code gauge}, labelled {@code server}, with the value of each server {@code which}
   * takes.
   */
  private void serverGauge(
      PrometheusRegistry registry,
      GaugeWithCallback.Builder gauge,
      ToDoubleFunction<RingView.Server> value,
      Predicate<RingView.Server> which) {
    gauge
        .labelNames("server")
        .callback(
            cb -> {
              for (RingView.Server s : view.servers()) {
                if (which.test(s)) {
                  cb.call(value.applyAsDouble(s), Integer.toString(s.id()));
                }
              }
            })
        .register(registry);
  }

  private void backendCounter(
      PrometheusRegistry registry,
      String name,
      String help,
      ToDoubleFunction<RingView.BackendCounters> value) {
    CounterWithCallback.builder()
        .name(name)
        .help(help)
        .labelNames("server")
        .callback(
            cb -> {
              for (RingView.Server s : view.servers()) {
                if (s.backend() != null) {
                  cb.call(value.applyAsDouble(s.backend()), Integer.toString(s.id()));
                }
              }
            })
        .register(registry);
  }

  private void migrationGauge(
      PrometheusRegistry registry,
      String name,
      String help,
      ToDoubleFunction<RingView.Migration> value) {
    GaugeWithCallback.builder()
        .name(name)
        .help(help)
        .callback(
            cb -> {
              RingView.Migration m = view.migration();
              cb.call(m == null ? 0 : value.applyAsDouble(m));
            })
        .register(registry);
  }
}
