package io.ringlb.proxy;

import static io.ringlb.proxy.RingException.rejected;

import io.ringlb.core.HashTag;
import io.ringlb.core.Placement;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
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

  /** The ring change requests, one under way at a time. */
  private final RingChanges changes = new RingChanges(this);

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
    // before joining a cluster: fencing reaches a Sentinel shard's nodes through the sentinels
    this.sentinels =
        config.sentinels().isEmpty() ? null : new Sentinels(config, upstream, workers[0].loop());
    this.cluster = config.cluster() == null ? null : new ClusterSync(this, config);
    StateFile.State state =
        cluster != null ? cluster.join() : stateFile == null ? null : stateFile.read();
    this.history =
        RingHistory.startingFrom(config, state, stateFile == null ? null : stateFile.path());
    this.placementName = history.placementName();
    this.hashTag = history.hashTag();
    Map<Integer, BackendSpec> specs = state != null ? state.backends() : config.backends();
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
    for (BackendSpec spec : specs.values()) {
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
      changes.tryBegin();
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
      changes.ended();
      cluster.joined(topologies);
    } else if (resumed != null) {
      Migration m = resumed;
      control.execute(
          () -> {
            try {
              migrations.finish(m, null);
            } finally {
              changes.ended();
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

  /** The front end is bound at {@code address}: what the cluster's proxies list shows. */
  void bound(java.net.InetSocketAddress address) {
    if (cluster != null) {
      cluster.bound(address.getAddress().getHostAddress() + ":" + address.getPort());
    }
  }

  /** Every backend this proxy knows now. */
  Collection<Backend> knownBackends() {
    return new ArrayList<>(backends.values());
  }

  /**
   * Knows backend {@code spec} from now on: admitted to the upstream, or for a Sentinel shard
   * watched through the sentinels (asking them for its primary, up to twice the request timeout).
   *
   * @throws IllegalStateException when a Sentinel shard has no sentinel to follow it, or no
   *     sentinel knows its master name
   */
  void ensureBackend(BackendSpec spec) {
    if (backends.containsKey(spec.id())) {
      return;
    }
    if (!spec.managed()) {
      try {
        upstream.admit(spec);
      } catch (BackendAllowList.UnresolvedException e) {
        // resolved again at each connect
      }
      backends.computeIfAbsent(spec.id(), id -> newBackend(spec));
      return;
    }
    if (sentinels == null) {
      throw new IllegalStateException(
          "backend " + spec.id() + " is " + spec.address() + " but no sentinel is configured");
    }
    Backend b = backends.computeIfAbsent(spec.id(), id -> newBackend(spec));
    if (b.shard() == null) {
      try {
        sentinels.watch(b);
      } catch (IOException e) {
        // no sentinel answered yet: the sentinels are asked again every REFRESH_MILLIS
      } catch (IllegalArgumentException e) {
        backends.remove(spec.id(), b);
        throw new IllegalStateException(e.getMessage(), e);
      }
    }
  }

  /**
   * Finishes the migration this proxy routes by, whose change it took over from a proxy that
   * stopped, then publishes the ring after it and answers {@code reply} (null: none); control
   * thread.
   */
  void finishTakenOver(CompletableFuture<String> reply) {
    Migration m = migration.get();
    if (m == null || !changes.tryBegin()) {
      cluster.changes().end();
      return;
    }
    try {
      migrations.finish(m, reply);
    } finally {
      cluster.changes().end();
      changes.ended();
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

  /** Returns the backend {@code spec} names, known from now on. */
  Backend backendFor(BackendSpec spec) {
    return backends.computeIfAbsent(spec.id(), id -> newBackend(spec));
  }

  /** Decides whether a backend has been unreachable long enough to be forced out. */
  Reachability reachability() {
    return reachability;
  }

  /** The cluster whose ring this proxy routes by, or null for a proxy of its own. */
  ClusterSync cluster() {
    return cluster;
  }

  boolean isClosed() {
    return closed;
  }

  /**
   * Routes by the ring after {@code change}, a backend forced out without moving its keys (RING
   * REMOVE FORCE), recording it first; control thread.
   */
  void removeForced(RingHistory.Change change) throws IOException, InterruptedException {
    RingHistory next = change.next();
    int[] ring = next.ids();
    if (cluster != null) {
      cluster.changes().publishStable(stateOf(next, null), next, members(ring));
    } else {
      writeState(stateOf(next, null));
      history = next;
      topologies.publish(change.current(), null, ring, members(ring), null);
    }
  }

  /** A ring change failed before its topology was published: its migration was never routed by. */
  void dropUnpublishedMigration() {
    Migration m = migration.get();
    if (m != null && topology().migration() != m) {
      migration.set(null);
    }
  }

  private Backend newBackend(BackendSpec spec) {
    Backend b = new Backend(spec, workers, config.poolSize(), ejection::backendFailed);
    ReadFrom.Mode mode = config.readFrom().of(spec.id());
    if (spec.managed() && mode != ReadFrom.Mode.PRIMARY) {
      b.readFrom(new ReplicaReads(b, mode, workers, config.poolSize(), upstream));
    }
    return b;
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

  // ---- ring changes (checked and run by RingChanges)

  @Override
  public CompletableFuture<String> ringAdd(BackendSpec spec) {
    return changes.ringAdd(spec);
  }

  @Override
  public CompletableFuture<String> ringRemove(int id) {
    return changes.ringRemove(id);
  }

  @Override
  public CompletableFuture<String> ringRemoveForce(int id) {
    return changes.ringRemoveForce(id);
  }

  /**
   * Answers a ring change with {@code ok}, or {@code error} if not null, from the control thread's
   * next task, after the current one has ended the change: a client that sends the next change as
   * soon as it reads OK is not told that one is still under way.
   */
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

  @Override
  public void finishMigration(Migration m, CompletableFuture<String> reply) {
    migrations.finish(m, reply);
  }

  // ---- RING ABORT (decided by RingAbort; in a cluster, by the proxy running the change)

  @Override
  public CompletableFuture<String> ringAbort() {
    if (cluster != null && !changes.underWay()) {
      return cluster.requestAbort();
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
      cluster.changes().adopt(h, running, stateOf(h, running, undone), members);
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
    // A connection waiting for its backend (down, or a shard with no primary) still holds what it
    // was asked to send: closing releases it, on each loop before the loops stop.
    for (Backend b : topologies.current().backends()) {
      b.closeConnections();
    }
    control.shutdownNow();
    try {
      control.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
