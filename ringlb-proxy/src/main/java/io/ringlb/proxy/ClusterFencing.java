package io.ringlb.proxy;

import static io.ringlb.proxy.RingException.rejected;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * One proxy's membership of its cluster as the backends see it ({@link BackendFence}): registers
 * with an ACL user of its own switched on at every backend first, fences the members that do not
 * acknowledge (their user switched off, their connections killed, then their membership removed),
 * and joins again, with a new user, once fenced itself.
 */
final class ClusterFencing {

  private final ControlPlane plane;
  private final ProxyConfig config;
  private final ClusterRing ring;
  private final BackendFence fence;
  private final ScheduledExecutorService poller;

  /** Routes by the ring read once this proxy joined again; control thread. */
  private final Consumer<ClusterRing.Ring> rejoined;

  /** A join after this proxy was fenced (or refused a login) is queued or under way. */
  private final AtomicBoolean rejoining = new AtomicBoolean();

  private volatile boolean closed;

  /** The shortest time between two joins of a proxy still a member whose login was refused. */
  static final long REJOIN_AGAIN_MILLIS = 5000;

  /** When this proxy last registered ({@link System#nanoTime()}). */
  private volatile long lastJoinNanos = System.nanoTime();

  ClusterFencing(
      ControlPlane plane,
      ProxyConfig config,
      ClusterRing ring,
      ScheduledExecutorService poller,
      BackendFence.Nodes nodes,
      Consumer<ClusterRing.Ring> rejoined) {
    this.plane = plane;
    this.config = config;
    this.ring = ring;
    this.poller = poller;
    this.rejoined = rejoined;
    this.fence = new BackendFence(config.cluster().name(), config.backendPassword(), nodes);
  }

  /**
   * Registers this proxy with a new ACL user, switched on at every backend of the ring <em>before
   * </em> the user is registered (never after: a proxy paused with a command under way can then
   * wake to switch on only a user no member routes with), and returns the ring read once
   * registered. When that ring has a backend the user was not switched on at (the ring changed
   * meanwhile) it registers again, with a new user.
   */
  ClusterRing.Ring register(StateFile.State initial) throws IOException {
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
        lastJoinNanos = System.nanoTime();
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
      rejoined.accept(r);
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

  /** Queues a join again on the control thread unless one is queued already. */
  void scheduleRejoin() {
    if (closed || !rejoining.compareAndSet(false, true)) {
      return;
    }
    try {
      plane.controlThread().schedule(this::rejoin, 100, TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException closing) {
      rejoining.set(false);
    }
  }

  /**
   * A backend refused this proxy's login: fenced, or a node lacks the user (restarted without an
   * ACL file, or a replica that joined a Sentinel shard after the user was made and was then
   * promoted). Either way the proxy joins again, with a new user switched on at every node first,
   * unless it is running a change; still a member, at most once per {@value #REJOIN_AGAIN_MILLIS}
   * ms (connections made with the previous login may still be refused just after a join).
   */
  void loginRefused() {
    if (!ring.runsChange() && !rejoining.get()) {
      poller.execute(
          () -> {
            try {
              if (ring.fenced()
                  || !ring.members().all().containsKey(ring.id())
                  || System.nanoTime() - lastJoinNanos > REJOIN_AGAIN_MILLIS * 1_000_000L) {
                scheduleRejoin();
              }
            } catch (IOException | RuntimeException e) {
              // etcd away: nothing can be decided until it answers
            }
          });
    }
  }

  /**
   * Fences every member other than this proxy that does not route by epoch {@code prepare}: its ACL
   * user switched off and its connections killed at every backend of {@code state}, then its
   * membership removed.
   *
   * @throws RingException when a lagging member cannot be fenced at every backend
   */
  void fenceLagging(long prepare, StateFile.State state, long waitedSeconds) throws IOException {
    for (ClusterMembers.Member m : ring.members().lagging(prepare)) {
      if (m.id().equals(ring.id())) {
        continue;
      }
      try {
        fence.fence(m.user(), state.backends().values());
      } catch (IOException e) {
        throw rejected("proxy " + m.id() + " did not acknowledge, and cannot be fenced: " + e);
      }
      if (ring.members().forget(m)) {
        System.err.println(
            "ringlb: proxy "
                + m.id()
                + " ("
                + m.address()
                + ") did not acknowledge epoch "
                + prepare
                + " within "
                + waitedSeconds
                + " s: fenced at every backend (ACL user "
                + m.user()
                + " off, its connections killed) and no longer a member");
      }
    }
  }

  /**
   * Switches every member's ACL user on at {@code added}, the backend RING ADD adds, before any
   * connection to it is made; control thread, holding the change.
   *
   * @throws RingException naming the backend when it refuses or does not answer
   */
  void enableMembersOn(BackendSpec added) {
    try {
      for (ClusterMembers.Member m : ring.members().all().values()) {
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
  boolean fenceRunner(String runner, StateFile.State state) {
    if (runner == null || runner.equals(ring.id())) {
      return true;
    }
    try {
      ClusterMembers.Member m = ring.members().all().get(runner);
      if (m != null) {
        fence.fence(m.user(), state.backends().values());
      }
      return true;
    } catch (IOException e) {
      System.err.println("ringlb: cannot fence proxy " + runner + " yet: " + e.getMessage());
      return false;
    }
  }

  void close() {
    closed = true;
  }
}
