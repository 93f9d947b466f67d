package io.ringlb.proxy;

import static io.ringlb.proxy.RingException.rejected;

import java.io.IOException;
import java.time.Duration;
import java.util.List;

/**
 * The ring changes this proxy runs for its cluster, on the control thread: takes the cluster's one
 * change slot, publishes each step ({@code prepare}, {@code migrate}, {@code stable}) and waits for
 * every member to acknowledge it before the next one, fencing the members that do not acknowledge
 * {@code prepare} in time, and rolls back a change that did not start.
 */
final class ClusterChanges {

  /** How long a step waits for every member's acknowledgement. */
  static final Duration ACK_TIMEOUT = Duration.ofSeconds(10);

  /** How long a step waits again for the members left once the lagging ones were fenced. */
  private static final Duration AFTER_FENCE = Duration.ofSeconds(5);

  private final ControlPlane plane;
  private final ClusterRing ring;
  private final ClusterFencing fencing;
  private final ClusterAbort abort;

  /** The label of the change this proxy runs, or null. */
  private volatile String label;

  ClusterChanges(ControlPlane plane, ClusterRing ring, ClusterFencing fencing, ClusterAbort abort) {
    this.plane = plane;
    this.ring = ring;
    this.fencing = fencing;
    this.abort = abort;
  }

  /** Takes the cluster's change slot for {@code label}, or throws naming the change under way. */
  void begin(String label) {
    ring.beginChange(label);
    this.label = label;
  }

  /**
   * Takes the change slot of {@code label} over from a proxy that stopped; see {@link
   * ClusterRing#takeOver}.
   */
  boolean takeOver(long migrate, String runner, String label) throws IOException {
    boolean taken = ring.takeOver(migrate, runner, label);
    if (taken) {
      this.label = label;
    }
    return taken;
  }

  /** Gives the change slot back, answering a RING ABORT of it that came too late. */
  void end() {
    boolean held = ring.runsChange();
    ring.endChange();
    if (held) {
      abort.changeEnded(label);
    }
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
    long migrate;
    try {
      ring.acknowledge(prepare);
      awaitOrFence(prepare, state);
      migrate = ring.publish(ClusterRing.MIGRATE, state);
    } catch (IOException | RingException e) {
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
      ring.members().awaitAcks(migrate, ClusterRing.MIGRATE, ACK_TIMEOUT);
    } catch (IOException | RingException e) {
      // Every member acknowledged prepare, so routes by the migration: moving keys is safe.
      System.err.println("ringlb: " + e.getMessage() + "; the migration goes on");
    }
  }

  /**
   * Waits for every member to acknowledge the {@code prepare} step; fences those that do not in
   * time and waits for the rest.
   *
   * @throws RingException when etcd does not answer, a lagging member cannot be fenced at every
   *     backend, or the members left do not acknowledge either
   */
  private void awaitOrFence(long prepare, StateFile.State state)
      throws IOException, InterruptedException {
    try {
      ring.members().awaitAcks(prepare, ClusterRing.PREPARE, ACK_TIMEOUT);
      return;
    } catch (RingException e) {
      if (!ring.reachable()) {
        throw e;
      }
    }
    fencing.fenceLagging(prepare, state, ACK_TIMEOUT.toSeconds());
    ring.members().awaitAcks(prepare, ClusterRing.PREPARE, AFTER_FENCE);
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
    ring.members().awaitAcks(stable, "done", ACK_TIMEOUT);
  }

  /** Publishes {@code before} again, and routes by it: the change did not start. */
  private void rollBack(RingHistory before) throws InterruptedException {
    StateFile.State back = plane.stateOf(before);
    for (int attempt = 0; attempt < 3; attempt++) {
      try {
        long r = ring.publish(ClusterRing.STABLE, back);
        routeBy(before);
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
    routeBy(before);
  }

  /** Routes by {@code h}, with no migration. */
  void routeBy(RingHistory h) throws InterruptedException {
    plane.route(h, null);
    plane.topologies().publish(h.placement(), null, h.ids(), plane.members(h.ids()), null);
  }
}
