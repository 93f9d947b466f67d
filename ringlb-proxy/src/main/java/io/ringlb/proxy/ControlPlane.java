package io.ringlb.proxy;

import static io.ringlb.proxy.RingException.rejected;

import io.ringlb.core.HashTag;
import io.ringlb.core.Placement;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The proxy's control plane: the backends, and the control thread that changes the ring (RING ADD /
 * RING REMOVE [FORCE], and routing around the backends {@link Ejection} ejects), runs migrations
 * (resuming the one the state file records), publishes each resulting topology through {@link
 * Topologies} and records the ring in the {@link StateFile}.
 *
 * <p>One ring change runs at a time, on the control thread; the I/O threads only read the
 * topologies it publishes, and tell it of backend failures.
 */
final class ControlPlane implements RingControl, Migration.Host {

  private final ProxyConfig config;
  private final Upstream upstream;
  private final Worker[] workers;
  private final ProxyStats stats;
  private final ConcurrentHashMap<Integer, Backend> backends = new ConcurrentHashMap<>();
  private final ScheduledExecutorService control;
  private final AtomicReference<Migration> migration = new AtomicReference<>();

  /** Set while a ring change is queued or running on the control thread. */
  private final AtomicBoolean changing = new AtomicBoolean();

  private final StateFile stateFile;
  private final Topologies topologies;
  private final Ejection ejection;
  private final Reachability reachability;
  private final String placementName;

  /** The tag keys are routed on, or null when they are routed on all their bytes. */
  private final HashTag hashTag;

  /** The ring's changes so far; control thread only (and the constructor). */
  private RingHistory history;

  private volatile CompletableFuture<String> pendingReply;
  private volatile boolean closed;

  /**
   * Reads the state file (when configured) or else the configuration, and publishes the first
   * topology to {@code workers}; a migration the state file records resumes on the control thread.
   *
   * @throws IOException if the state file cannot be read or contradicts the configuration
   */
  ControlPlane(ProxyConfig config, Upstream upstream, Worker[] workers, ProxyStats stats)
      throws IOException {
    this.config = config;
    this.upstream = upstream;
    this.workers = workers;
    this.stats = stats;
    this.stateFile = config.stateFile() == null ? null : new StateFile(config.stateFile());
    StateFile.State state = stateFile == null ? null : stateFile.read();
    this.history =
        RingHistory.startingFrom(config, state, stateFile == null ? null : stateFile.path());
    this.placementName = history.placementName();
    this.hashTag = history.hashTag();
    Map<Integer, ProxyConfig.BackendSpec> specs =
        state != null ? state.backends() : config.backends();
    this.control =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "ringlb-control");
              t.setDaemon(true);
              return t;
            });
    this.ejection =
        new Ejection(
            config,
            backends.values(),
            () -> closed,
            () -> migration.get() != null,
            control,
            this::publishEjections);
    this.reachability =
        new Reachability(config.forceAfter(), config.requestTimeout(), backends.values());
    upstream.startingWith(specs.values());
    for (ProxyConfig.BackendSpec spec : specs.values()) {
      try {
        upstream.admit(spec);
      } catch (BackendAllowList.UnresolvedException e) {
        // resolved again at each connect; until then the backend is down
      } catch (IllegalArgumentException e) {
        throw new IOException(e.getMessage(), e);
      }
      backends.put(spec.id(), newBackend(spec));
    }

    Placement current = history.placement();
    Migration resumed = null;
    if (state != null && state.previous() != null) {
      int server = state.migrationServer();
      Migration.Kind kind =
          "add".equals(state.migrationKind()) ? Migration.Kind.ADD : Migration.Kind.REMOVE;
      RingHistory.Change change = history.resuming(kind, server);
      resumed =
          new Migration(
              kind,
              server,
              backends.get(server),
              change.previous(),
              change.current(),
              change.sources(),
              change.fractions());
      current = change.current();
      migration.set(resumed);
      changing.set(true);
    }
    this.topologies =
        new Topologies(
            workers,
            new Topology(
                1,
                current,
                resumed == null ? null : resumed.previous(),
                history.ids(),
                backends.values(),
                resumed));
    if (stateFile != null && state == null) {
      stateFile.write(stateOf(history, null));
    }
    if (resumed != null) {
      Migration m = resumed;
      control.execute(
          () -> {
            try {
              finishMigration(m, null);
            } finally {
              changing.set(false);
            }
          });
    }
  }

  private Backend newBackend(ProxyConfig.BackendSpec spec) {
    return new Backend(spec, workers, config.poolSize(), ejection::backendFailed);
  }

  /** Starts retrying ejected backends, and probing the backends that are down. */
  void start() {
    ejection.start();
    reachability.start(workers[0].loop());
  }

  /** The topology published last. */
  Topology topology() {
    return topologies.current();
  }

  @Override
  public ProxyConfig config() {
    return config;
  }

  @Override
  public Upstream upstream() {
    return upstream;
  }

  @Override
  public Backend backend(int id) {
    return backends.get(id);
  }

  @Override
  public String placementName() {
    return placementName;
  }

  @Override
  public HashTag hashTag() {
    return hashTag;
  }

  @Override
  public Migration migration() {
    return migration.get();
  }

  // ---- ring changes

  @Override
  public CompletableFuture<String> ringAdd(ProxyConfig.BackendSpec spec) {
    CompletableFuture<String> reply = new CompletableFuture<>();
    if (topology().inRing(spec.id())) {
      reply.completeExceptionally(rejected("backend " + spec.id() + " is already in the ring"));
      return reply;
    }
    Backend known = backends.get(spec.id());
    if (known != null && !known.spec().equals(spec)) {
      reply.completeExceptionally(
          rejected("backend " + spec.id() + " is still known at " + known.address()));
      return reply;
    }
    change(
        reply,
        () -> {
          try {
            upstream.admit(spec); // before any connection to it is made
          } catch (IllegalArgumentException e) {
            throw rejected(e.getMessage());
          }
          Topology now = topology();
          checkNoEjected(now, -1);
          if (now.inRing(spec.id())) {
            throw rejected("backend " + spec.id() + " is already in the ring");
          }
          Backend b = backends.computeIfAbsent(spec.id(), id -> newBackend(spec));
          Object size = callQuietly(b, "DBSIZE");
          if (!(size instanceof Long n)) {
            forget(b);
            throw rejected("cannot reach " + b.describe() + ": " + describeReply(size));
          }
          if (n != 0) {
            forget(b);
            throw rejected(
                b.describe()
                    + " is not empty (DBSIZE "
                    + n
                    + "); give ringlb an empty redis-server");
          }
          RingHistory.Change change;
          try {
            change = history.adding(spec.id());
          } catch (RingException e) {
            forget(b);
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

  @Override
  public CompletableFuture<String> ringRemove(int id) {
    CompletableFuture<String> reply = new CompletableFuture<>();
    if (!removable(id, reply)) {
      return reply;
    }
    change(
        reply,
        () -> {
          Topology now = topology();
          checkNoEjected(now, -1);
          RingHistory.Change change = history.removing(id);
          Migration m =
              new Migration(
                  Migration.Kind.REMOVE,
                  id,
                  backends.get(id),
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
  @Override
  public CompletableFuture<String> ringRemoveForce(int id) {
    CompletableFuture<String> reply = new CompletableFuture<>();
    Migration running = migration.get();
    if (running != null && running.kind() == Migration.Kind.REMOVE && running.server() == id) {
      // The control thread is inside running.run(), retrying: probe without blocking anyone.
      reachability
          .mayForce(running.backend())
          .whenComplete(
              (ok, refused) -> {
                if (refused != null) {
                  reply.completeExceptionally(Reachability.refusal(refused));
                } else {
                  running.abandon(reply);
                  if (migration.get()
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
    Backend b = backends.get(id);
    change(
        reply,
        () -> {
          checkNoEjected(topology(), id);
          reachability.checkMayForce(b);
          RingHistory.Change change = history.removing(id);
          RingHistory next = change.next();
          writeState(stateOf(next, null));
          history = next;
          int[] ring = next.ids();
          topologies.publish(change.current(), null, ring, members(ring), null);
          forget(b);
          answerWhenDone(reply);
        });
    return reply;
  }

  /**
   * Answers OK to a ring change from the control thread's next task, after the current one has
   * ended the change: a client that sends the next change as soon as it reads OK is not told that
   * one is still under way.
   */
  private void answerWhenDone(CompletableFuture<String> reply) {
    try {
      control.execute(() -> reply.complete("OK"));
    } catch (RejectedExecutionException closing) {
      reply.complete("OK");
    }
  }

  /** A ring change's work on the control thread; what it throws becomes the error reply. */
  private interface RingChange {
    void run() throws Exception;
  }

  /**
   * Runs {@code body} on the control thread as the one ring change under way, answering {@code
   * reply} with its error if it throws; refuses at once while another change runs.
   */
  private void change(CompletableFuture<String> reply, RingChange body) {
    if (!begin(reply)) {
      return;
    }
    control.execute(
        () -> {
          try {
            body.run();
          } catch (Throwable e) {
            end(reply, e);
          } finally {
            changing.set(false);
          }
        });
  }

  /** Answers {@code reply} with the reason and returns false when {@code id} cannot leave. */
  private boolean removable(int id, CompletableFuture<String> reply) {
    Topology t = topology();
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
    if (closed) {
      reply.completeExceptionally(rejected("ringlb is shutting down"));
      return false;
    }
    if (!changing.compareAndSet(false, true)) {
      Migration running = migration.get();
      reply.completeExceptionally(
          rejected(
              running == null
                  ? "another ring change is under way; try again when it ends"
                  : "a migration is already running ("
                      + running.kind().word()
                      + " "
                      + running.server()
                      + "); try again when it ends (see INFO migration)"));
      return false;
    }
    return true;
  }

  /** A ring change failed before its topology was published: nothing changed. */
  private void end(CompletableFuture<String> reply, Throwable e) {
    Migration m = migration.get();
    if (m != null && topology().migration() != m) {
      migration.set(null);
    }
    reply.completeExceptionally(e);
  }

  /** Refuses a change while a ring member other than {@code except} is ejected. */
  private void checkNoEjected(Topology t, int except) {
    for (int id : t.ring()) {
      Backend b = backends.get(id);
      if (id != except && b != null && b.isEjected()) {
        throw rejected(b.describe() + " is ejected; change the ring when it is back");
      }
    }
  }

  private List<Backend> members(int[] ring) {
    List<Backend> members = new ArrayList<>();
    for (int id : ring) {
      members.add(backends.get(id));
    }
    return members;
  }

  /** The backend left the ring, or never joined it: drop it and its connections. */
  private void forget(Backend b) {
    backends.remove(b.id());
    b.closeConnections();
  }

  // ---- migrations (control thread)

  /**
   * Records {@code m} and the history it leads to, publishes the migration topology ({@code
   * m.current()} owning, {@code m.previous()} before it) over {@code members}, then runs it.
   */
  private void migrate(
      Migration m, RingHistory next, List<Backend> members, CompletableFuture<String> reply)
      throws IOException, InterruptedException {
    migration.set(m);
    writeState(stateOf(next, m));
    history = next;
    topologies.publish(m.current(), m.previous(), next.ids(), members, m);
    finishMigration(m, reply);
  }

  /** Runs {@code m} to its end, publishes the final ring, and answers {@code reply}. */
  private void finishMigration(Migration m, CompletableFuture<String> reply) {
    pendingReply = reply;
    try {
      m.run(this);
      Topology now = topology();
      int[] ring = now.ring();
      topologies.publish(now.placement(), null, ring, members(ring), null);
      writeState(stateOf(history, null));
      if (m.kind() == Migration.Kind.REMOVE) {
        backends.remove(m.server());
        m.backend().closeConnections();
      }
      m.finished();
      stats.migrationCompleted(m);
      migration.set(null);
      if (reply != null) {
        answerWhenDone(reply);
      }
      if (m.abandonedBy() != null) {
        answerWhenDone(m.abandonedBy());
      }
    } catch (InterruptedException e) {
      // Closing: the state file still records the migration, which resumes on the next start.
      Thread.currentThread().interrupt();
      if (reply != null) {
        reply.completeExceptionally(
            rejected("ringlb is shutting down; the migration resumes " + "when it starts again"));
      }
      if (m.abandonedBy() != null) {
        m.abandonedBy().completeExceptionally(rejected("ringlb is shutting down"));
      }
    } catch (Throwable e) {
      if (reply != null) {
        reply.completeExceptionally(e);
      }
      if (m.abandonedBy() != null) {
        m.abandonedBy().completeExceptionally(e);
      }
    } finally {
      pendingReply = null;
    }
  }

  /** A migration step failed and will be retried: tell the client waiting for it, once. */
  @Override
  public void migrationStalled(Migration m, String error) {
    CompletableFuture<String> reply = pendingReply;
    if (reply != null) {
      reply.completeExceptionally(
          rejected(
              "migration "
                  + m.kind().word()
                  + " "
                  + m.server()
                  + " stalled: "
                  + error
                  + "; it keeps retrying (see INFO migration)"));
    }
  }

  // ---- the state file

  private void writeState(StateFile.State state) throws IOException {
    if (stateFile != null) {
      stateFile.write(state);
    }
  }

  private StateFile.State stateOf(RingHistory h, Migration m) {
    return StateFile.State.of(h, m, id -> backends.get(id).spec());
  }

  // ---- ejection (decided by Ejection)

  /** Routes around the ejected backends (their keys go to the next owners on the ring). */
  private void publishEjections() {
    if (migration.get() != null || closed) {
      return;
    }
    Topology now = topology();
    Placement placement = history.placement();
    int[] ring = now.ring();
    for (int id : ring) {
      if (backends.get(id).isEjected()) {
        placement.removeServer(id, Placement.MoveListener.NONE);
      }
    }
    try {
      topologies.publish(placement, null, ring, now.backendsList(), null);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  // ---- helpers

  private Object callQuietly(Backend b, Object... args) {
    return b.callQuietly(config.requestTimeout().toMillis() + 1000, args);
  }

  private static String describeReply(Object reply) {
    return reply instanceof Values.Error e ? e.text() : String.valueOf(reply);
  }

  /** Stops the control thread; a running migration stays recorded and resumes on the next start. */
  void close() {
    closed = true;
    topologies.close();
    control.shutdownNow();
    try {
      control.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
