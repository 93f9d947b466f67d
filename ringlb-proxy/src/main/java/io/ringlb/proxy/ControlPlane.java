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
 * RING REMOVE [FORCE] / RING ABORT, and routing around the backends {@link Ejection} ejects), runs
 * migrations (resuming the one the state file records) with a {@link MigrationWatch} on them,
 * publishes each resulting topology through {@link Topologies} and records the ring in the {@link
 * StateFile}.
 *
 * <p>One ring change runs at a time, on the control thread; the I/O threads only read the
 * topologies it publishes, and tell it of backend failures.
 */
final class ControlPlane implements RingControl, Migrations.Host {

  private final ProxyConfig config;
  private final Upstream upstream;
  private final Worker[] workers;
  private final ProxyStats stats;
  private final ConcurrentHashMap<Integer, Backend> backends = new ConcurrentHashMap<>();
  private final ScheduledExecutorService control;

  /** Runs the migrations, on the control thread. */
  private final Migrations migrations;

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

  private volatile boolean closed;

  /** Follows Redis Sentinel for the managed shards; null when no sentinel is configured. */
  private final Sentinels sentinels;

  /** The cluster whose ring this proxy routes by (in etcd), or null for a proxy of its own. */
  private final ClusterSync cluster;

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
    this.cluster = config.cluster() == null ? null : new ClusterSync(this, config);
    StateFile.State state =
        cluster != null ? cluster.join() : stateFile == null ? null : stateFile.read();
    this.history =
        RingHistory.startingFrom(config, state, stateFile == null ? null : stateFile.path());
    this.placementName = history.placementName();
    this.hashTag = history.hashTag();
    Map<Integer, ProxyConfig.BackendSpec> specs =
        state != null ? state.backends() : config.backends();
    this.control = daemon("ringlb-control");
    this.migrations = new Migrations(this, daemon("ringlb-migration-watch"));
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
    this.sentinels =
        config.sentinels().isEmpty() ? null : new Sentinels(config, upstream, workers[0].loop());
    for (ProxyConfig.BackendSpec spec : specs.values()) {
      try {
        if (!spec.managed()) {
          upstream.admit(spec);
        }
      } catch (BackendAllowList.UnresolvedException e) {
        // resolved again at each connect; until then the backend is down
      } catch (IllegalArgumentException e) {
        throw new IOException(e.getMessage(), e);
      }
      Backend b = newBackend(spec);
      backends.put(spec.id(), b);
      if (spec.managed()) {
        if (sentinels == null) {
          throw new IOException(
              "backend " + spec.id() + " is " + spec.address() + " but no sentinel is configured");
        }
        try {
          sentinels.watch(b);
        } catch (IllegalArgumentException e) {
          throw new IOException(e.getMessage(), e);
        }
      }
    }

    Placement current = history.placement();
    Migration resumed = null;
    if (state != null && state.previous() != null) {
      resumed = migrationOf(state, history);
      current = resumed.current();
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
    if (cluster != null) {
      migration.set(resumed);
      changing.set(false);
      cluster.joined(topologies);
    } else if (resumed != null) {
      Migration m = resumed;
      control.execute(
          () -> {
            try {
              migrations.finish(m, null);
            } finally {
              changing.set(false);
            }
          });
    }
  }

  /** The migration {@code state} records, planned again over {@code h}, the history it leads to. */
  Migration migrationOf(StateFile.State state, RingHistory h) {
    int server = state.migrationServer();
    Migration.Kind kind =
        "add".equals(state.migrationKind()) ? Migration.Kind.ADD : Migration.Kind.REMOVE;
    boolean undoing = state.undone() != null;
    RingHistory.Change change =
        undoing
            ? h.resumingUndo(kind, server, h.withOps(state.undone()))
            : h.resuming(kind, server);
    return new Migration(
        kind,
        server,
        backends.get(server),
        change.previous(),
        change.current(),
        change.sources(),
        change.fractions(),
        undoing);
  }

  // ---- for ClusterSync (control thread)

  /** Routes by {@code h} with {@code running} (or none) from now on. */
  void route(RingHistory h, Migration running) {
    history = h;
    migration.set(running);
  }

  Topologies topologies() {
    return topologies;
  }

  ScheduledExecutorService controlThread() {
    return control;
  }

  /** Knows backend {@code spec}, admitted to the upstream, from now on. */
  void ensureBackend(ProxyConfig.BackendSpec spec) {
    if (!backends.containsKey(spec.id())) {
      try {
        upstream.admit(spec);
      } catch (BackendAllowList.UnresolvedException e) {
        // resolved again at each connect
      }
      backends.computeIfAbsent(spec.id(), id -> newBackend(spec));
    }
  }

  /**
   * Finishes the migration this proxy routes by, whose change it took over from a proxy that
   * stopped, then publishes the ring after it; control thread.
   */
  void finishTakenOver() {
    Migration m = migration.get();
    if (m == null || !changing.compareAndSet(false, true)) {
      cluster.end();
      return;
    }
    try {
      migrations.finish(m, null);
    } finally {
      cluster.end();
      changing.set(false);
    }
  }

  /** Forgets every backend not in {@code ring}. */
  void forgetAllBut(int[] ring) {
    for (Backend b : new ArrayList<>(backends.values())) {
      if (java.util.Arrays.stream(ring).noneMatch(id -> id == b.id())) {
        forget(b);
      }
    }
  }

  /** The cluster's proxies (RING PROXIES), or an error outside a cluster. */
  @Override
  public CompletableFuture<String> proxies() {
    return cluster == null
        ? CompletableFuture.failedFuture(
            rejected("this proxy is not in a cluster (start it with --cluster NAME --etcd ...)"))
        : cluster.proxiesNow();
  }

  /** INFO cluster's lines. */
  @Override
  public String clusterInfo() {
    return cluster == null ? "cluster_enabled:0\r\n" : "cluster_enabled:1\r\n" + cluster.info();
  }

  private static ScheduledExecutorService daemon(String name) {
    return Executors.newSingleThreadScheduledExecutor(
        r -> {
          Thread t = new Thread(r, name);
          t.setDaemon(true);
          return t;
        });
  }

  private Backend newBackend(ProxyConfig.BackendSpec spec) {
    return new Backend(spec, workers, config.poolSize(), ejection::backendFailed);
  }

  /**
   * Starts retrying ejected backends, probing the backends that are down, and following the
   * sentinels.
   */
  void start() {
    ejection.start();
    reachability.start(workers[0].loop());
    if (sentinels != null) {
      sentinels.start();
    }
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

  /** Follows Redis Sentinel for the managed shards; null when no sentinel is configured. */
  Sentinels sentinels() {
    return sentinels;
  }

  @Override
  public long sentinelFailovers() {
    return sentinels == null ? 0 : sentinels.failovers();
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
        "RING ADD " + spec.id() + " " + spec.address(),
        () -> {
          try {
            if (!spec.managed()) {
              upstream.admit(spec); // before any connection to it is made
            } else if (sentinels == null) {
              throw rejected(
                  "RING ADD "
                      + spec.id()
                      + " "
                      + spec.address()
                      + ": no sentinel is configured (--sentinel HOST:PORT or sentinels: in the"
                      + " config file)");
            }
          } catch (IllegalArgumentException e) {
            throw rejected(e.getMessage());
          }
          Topology now = topology();
          checkNoEjected(now, -1);
          if (now.inRing(spec.id())) {
            throw rejected("backend " + spec.id() + " is already in the ring");
          }
          Backend b = backends.computeIfAbsent(spec.id(), id -> newBackend(spec));
          if (spec.managed() && b.shard() == null) {
            try {
              sentinels.watch(b);
            } catch (IllegalArgumentException | IOException e) {
              forget(b);
              throw rejected(e.getMessage());
            }
          }
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
        "RING REMOVE " + id,
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
        "RING REMOVE " + id + " FORCE",
        () -> {
          checkNoEjected(topology(), id);
          reachability.checkMayForce(b);
          RingHistory.Change change = history.removing(id);
          RingHistory next = change.next();
          int[] ring = next.ids();
          if (cluster != null) {
            cluster.publishStable(stateOf(next, null), next, members(ring));
          } else {
            writeState(stateOf(next, null));
            history = next;
            topologies.publish(change.current(), null, ring, members(ring), null);
          }
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
    answerWhenDone(reply, "OK", null);
  }

  /** Like {@link #answerWhenDone(CompletableFuture)}: {@code ok}, or {@code error} if not null. */
  @Override
  public void answerWhenDone(CompletableFuture<String> reply, String ok, String error) {
    Runnable answer =
        () -> {
          if (error == null) {
            reply.complete(ok);
          } else {
            reply.completeExceptionally(rejected(error));
          }
        };
    try {
      control.execute(answer);
    } catch (RejectedExecutionException closing) {
      answer.run();
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
  private void change(CompletableFuture<String> reply, String label, RingChange body) {
    if (!begin(reply)) {
      return;
    }
    control.execute(
        () -> {
          try {
            if (cluster != null) {
              cluster.begin(label);
            }
            body.run();
          } catch (Throwable e) {
            end(reply, e);
          } finally {
            if (cluster != null) {
              cluster.end();
            }
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
                      + running.label()
                      + "); try again when it ends, or end it with RING ABORT"
                      + " (see INFO migration)"));
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

  @Override
  public List<Backend> members(int[] ring) {
    List<Backend> members = new ArrayList<>();
    for (int id : ring) {
      members.add(backends.get(id));
    }
    return members;
  }

  /** The backend left the ring, or never joined it: drop it and its connections. */
  @Override
  public void forget(Backend b) {
    backends.remove(b.id());
    if (sentinels != null) {
      sentinels.unwatch(b);
    }
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
    adopt(next, m, null, members);
    migrations.finish(m, reply);
  }

  @Override
  public void finishMigration(Migration m, CompletableFuture<String> reply) {
    migrations.finish(m, reply);
  }

  // ---- RING ABORT (decided by RingAbort)

  @Override
  public CompletableFuture<String> ringAbort() {
    if (cluster != null && migration.get() != null && !changing.get()) {
      return CompletableFuture.failedFuture(
          rejected(
              "the change runs on another proxy ("
                  + cluster.change()
                  + "); send RING ABORT there"));
    }
    return RingAbort.request(migration.get(), config.requestTimeout().toMillis() + 1000);
  }

  @Override
  public RingHistory history() {
    return history;
  }

  @Override
  public void adopt(RingHistory h, Migration running, RingHistory undone, List<Backend> members)
      throws IOException, InterruptedException {
    if (cluster != null) {
      cluster.adopt(h, running, stateOf(h, running, undone), members);
      return;
    }
    if (running != null) {
      migration.set(running);
    }
    writeState(stateOf(h, running, undone));
    history = h;
    if (running == null) {
      topologies.publish(h.placement(), null, h.ids(), members, null);
      migration.set(null);
    } else {
      topologies.publish(running.current(), running.previous(), h.ids(), members, running);
    }
  }

  @Override
  public void completed(Migration m) {
    m.finished();
    stats.migrationCompleted(m);
  }

  // ---- the state file

  private void writeState(StateFile.State state) throws IOException {
    if (stateFile != null) {
      stateFile.write(state);
    }
  }

  StateFile.State stateOf(RingHistory h) {
    return stateOf(h, null, null);
  }

  private StateFile.State stateOf(RingHistory h, Migration m) {
    return stateOf(h, m, null);
  }

  private StateFile.State stateOf(RingHistory h, Migration m, RingHistory undone) {
    return StateFile.State.of(h, m, undone, id -> backends.get(id).spec());
  }

  // ---- ejection (decided by Ejection)

  /** Routes around the ejected backends (their keys go to the next owners on the ring). */
  private void publishEjections() {
    if (migration.get() != null || closed || cluster != null) {
      return; // in a cluster, every proxy routes by the ring in etcd, ejected backends included
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

  @Override
  public Object callQuietly(Backend b, Object... args) {
    return b.callQuietly(config.requestTimeout().toMillis() + 1000, args);
  }

  private static String describeReply(Object reply) {
    return reply instanceof Values.Error e ? e.text() : String.valueOf(reply);
  }

  /** Stops the control thread; a running migration stays recorded and resumes on the next start. */
  void close() {
    closed = true;
    if (sentinels != null) {
      sentinels.close();
    }
    if (cluster != null) {
      cluster.close();
    }
    topologies.close();
    migrations.close();
    control.shutdownNow();
    try {
      control.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
