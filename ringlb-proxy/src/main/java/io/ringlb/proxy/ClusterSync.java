package io.ringlb.proxy;

import static io.ringlb.proxy.RingException.rejected;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
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
  private static final Duration HOLD_LIMIT = ACK_TIMEOUT.plusSeconds(8);

  /** How long a step waits again for the members left once the lagging ones were fenced. */
  private static final Duration AFTER_FENCE = Duration.ofSeconds(5);

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

  /** Switches proxies' ACL users on and off at the backends. */
  private final BackendFence fence;

  /** A join after this proxy was fenced (or refused a login) is queued or under way. */
  private final java.util.concurrent.atomic.AtomicBoolean rejoining =
      new java.util.concurrent.atomic.AtomicBoolean();

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
    this.fence = new BackendFence(config.cluster().name(), config.backendPassword());
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
      ring.connect();
      r = register(initial);
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

  /**
   * Registers this proxy with a new ACL user, switched on at every backend of the ring <em>before
   * </em> the user is registered (never after: a proxy paused with a command under way can then
   * wake to switch on only a user no member routes with), and returns the ring read once
   * registered. When that ring has a backend the user was not switched on at (the ring changed
   * meanwhile) it registers again, with a new user.
   */
  private ClusterRing.Ring register(StateFile.State initial) throws IOException {
    IOException last = null;
    for (int attempt = 0; attempt < 5; attempt++) {
      ClusterRing.Ring known = ring.read();
      Collection<BackendSpec> on =
          known != null
              ? new ArrayList<>(known.state().backends().values())
              : new ArrayList<>(config.backends().values());
      String user = fence.newUser(ring.id());
      fence.enable(user, on);
      ClusterRing.Ring r = ring.join(initial, user);
      if (on.containsAll(r.state().backends().values())) {
        plane.upstream().logInAs(user, fence.passwordOf(user));
        return r;
      }
      ring.unregister();
      fence.delete(user, on);
      last = new IOException("the ring of cluster " + config.cluster().name() + " kept changing");
    }
    throw last;
  }

  /**
   * Joins the cluster again after another proxy fenced this one (its membership is gone) or a
   * backend refused its login: stops sending with the old login (a login no backend knows until
   * then, every connection dropped), switches the old user off where it can, registers with a new
   * user, and routes by the ring read then; control thread.
   */
  private void rejoin() {
    try {
      String old = ring.user();
      plane.upstream().logInAs("ringlb-fenced", fence.passwordOf("ringlb-fenced"));
      for (Backend b : plane.knownBackends()) {
        b.dropConnections("ERR ringlb: this proxy was fenced by its cluster; try again");
      }
      List<BackendSpec> all = new ArrayList<>();
      for (Backend b : plane.knownBackends()) {
        all.add(b.spec());
      }
      try {
        fence.fence(old, all);
      } catch (IOException e) {
        // this process sends nothing with the old login any more; the backends may keep it on
      }
      ring.unregister();
      ClusterRing.Ring r = register(null);
      queued.set(r.revision());
      apply(r, true);
      System.err.println(
          "ringlb: proxy "
              + ring.id()
              + " joined cluster "
              + config.cluster().name()
              + " again at epoch "
              + r.revision()
              + " as ACL user "
              + ring.user());
      fence.delete(old, all);
    } catch (IOException | RuntimeException e) {
      System.err.println("ringlb: cannot join the cluster again (tried again soon): " + e);
    } finally {
      rejoining.set(false);
    }
  }

  /** Queues {@link #rejoin} on the control thread unless it is queued already. */
  private void scheduleRejoin() {
    if (closed || !rejoining.compareAndSet(false, true)) {
      return;
    }
    try {
      plane.controlThread().schedule(this::rejoin, 100, TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException closing) {
      rejoining.set(false);
    }
  }

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
    plane.upstream().onLoginRefused(this::loginRefused);
    watch();
    // the watch brings every change at once; the read every second is the backstop, and finds
    // changes left behind by a proxy that stopped
    poller.scheduleWithFixedDelay(this::poll, POLL_MILLIS, POLL_MILLIS, TimeUnit.MILLISECONDS);
    poller.scheduleWithFixedDelay(this::beat, 1000, 1000, TimeUnit.MILLISECONDS);
  }

  /**
   * A backend refused this proxy's login: fenced, or the backend forgot the user (restarted without
   * an ACL file). Either way the proxy joins again, unless it is running a change.
   */
  private void loginRefused() {
    if (!ring.runsChange() && !rejoining.get()) {
      poller.execute(
          () -> {
            try {
              if (ring.fenced() || !ring.members().containsKey(ring.id())) {
                scheduleRejoin();
              }
            } catch (IOException | RuntimeException e) {
              // etcd away: nothing can be decided until it answers
            }
          });
    }
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
      scheduleRejoin();
    }
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
      scheduleRejoin();
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
    if (runnerGone && !fenceRunner(r.runner(), r.state())) {
      return;
    }
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
    if (!fenceRunner(r.runner(), r.state())) {
      return;
    }
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
      awaitOrFence(prepare, state);
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

  /**
   * Waits for every member to acknowledge the {@code prepare} step; fences those that do not in
   * time (their ACL user switched off and its connections killed at every backend of {@code state},
   * then their membership removed) and waits for the rest.
   *
   * @throws RingException when etcd does not answer, a lagging member cannot be fenced at every
   *     backend, or the members left do not acknowledge either
   */
  private void awaitOrFence(long prepare, StateFile.State state)
      throws IOException, InterruptedException {
    try {
      ring.awaitAcks(prepare, ClusterRing.PREPARE, ACK_TIMEOUT);
      return;
    } catch (RingException e) {
      if (!ring.reachable()) {
        throw e;
      }
    }
    for (ClusterRing.Member m : ring.laggingMembers(prepare)) {
      if (m.id().equals(ring.id())) {
        continue;
      }
      try {
        fence.fence(m.user(), state.backends().values());
      } catch (IOException e) {
        throw rejected("proxy " + m.id() + " did not acknowledge, and cannot be fenced: " + e);
      }
      if (ring.forget(m)) {
        System.err.println(
            "ringlb: proxy "
                + m.id()
                + " ("
                + m.address()
                + ") did not acknowledge epoch "
                + prepare
                + " within "
                + ACK_TIMEOUT.toSeconds()
                + " s: fenced at every backend (ACL user "
                + m.user()
                + " off, its connections killed) and no longer a member");
      }
    }
    ring.awaitAcks(prepare, ClusterRing.PREPARE, AFTER_FENCE);
  }

  /**
   * Switches every member's ACL user on at {@code added}, the backend RING ADD adds, before any
   * connection to it is made; control thread, holding the change.
   *
   * @throws RingException naming the backend when it refuses or does not answer
   */
  void enableMembersOn(BackendSpec added) {
    try {
      for (ClusterRing.Member m : ring.members().values()) {
        fence.enable(m.user(), List.of(added));
      }
    } catch (IOException e) {
      throw rejected("RING ADD " + added.id() + " " + added.address() + ": " + e.getMessage());
    }
  }

  /**
   * Fences {@code runner}, the proxy of a change whose lease expired, at every backend of {@code
   * state} before its membership is forgotten: paused rather than dead, it cannot write when it
   * wakes.
   */
  private boolean fenceRunner(String runner, StateFile.State state) {
    if (runner == null || runner.equals(ring.id())) {
      return true;
    }
    try {
      ClusterRing.Member m = ring.members().get(runner);
      if (m != null) {
        fence.fence(m.user(), state.backends().values());
      }
      return true;
    } catch (IOException e) {
      System.err.println("ringlb: cannot fence proxy " + runner + " yet: " + e.getMessage());
      return false;
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

  void close() {
    closed = true;
    io.etcd.jetcd.Watch.Watcher w = watcher;
    if (w != null) {
      w.close();
    }
    poller.shutdownNow();
    ring.close();
  }
}
