package io.ringlb.proxy;

import static io.ringlb.proxy.RingException.rejected;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Keeps one proxy's ring in step with its cluster's ring in etcd ({@link ClusterRing}): joins the
 * cluster, applies and acknowledges every ring another proxy publishes, and ends a change whose
 * proxy stopped (rolled back at {@code prepare}, taken over after it); this proxy's own changes run
 * in {@link ClusterChanges}, its fencing in {@link ClusterFencing}, RING ABORT through any proxy in
 * {@link ClusterAbort}.
 *
 * <p>A change has three steps. {@code prepare}: every proxy adopts the migration's topology but
 * holds new requests (none is sent, so no key moves while any proxy may still write by the old
 * ring). {@code migrate}: every proxy sends them, moving keys on access; the proxy running the
 * change moves the rest. {@code stable}: every proxy routes by the new ring; the change's reply
 * comes then.
 */
final class ClusterSync {

  /**
   * How long a proxy holds requests at another proxy's {@code prepare} step before it rolls the
   * change back: longer than the running proxy's own wait for acknowledgements.
   */
  private static final Duration HOLD_LIMIT = ClusterChanges.ACK_TIMEOUT.plusSeconds(8);

  private final ControlPlane plane;
  private final ProxyConfig config;
  private final ClusterRing ring;
  private final ScheduledExecutorService poller;
  private final AtomicLong queued = new AtomicLong();

  /** How often the ring is read besides the watch. */
  private static final long POLL_MILLIS = 1000;

  private volatile io.etcd.jetcd.Watch.Watcher watcher;
  private volatile List<String> proxies = List.of();
  private String step = ClusterRing.STABLE;
  private volatile boolean closed;

  /** The epoch of the prepare step this proxy holds requests at (another's change), or 0. */
  private volatile long heldAt;

  private volatile long heldSince;

  /** The ring this proxy routed by before the held prepare step. */
  private volatile RingHistory beforeHold;

  /** This proxy's membership as the backends see it: its ACL user, fencing the others. */
  private final ClusterFencing fencing;

  /** RING ABORT through any proxy of the cluster. */
  private final ClusterAbort abort;

  /** The ring changes this proxy runs. */
  private final ClusterChanges changes;

  /** A rollback or takeover is queued on the control thread. */
  private final java.util.concurrent.atomic.AtomicBoolean recovering =
      new java.util.concurrent.atomic.AtomicBoolean();

  ClusterSync(ControlPlane plane, ProxyConfig config) {
    this.plane = plane;
    this.config = config;
    String address = config.bindHost() + ":" + config.port();
    String id =
        config.port() != 0
            ? address
            : "proxy-"
                + ProcessHandle.current().pid()
                + "-"
                + Integer.toHexString(ThreadLocalRandom.current().nextInt(1 << 24));
    this.ring = ClusterRing.connect(config.cluster(), id, address);
    this.poller =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "ringlb-cluster");
              t.setDaemon(true);
              return t;
            });
    this.fencing =
        new ClusterFencing(
            plane,
            config,
            ring,
            poller,
            BackendFence.nodesOf(plane::sentinels, plane.upstream()),
            r -> {
              queued.set(r.revision());
              apply(r, true);
            });
    this.abort = new ClusterAbort(ring, poller);
    this.changes = new ClusterChanges(plane, ring, fencing, abort);
  }

  /** This proxy's membership as the backends see it. */
  ClusterFencing fencing() {
    return fencing;
  }

  /** The ring changes this proxy runs (control thread). */
  ClusterChanges changes() {
    return changes;
  }

  /**
   * RING ABORT of the change another proxy runs: recorded in etcd, answered once that proxy (or the
   * one that took the change over) ended the abort.
   */
  CompletableFuture<String> requestAbort() {
    return abort.request();
  }

  /**
   * Registers this proxy and returns the cluster's ring, first creating it from the configured
   * backends when there is none; refuses a configured backend list that disagrees with it.
   */
  StateFile.State join() throws IOException {
    StateFile.State initial = null;
    if (!config.backends().isEmpty()) {
      RingHistory h = RingHistory.startingFrom(config, null, null);
      initial = StateFile.State.of(h, null, id -> config.backends().get(id));
    }
    ClusterRing.Ring r;
    try {
      ring.connect();
      r = fencing.register(initial);
    } catch (IOException e) {
      ring.close();
      throw e;
    }
    if (!config.backends().isEmpty()) {
      String stored = describe(r.state(), r.state().ring());
      String given = describe(config.backends());
      String before =
          r.state().previous() == null ? null : describe(r.state(), r.state().previous());
      if (!stored.equals(given) && !given.equals(before)) {
        ring.close();
        throw new IOException(
            "the --backend list "
                + given
                + " disagrees with the ring of cluster "
                + config.cluster().name()
                + " in etcd (epoch "
                + r.revision()
                + "): "
                + stored
                + "; leave --backend out to join the cluster, or give its backends");
      }
    }
    step = r.step();
    queued.set(r.revision());
    pendingAck = r.revision();
    return r.state();
  }

  private long pendingAck;

  private static String describe(StateFile.State s, int[] ids) {
    Map<Integer, BackendSpec> out = new TreeMap<>();
    for (int id : ids) {
      out.put(id, s.backends().get(id));
    }
    return describe(out);
  }

  private static String describe(Map<Integer, BackendSpec> specs) {
    List<String> out = new ArrayList<>();
    specs.forEach((id, spec) -> out.add(id + "=" + spec.address()));
    return String.join(",", out);
  }

  /** The first topology is published: hold it if the change is at its first step, acknowledge. */
  void joined(Topologies topologies) throws IOException {
    try {
      if (ClusterRing.PREPARE.equals(step)) {
        topologies.holdCurrent();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
    ring.acknowledge(pendingAck);
    plane.upstream().onLoginRefused(fencing::loginRefused);
    watch();
    // the watch brings every change at once; the read every second is the backstop, and finds
    // changes left behind by a proxy that stopped
    poller.scheduleWithFixedDelay(this::poll, POLL_MILLIS, POLL_MILLIS, TimeUnit.MILLISECONDS);
    poller.scheduleWithFixedDelay(this::beat, 1000, 1000, TimeUnit.MILLISECONDS);
  }

  /** Watches the ring in etcd, reading it at each write; watches again after the watch ends. */
  private void watch() {
    if (closed) {
      return;
    }
    io.etcd.jetcd.Watch.Watcher old = watcher;
    if (old != null) {
      old.close();
    }
    try {
      watcher =
          ring.watchRing(
              () -> runOnPoller(this::poll),
              error -> runOnPoller(() -> poller.schedule(this::watch, 500, TimeUnit.MILLISECONDS)));
    } catch (RuntimeException e) {
      runOnPoller(() -> poller.schedule(this::watch, 500, TimeUnit.MILLISECONDS));
    }
    poll(); // a write between the last read and the watch's start
  }

  private void runOnPoller(Runnable r) {
    try {
      poller.execute(r);
    } catch (RejectedExecutionException closing) {
      // closing
    }
  }

  private void beat() {
    if (ring.fenced()) {
      fencing.scheduleRejoin();
    }
    if (ring.heartbeat()) {
      try {
        proxies = ring.members().proxies();
      } catch (IOException | RuntimeException e) {
        // shown as unreachable in INFO cluster
      }
    }
  }

  /** Reads the ring; one that another proxy published is applied on the control thread. */
  private void poll() {
    if (closed) {
      return;
    }
    ClusterRing.Ring r;
    try {
      r = ring.read();
    } catch (IOException | RuntimeException e) {
      return; // etcd unreachable: keep routing by the ring we have
    }
    if (r == null) {
      return;
    }
    if (ring.runsChange()) {
      abort.check(plane.migration(), abortTimeoutMillis());
    }
    if (r.revision() == ring.applied()) {
      checkStuck(r);
      return;
    }
    if (r.revision() < ring.applied()) {
      return;
    }
    long q = queued.get();
    if (r.revision() > q && queued.compareAndSet(q, r.revision())) {
      try {
        plane.controlThread().execute(() -> apply(r));
      } catch (RejectedExecutionException closing) {
        // closing
      }
    }
  }

  /** Routes by {@code r}, a ring another proxy published, and acknowledges it; control thread. */
  private void apply(ClusterRing.Ring r) {
    apply(r, false);
  }

  private void apply(ClusterRing.Ring r, boolean again) {
    if ((!again && r.revision() <= ring.applied()) || closed) {
      return;
    }
    try {
      StateFile.State s = r.state();
      RingHistory h = RingHistory.of(s.placement(), s.hashTag(), s.history());
      for (BackendSpec spec : s.backends().values()) {
        plane.ensureBackend(spec);
      }
      Topologies topologies = plane.topologies();
      if (s.previous() == null) {
        plane.route(h, null);
        topologies.publish(h.placement(), null, h.ids(), plane.members(h.ids()), null);
        plane.forgetAllBut(h.ids());
      } else {
        Migration m = plane.migrationOf(s, h);
        RingHistory before = plane.history();
        plane.route(h, m);
        List<Backend> members =
            plane.members(s.backends().keySet().stream().mapToInt(Integer::intValue).toArray());
        if (ClusterRing.PREPARE.equals(r.step())) {
          if (heldAt == 0) {
            beforeHold = before;
          }
          heldSince = System.nanoTime();
          heldAt = r.revision();
          topologies.publishHeld(m.current(), m.previous(), h.ids(), members, m);
        } else {
          topologies.publish(m.current(), m.previous(), h.ids(), members, m);
        }
      }
      if (!ClusterRing.PREPARE.equals(r.step())) {
        heldAt = 0;
      }
      step = r.step();
      ring.acknowledge(r.revision());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ClusterRing.FencedException e) {
      fencing.scheduleRejoin();
    } catch (IOException | RuntimeException e) {
      System.err.println(
          "ringlb: cannot apply epoch " + r.revision() + " of the cluster's ring: " + e);
      queued.set(ring.applied()); // read it again at the next poll
    }
  }

  // ---- a change whose proxy stopped (poller thread, then control thread)

  /**
   * Ends a change another proxy left behind: a {@code prepare} step held longer than {@link
   * #HOLD_LIMIT}, or whose proxy's lease expired, is rolled back; a {@code migrate} step whose
   * proxy's lease expired is taken over and finished here.
   */
  private void checkStuck(ClusterRing.Ring r) {
    if (ring.runsChange() || recovering.get()) {
      return;
    }
    boolean prepare = ClusterRing.PREPARE.equals(r.step()) && heldAt == r.revision();
    boolean migrate = ClusterRing.MIGRATE.equals(r.step());
    if (!prepare && !migrate) {
      return;
    }
    boolean runnerGone;
    try {
      runnerGone = ring.change() == null;
    } catch (IOException e) {
      return; // etcd away: the running proxy cannot go on either; hold on
    }
    boolean overdue = prepare && System.nanoTime() - heldSince > HOLD_LIMIT.toNanos();
    if (!runnerGone && !overdue) {
      return;
    }
    if (!recovering.compareAndSet(false, true)) {
      return;
    }
    try {
      plane
          .controlThread()
          .execute(
              () -> {
                try {
                  if (prepare) {
                    rollBackHeld(r, runnerGone);
                  } else {
                    takeOver(r);
                  }
                } finally {
                  recovering.set(false);
                }
              });
    } catch (RejectedExecutionException closing) {
      recovering.set(false);
    }
  }

  /** Routes by the ring before the held prepare step {@code r} once etcd records it failed. */
  private void rollBackHeld(ClusterRing.Ring r, boolean runnerGone) {
    RingHistory before = beforeHold;
    if (heldAt != r.revision() || before == null || ring.applied() != r.revision()) {
      return;
    }
    String reason =
        "the change of epoch "
            + r.revision()
            + " (by proxy "
            + r.runner()
            + ") was rolled back by proxy "
            + ring.id()
            + ": "
            + (runnerGone ? "its proxy's lease expired" : "no step came within " + HOLD_LIMIT)
            + " after prepare";
    if (runnerGone && !fencing.fenceRunner(r.runner(), r.state())) {
      return;
    }
    try {
      long back =
          ring.rollBackPrepare(r.revision(), plane.stateOf(before), r.runner(), runnerGone, reason);
      if (back < 0) {
        return; // the next step came meanwhile: the next poll applies it
      }
      heldAt = 0;
      changes.routeBy(before);
      step = ClusterRing.STABLE;
      queued.set(back);
      ring.acknowledge(back);
      System.err.println("ringlb: " + reason);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (IOException | RuntimeException e) {
      System.err.println("ringlb: cannot roll back the stuck change: " + e);
    }
  }

  /** Takes over the migrate step {@code r} whose proxy's lease expired, and finishes it here. */
  private void takeOver(ClusterRing.Ring r) {
    if (ring.applied() != r.revision()) {
      return;
    }
    String label = "RING change of epoch " + r.revision() + " taken over from proxy " + r.runner();
    if (!fencing.fenceRunner(r.runner(), r.state())) {
      return;
    }
    try {
      if (!changes.takeOver(r.revision(), r.runner(), label)) {
        return;
      }
    } catch (IOException | RuntimeException e) {
      return; // tried again at the next poll
    }
    System.err.println("ringlb: " + label + "; finishing its migration");
    CompletableFuture<String> undone;
    try {
      undone = abort.takingOver(plane.migration(), abortTimeoutMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return;
    }
    plane.finishTakenOver(undone);
  }

  // ---- views

  /** RING PROXIES: every proxy of the cluster, one line each. */
  CompletableFuture<String> proxiesNow() {
    return CompletableFuture.supplyAsync(
        () -> {
          try {
            return String.join("\n", ring.members().proxies());
          } catch (IOException e) {
            throw rejected("cannot list the proxies: " + e.getMessage());
          }
        },
        poller);
  }

  /** The proxy is bound at {@code address} (port 0 configured): shown from now on. */
  void bound(String address) {
    ring.bound(address);
  }

  /** INFO cluster's lines, from the last heartbeat's view. */
  String info() {
    StringBuilder sb =
        new StringBuilder()
            .append("cluster_name:")
            .append(config.cluster().name())
            .append("\r\n")
            .append("cluster_etcd:")
            .append(String.join(",", config.cluster().etcd()))
            .append("\r\n")
            .append("cluster_etcd_reachable:")
            .append(ring.reachable() ? 1 : 0)
            .append("\r\n")
            .append("proxy_id:")
            .append(ring.id())
            .append("\r\n")
            .append("ring_epoch:")
            .append(ring.applied())
            .append("\r\n");
    List<String> all = proxies;
    for (int i = 0; i < all.size(); i++) {
      sb.append("proxy").append(i).append(':').append(all.get(i).replace(' ', ',')).append("\r\n");
    }
    return sb.toString();
  }

  private long abortTimeoutMillis() {
    return config.requestTimeout().toMillis() + 1000;
  }

  void close() {
    closed = true;
    fencing.close();
    abort.close();
    io.etcd.jetcd.Watch.Watcher w = watcher;
    if (w != null) {
      w.close();
    }
    poller.shutdownNow();
    ring.close();
  }
}
