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
 * cluster, applies every ring another proxy publishes, and runs this proxy's ring changes as steps
 * every member acknowledges before the next one.
 *
 * <p>A change has three steps. {@code prepare}: every proxy adopts the migration's topology but
 * holds new requests (none is sent, so no key moves while any proxy may still write by the old
 * ring). {@code migrate}: every proxy sends them, moving keys on access; the proxy running the
 * change moves the rest. {@code stable}: every proxy routes by the new ring; the change's reply
 * comes then. A member that does not acknowledge {@code prepare} in time rolls the change back (no
 * key has moved yet); this proxy never goes on without every member's acknowledgement.
 */
final class ClusterSync {

  /** How long a step waits for every member's acknowledgement. */
  private static final Duration ACK_TIMEOUT = Duration.ofSeconds(10);

  /**
   * How long a proxy holds requests at another proxy's {@code prepare} step before it rolls the
   * change back: longer than the running proxy's own wait for acknowledgements.
   */
  private static final Duration HOLD_LIMIT = ACK_TIMEOUT.plusSeconds(2);

  private final ControlPlane plane;
  private final ProxyConfig config;
  private final ClusterRing ring;
  private final ScheduledExecutorService poller;
  private final AtomicLong queued = new AtomicLong();
  private volatile List<String> proxies = List.of();
  private String step = ClusterRing.STABLE;
  private volatile boolean closed;

  /** The epoch of the prepare step this proxy holds requests at (another's change), or 0. */
  private volatile long heldAt;

  private volatile long heldSince;

  /** The ring this proxy routed by before the held prepare step. */
  private volatile RingHistory beforeHold;

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
      r = ring.join(initial);
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
    poller.scheduleWithFixedDelay(this::poll, 50, 50, TimeUnit.MILLISECONDS);
    poller.scheduleWithFixedDelay(this::beat, 1000, 1000, TimeUnit.MILLISECONDS);
  }

  private void beat() {
    if (ring.heartbeat()) {
      try {
        proxies = ring.proxies();
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
    if (r.revision() <= ring.applied() || closed) {
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
    try {
      long back =
          ring.rollBackPrepare(r.revision(), plane.stateOf(before), r.runner(), runnerGone, reason);
      if (back < 0) {
        return; // the next step came meanwhile: the next poll applies it
      }
      heldAt = 0;
      plane.route(before, null);
      plane
          .topologies()
          .publish(before.placement(), null, before.ids(), plane.members(before.ids()), null);
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
    try {
      if (!ring.takeOver(r.revision(), r.runner(), label)) {
        return;
      }
    } catch (IOException | RuntimeException e) {
      return; // tried again at the next poll
    }
    System.err.println("ringlb: " + label + "; finishing its migration");
    plane.finishTakenOver();
  }

  // ---- this proxy's changes (control thread)

  /** Takes the cluster's change slot for {@code label}, or throws naming the change under way. */
  void begin(String label) {
    ring.beginChange(label);
  }

  /** Gives the change slot back. */
  void end() {
    ring.endChange();
  }

  /** The change under way in the cluster, described. */
  String change() {
    try {
      String c = ring.change();
      return c == null ? "none" : c;
    } catch (IOException e) {
      return "unknown: " + e.getMessage();
    }
  }

  /**
   * Publishes {@code h} (with {@code running}, whose state is {@code state}) as this proxy's
   * change's next step and waits for every member to acknowledge it.
   */
  void adopt(RingHistory h, Migration running, StateFile.State state, List<Backend> members)
      throws InterruptedException {
    Topologies topologies = plane.topologies();
    if (running == null) {
      publishStable(state, h, members);
      return;
    }
    RingHistory before = plane.history();
    long prepare;
    try {
      prepare = ring.publish(ClusterRing.PREPARE, state);
    } catch (RingException e) {
      rollBack(before);
      throw e;
    }
    plane.route(h, running);
    topologies.publishHeld(running.current(), running.previous(), h.ids(), members, running);
    try {
      ring.acknowledge(prepare);
      ring.awaitAcks(prepare, ClusterRing.PREPARE, ACK_TIMEOUT);
    } catch (IOException | RingException e) {
      rollBack(before);
      throw rejected(
          "RING "
              + running.label()
              + " did not start, every proxy routes by the ring before it: "
              + e.getMessage());
    }
    long migrate;
    try {
      migrate = ring.publish(ClusterRing.MIGRATE, state);
    } catch (RingException e) {
      rollBack(before);
      throw rejected(
          "RING "
              + running.label()
              + " did not start, every proxy routes by the ring before it: "
              + e.getMessage());
    }
    topologies.release();
    try {
      ring.acknowledge(migrate);
      ring.awaitAcks(migrate, ClusterRing.MIGRATE, ACK_TIMEOUT);
    } catch (IOException | RingException e) {
      // Every member acknowledged prepare, so routes by the migration: moving keys is safe.
      System.err.println("ringlb: " + e.getMessage() + "; the migration goes on");
    }
  }

  /** Publishes {@code h} with no migration as the ring and waits for every member. */
  void publishStable(StateFile.State state, RingHistory h, List<Backend> members)
      throws InterruptedException {
    long stable = ring.publish(ClusterRing.STABLE, state);
    plane.route(h, null);
    plane.topologies().publish(h.placement(), null, h.ids(), members, null);
    try {
      ring.acknowledge(stable);
    } catch (IOException e) {
      throw rejected("the ring changed, but this proxy cannot acknowledge it: " + e.getMessage());
    }
    ring.awaitAcks(stable, "done", ACK_TIMEOUT);
  }

  /** Publishes {@code before} again, and routes by it: the change did not start. */
  private void rollBack(RingHistory before) throws InterruptedException {
    StateFile.State back = plane.stateOf(before);
    for (int attempt = 0; attempt < 3; attempt++) {
      try {
        long r = ring.publish(ClusterRing.STABLE, back);
        plane.route(before, null);
        plane
            .topologies()
            .publish(before.placement(), null, before.ids(), plane.members(before.ids()), null);
        ring.acknowledge(r);
        return;
      } catch (IOException | RingException e) {
        if (e.getMessage() != null && e.getMessage().contains("rolled it back")) {
          break; // another proxy published the ring before it already
        }
        Thread.sleep(500);
      }
    }
    // etcd still holds the prepare step: the other proxies roll it back once this proxy's slot
    // is free (HOLD_LIMIT); this one routes by the ring before it now
    plane.route(before, null);
    plane
        .topologies()
        .publish(before.placement(), null, before.ids(), plane.members(before.ids()), null);
  }

  // ---- views

  /** RING PROXIES: every proxy of the cluster, one line each. */
  CompletableFuture<String> proxiesNow() {
    return CompletableFuture.supplyAsync(
        () -> {
          try {
            return String.join("\n", ring.proxies());
          } catch (IOException e) {
            throw rejected("cannot list the proxies: " + e.getMessage());
          }
        },
        poller);
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

  void close() {
    closed = true;
    poller.shutdownNow();
    ring.close();
  }
}
