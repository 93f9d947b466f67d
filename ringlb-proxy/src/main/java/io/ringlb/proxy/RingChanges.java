package io.ringlb.proxy;

import static io.ringlb.proxy.RingException.rejected;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The ring change requests (RING ADD, RING REMOVE, RING REMOVE FORCE): each checked at once, then
 * run on the control plane's control thread as the one change under way across the proxy, a second
 * one refused while it runs.
 */
final class RingChanges {

  private final ControlPlane plane;

  /** Set while a ring change is queued or running on the control thread. */
  private final AtomicBoolean changing = new AtomicBoolean();

  RingChanges(ControlPlane plane) {
    this.plane = plane;
  }

  /** Marks a change under way unless one is; returns whether this call marked it. */
  boolean tryBegin() {
    return changing.compareAndSet(false, true);
  }

  /** Marks the change under way as ended. */
  void ended() {
    changing.set(false);
  }

  /** Returns whether a change is queued or running on this proxy. */
  boolean underWay() {
    return changing.get();
  }

  /** RING ADD: adds backend {@code spec} to the ring and moves its keys to it. */
  CompletableFuture<String> ringAdd(BackendSpec spec) {
    CompletableFuture<String> reply = new CompletableFuture<>();
    if (plane.topology().inRing(spec.id())) {
      reply.completeExceptionally(rejected("backend " + spec.id() + " is already in the ring"));
      return reply;
    }
    Backend known = plane.backend(spec.id());
    if (known != null && !known.spec().equals(spec)) {
      reply.completeExceptionally(
          rejected("backend " + spec.id() + " is still known at " + known.address()));
      return reply;
    }
    change(
        reply,
        "RING ADD " + spec.id() + " " + spec.address(),
        () -> {
          try {
            if (!spec.managed()) {
              plane.upstream().admit(spec); // before any connection to it is made
            } else if (plane.sentinels() == null) {
              throw rejected(
                  "RING ADD "
                      + spec.id()
                      + " "
                      + spec.address()
                      + ": no sentinel is configured (--sentinel HOST:PORT or sentinels: in the"
                      + " config file)");
            }
            if (plane.cluster() != null) {
              // every node of it: its address, or a Sentinel shard's primary and replicas
              plane.cluster().fencing().enableMembersOn(spec);
            }
          } catch (IllegalArgumentException e) {
            throw rejected(e.getMessage());
          }
          Topology now = plane.topology();
          checkNoEjected(now, -1);
          if (now.inRing(spec.id())) {
            throw rejected("backend " + spec.id() + " is already in the ring");
          }
          Backend b = plane.backendFor(spec);
          if (spec.managed() && b.shard() == null) {
            try {
              plane.sentinels().watch(b);
            } catch (IllegalArgumentException | IOException e) {
              plane.forget(b);
              throw rejected(e.getMessage());
            }
          }
          Object size = plane.callQuietly(b, "DBSIZE");
          if (!(size instanceof Long n)) {
            plane.forget(b);
            throw rejected("cannot reach " + b.describe() + ": " + describeReply(size));
          }
          if (n != 0) {
            plane.forget(b);
            throw rejected(
                b.describe()
                    + " is not empty (DBSIZE "
                    + n
                    + "); give ringlb an empty redis-server");
          }
          RingHistory.Change change;
          try {
            change = plane.history().adding(spec.id());
          } catch (RingException e) {
            plane.forget(b);
            throw e;
          }
          Migration m =
              new Migration(
                  Migration.Kind.ADD,
                  spec.id(),
                  b,
                  change.previous(),
                  change.current(),
                  change.sources(),
                  change.fractions());
          List<Backend> members = now.backendsList();
          members.add(b);
          migrate(m, change.next(), members, reply);
        });
    return reply;
  }

  /** RING REMOVE: moves every key of backend {@code id} to its new owner, then drops it. */
  CompletableFuture<String> ringRemove(int id) {
    CompletableFuture<String> reply = new CompletableFuture<>();
    if (!removable(id, reply)) {
      return reply;
    }
    change(
        reply,
        "RING REMOVE " + id,
        () -> {
          Topology now = plane.topology();
          checkNoEjected(now, -1);
          RingHistory.Change change = plane.history().removing(id);
          Migration m =
              new Migration(
                  Migration.Kind.REMOVE,
                  id,
                  plane.backend(id),
                  change.previous(),
                  change.current(),
                  change.sources(),
                  change.fractions());
          migrate(m, change.next(), now.backendsList(), reply);
        });
    return reply;
  }

  /**
   * Takes backend {@code id} out of the ring without moving its keys (RING REMOVE id FORCE): for a
   * backend that is gone for good, whose keys are lost anyway. Refused unless the backend has been
   * unreachable for {@code migration.force-after} and still does not answer (see {@link
   * Reachability}), since otherwise RING REMOVE can move its keys. A RING REMOVE of the same
   * backend that is stalled on it is abandoned: the keys it moved already stay moved.
   */
  CompletableFuture<String> ringRemoveForce(int id) {
    CompletableFuture<String> reply = new CompletableFuture<>();
    Migration running = plane.migration();
    if (running != null && running.kind() == Migration.Kind.REMOVE && running.server() == id) {
      // The control thread is inside running.run(), retrying: probe without blocking anyone.
      plane
          .reachability()
          .mayForce(running.backend())
          .whenComplete(
              (ok, refused) -> {
                if (refused != null) {
                  reply.completeExceptionally(Reachability.refusal(refused));
                } else {
                  running.abandon(reply);
                  if (plane.migration()
                      != running) { // it ended meanwhile: the backend is out already
                    reply.complete("OK");
                  }
                }
              });
      return reply;
    }
    if (!removable(id, reply)) {
      return reply;
    }
    Backend b = plane.backend(id);
    change(
        reply,
        "RING REMOVE " + id + " FORCE",
        () -> {
          checkNoEjected(plane.topology(), id);
          plane.reachability().checkMayForce(b);
          RingHistory.Change change = plane.history().removing(id);
          plane.removeForced(change);
          plane.forget(b);
          plane.answerWhenDone(reply, "OK", null);
        });
    return reply;
  }

  /** A ring change's work on the control thread; what it throws becomes the error reply. */
  private interface RingChange {
    void run() throws Exception;
  }

  /**
   * Runs {@code body} on the control thread as the one ring change under way, answering {@code
   * reply} with its error if it throws; refuses at once while another change runs.
   */
  private void change(CompletableFuture<String> reply, String label, RingChange body) {
    if (!begin(reply)) {
      return;
    }
    plane
        .controlThread()
        .execute(
            () -> {
              try {
                if (plane.cluster() != null) {
                  plane.cluster().changes().begin(label);
                }
                body.run();
              } catch (Throwable e) {
                end(reply, e);
              } finally {
                if (plane.cluster() != null) {
                  plane.cluster().changes().end();
                }
                ended();
              }
            });
  }

  /** Answers {@code reply} with the reason and returns false when {@code id} cannot leave. */
  private boolean removable(int id, CompletableFuture<String> reply) {
    Topology t = plane.topology();
    if (!t.inRing(id)) {
      reply.completeExceptionally(rejected("backend " + id + " is not in the ring"));
      return false;
    }
    if (t.ringSize() == 1) {
      reply.completeExceptionally(
          rejected(
              "backend " + id + " is the last one in the ring; its keys would have nowhere to go"));
      return false;
    }
    return true;
  }

  private boolean begin(CompletableFuture<String> reply) {
    if (plane.isClosed()) {
      reply.completeExceptionally(rejected("ringlb is shutting down"));
      return false;
    }
    if (!tryBegin()) {
      Migration running = plane.migration();
      reply.completeExceptionally(
          rejected(
              running == null
                  ? "another ring change is under way; try again when it ends"
                  : "a migration is already running ("
                      + running.label()
                      + "); try again when it ends, or end it with RING ABORT"
                      + " (see INFO migration)"));
      return false;
    }
    return true;
  }

  /** A ring change failed before its topology was published: nothing changed. */
  private void end(CompletableFuture<String> reply, Throwable e) {
    plane.dropUnpublishedMigration();
    reply.completeExceptionally(e);
  }

  /** Refuses a change while a ring member other than {@code except} is ejected. */
  private void checkNoEjected(Topology t, int except) {
    for (int id : t.ring()) {
      Backend b = plane.backend(id);
      if (id != except && b != null && b.isEjected()) {
        throw rejected(b.describe() + " is ejected; change the ring when it is back");
      }
    }
  }

  /**
   * Records {@code m} and the history it leads to, publishes the migration topology ({@code
   * m.current()} owning, {@code m.previous()} before it) over {@code members}, then runs it.
   */
  private void migrate(
      Migration m, RingHistory next, List<Backend> members, CompletableFuture<String> reply)
      throws IOException, InterruptedException {
    plane.adopt(next, m, null, members);
    plane.finishMigration(m, reply);
  }

  private static String describeReply(Object reply) {
    return reply instanceof Values.Error e ? e.text() : String.valueOf(reply);
  }
}
