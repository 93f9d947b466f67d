package io.ringlb.proxy;

import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutor;
import io.ringlb.core.HashTag;
import io.ringlb.core.Placement;
import io.ringlb.placement.Placements;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * The proxy's shared state: the backends, the current {@link Topology}, and the control thread
 * that changes the ring (RING ADD / RING REMOVE, ejection) and runs migrations.
 *
 * <p>Only the control thread publishes topologies, one change at a time, through {@link
 * #switchTo}: every I/O thread adopts the new topology and holds new requests until every request
 * routed by the older one has finished, then all go on. So requests routed by two topologies never
 * race on a key: in particular, a migration moves no key while a write routed to its old owner is
 * still under way.
 */
final class Proxy {

  private final ProxyConfig config;
  private final Transport transport;
  private final EventLoopGroup group;
  private final Worker[] workers;
  private final Map<EventExecutor, Worker> workerByLoop = new IdentityHashMap<>();
  private final String placementName;
  /** The tag keys are routed on, or null when they are routed on all their bytes. */
  private final HashTag hashTag;
  private final Supplier<Placement> placements;
  private final ConcurrentHashMap<Integer, Backend> backends = new ConcurrentHashMap<>();
  private final ScheduledExecutorService control;
  private final AtomicReference<Migration> migration = new AtomicReference<>();
  /** Set while a ring change is queued or running on the control thread. */
  private final java.util.concurrent.atomic.AtomicBoolean changing =
      new java.util.concurrent.atomic.AtomicBoolean();
  private final StateFile stateFile;
  private final AtomicLong migrationsCompleted = new AtomicLong();
  private volatile Migration lastMigration;
  private volatile Topology topology;
  private volatile CompletableFuture<String> pendingReply;
  private volatile boolean closed;
  private long epoch;
  /** The ring's changes in order ({@code id} added, {@code ~id} removed), control thread only. */
  private List<Integer> history;
  final long startedMillis = System.currentTimeMillis();
  /** Commands received from clients. */
  final LongAdder commands = new LongAdder();
  final AtomicLong connectionsReceived = new AtomicLong();
  /** Connections refused because {@code maxclients} were connected. */
  final AtomicLong rejectedConnections = new AtomicLong();
  /** Commands per second in the last 16 intervals of 100 ms, as Redis samples them. */
  private final long[] opsSamples = new long[16];
  private int opsSample;
  private long lastCommands;
  private long lastSampleNanos = System.nanoTime();
  private volatile long opsPerSecond;
  final java.util.concurrent.atomic.AtomicInteger clients =
      new java.util.concurrent.atomic.AtomicInteger();
  /** The connected clients by id, for CLIENT LIST and CLIENT KILL. */
  final Map<Integer, ProxyHandler> connected = new java.util.concurrent.ConcurrentHashMap<>();

  Proxy(ProxyConfig config, Transport transport, EventLoopGroup group) throws IOException {
    this.config = config;
    this.transport = transport;
    this.group = group;
    this.stateFile = config.stateFile() == null ? null : new StateFile(config.stateFile());

    StateFile.State state = stateFile == null ? null : stateFile.read();
    Map<Integer, ProxyConfig.BackendSpec> specs;
    int[] ring;
    if (state != null) {
      this.placementName = state.placement();
      this.hashTag = state.hashTag();
      if (config.hashTag() != null && !Objects.equals(HashTag.parse(config.hashTag()), hashTag)) {
        throw new IOException(stateFile.path() + " records keys routed with hash tag "
            + describe(hashTag) + ", but the configuration asks for " + config.hashTag()
            + "; keys already stored would be looked for on the wrong backends. Set hash-tag to "
            + describe(hashTag) + " or leave it out");
      }
      specs = state.backends();
      this.history = new ArrayList<>(state.history());
    } else {
      this.placementName = config.placement() != null ? config.placement() : "seed";
      this.hashTag = config.hashTag() != null ? HashTag.parse(config.hashTag()) : HashTag.BRACES;
      specs = config.backends();
      this.history = new ArrayList<>(specs.keySet());
    }
    ring = idsOf(history);
    // The configuration and the state file have checked the name; each call makes an empty one.
    this.placements = hashTag == null
        ? () -> Placements.forStore(placementName)
        : () -> hashTag.on(Placements.forStore(placementName));
    this.control = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "ringlb-control");
      t.setDaemon(true);
      return t;
    });

    List<Worker> list = new ArrayList<>();
    for (EventExecutor executor : group) {
      Worker worker = new Worker(this, list.size(), (EventLoop) executor, null);
      list.add(worker);
      workerByLoop.put(executor, worker);
    }
    this.workers = list.toArray(new Worker[0]);
    for (ProxyConfig.BackendSpec spec : specs.values()) {
      backends.put(spec.id(), new Backend(this, spec, workers.length, config.poolSize()));
    }

    Placement current = replay(history);
    Migration resumed = null;
    if (state != null && state.previous() != null) {
      int server = state.migrationServer();
      Migration.Kind kind =
          "add".equals(state.migrationKind()) ? Migration.Kind.ADD : Migration.Kind.REMOVE;
      List<Integer> before = history.subList(0, history.size() - 1);
      int[] sources = kind == Migration.Kind.REMOVE ? new int[] {server} : idsOf(before);
      double[] fractions = new double[sources.length];
      Arrays.fill(fractions, 1.0 / Math.max(1, ring.length));
      resumed = new Migration(kind, server, backends.get(server), replay(before), current,
          sources, fractions);
      migration.set(resumed);
      changing.set(true);
    }
    this.epoch = 1;
    Topology first = new Topology(epoch, current, resumed == null ? null : resumed.previous, ring,
        backends.values(), resumed);
    this.topology = first;
    for (Worker worker : workers) {
      worker.topology = first;
    }
    if (stateFile != null && state == null) {
      stateFile.write(stateOf(history, null));
    }
    if (resumed != null) {
      Migration m = resumed;
      control.execute(() -> {
        try {
          finishMigration(m, null);
        } finally {
          changing.set(false);
        }
      });
    }
  }

  void start() {
    for (Worker worker : workers) {
      worker.loop.execute(worker::start);
    }
    control.scheduleWithFixedDelay(this::retryEjected, 200, 200, TimeUnit.MILLISECONDS);
    // On an I/O thread, not the control thread, which a migration keeps busy for its whole run.
    workers[0].loop.scheduleAtFixedRate(this::sampleOps, 100, 100, TimeUnit.MILLISECONDS);
  }

  /** The first worker's I/O thread: records the commands per second since the last sample. */
  private void sampleOps() {
    long now = System.nanoTime();
    long count = commands.sum();
    long elapsed = Math.max(1, now - lastSampleNanos);
    opsSamples[opsSample++ & (opsSamples.length - 1)] =
        (count - lastCommands) * 1_000_000_000L / elapsed;
    lastCommands = count;
    lastSampleNanos = now;
    long sum = 0;
    for (long sample : opsSamples) {
      sum += sample;
    }
    opsPerSecond = sum / opsSamples.length;
  }

  /** Returns the commands per second over the last 1.6 s, as INFO's instantaneous_ops_per_sec. */
  long instantaneousOpsPerSecond() {
    return opsPerSecond;
  }

  ProxyConfig config() {
    return config;
  }

  Transport transport() {
    return transport;
  }

  Worker[] workers() {
    return workers;
  }

  Worker workerFor(EventLoop loop) {
    return workerByLoop.get(loop);
  }

  Topology topology() {
    return topology;
  }

  Backend backend(int id) {
    return backends.get(id);
  }

  String placementName() {
    return placementName;
  }

  /** Returns the hash tag keys are routed on, or null. */
  HashTag hashTag() {
    return hashTag;
  }

  private static String describe(HashTag tag) {
    return tag == null ? "none" : tag.toString();
  }

  Migration migration() {
    return migration.get();
  }

  Migration lastMigration() {
    return lastMigration;
  }

  long migrationsCompleted() {
    return migrationsCompleted.get();
  }

  // ---- topology changes (control thread)

  /** Publishes {@code next} and waits until no request routed by an older topology is left. */
  private void switchTo(Topology next) throws InterruptedException {
    topology = next;
    List<CompletableFuture<Void>> drained = new ArrayList<>();
    for (Worker worker : workers) {
      CompletableFuture<Void> signal = new CompletableFuture<>();
      drained.add(signal);
      worker.loop.execute(() -> worker.adopt(next, signal));
    }
    // Every request in flight has a deadline, so this wait is bounded by the request timeouts.
    CompletableFuture<Void> all = CompletableFuture.allOf(drained.toArray(new CompletableFuture<?>[0]));
    while (true) {
      try {
        all.get(100, TimeUnit.MILLISECONDS);
        break;
      } catch (TimeoutException e) {
        if (closed) {
          throw new InterruptedException("closing");
        }
      } catch (ExecutionException e) {
        throw new IllegalStateException(e.getCause());
      }
    }
    for (Worker worker : workers) {
      worker.loop.execute(worker::markReady);
    }
  }

  /** Adds backend {@code spec} to the ring and moves its keys to it; completes when done. */
  CompletableFuture<String> ringAdd(ProxyConfig.BackendSpec spec) {
    CompletableFuture<String> reply = new CompletableFuture<>();
    Topology t = topology;
    if (t.inRing(spec.id())) {
      reply.completeExceptionally(rejected("backend " + spec.id() + " is already in the ring"));
      return reply;
    }
    Backend known = backends.get(spec.id());
    if (known != null && !known.spec.equals(spec)) {
      reply.completeExceptionally(rejected("backend " + spec.id() + " is still known at "
          + known.address));
      return reply;
    }
    change(reply, () -> {
      Topology now = topology;
      checkNoEjected(now);
      if (now.inRing(spec.id())) {
        throw rejected("backend " + spec.id() + " is already in the ring");
      }
      Backend b = backends.computeIfAbsent(spec.id(),
          id -> new Backend(this, spec, workers.length, config.poolSize()));
      Object size = callQuietly(b, "DBSIZE");
      if (!(size instanceof Long n)) {
        backends.remove(spec.id());
        b.closeConnections();
        throw rejected("cannot reach " + b.describe + ": " + describeReply(size));
      }
      if (n != 0) {
        backends.remove(spec.id());
        b.closeConnections();
        throw rejected(b.describe + " is not empty (DBSIZE " + n
            + "); give ringlb an empty redis-server");
      }
      int[] ring = Arrays.copyOf(now.ring, now.ring.length + 1);
      ring[ring.length - 1] = spec.id();
      Arrays.sort(ring);
      Placement previous = replay(history);
      Placement current = replay(history);
      Map<Integer, Double> moving = new TreeMap<>();
      boolean[] foreign = {false};
      current.addServer(spec.id(), new Placement.MoveListener() {
        @Override
        public void moved(int from, int to, int lo, int hi) {
          double width = (Integer.toUnsignedLong(hi) - Integer.toUnsignedLong(lo) + 1)
              / 4294967296.0;
          moving.merge(from, width, Double::sum);
          foreign[0] |= to != spec.id();
        }

        @Override
        public void reassigned() {
          foreign[0] = true;
        }
      });
      if (foreign[0]) {
        backends.remove(spec.id());
        b.closeConnections();
        throw rejected(notStarShaped("adding", spec.id()));
      }
      List<Integer> next = new ArrayList<>(history);
      next.add(spec.id());
      int[] sources = moving.keySet().stream().mapToInt(Integer::intValue).toArray();
      double[] fractions = new double[sources.length];
      for (int i = 0; i < sources.length; i++) {
        double width = moving.get(sources[i]);
        double share = previous.share(sources[i]);
        fractions[i] = Double.isNaN(width) || share <= 0 ? 1.0 / ring.length
            : Math.min(1, width / share);
      }
      Migration m = new Migration(Migration.Kind.ADD, spec.id(), b, previous, current, sources,
          fractions);
      migrate(m, next, ring, unionOf(now, b), reply);
    });
    return reply;
  }

  /** Moves every key of backend {@code id} to its new owner, then takes it out of the ring. */
  CompletableFuture<String> ringRemove(int id) {
    CompletableFuture<String> reply = new CompletableFuture<>();
    if (!removable(id, reply)) {
      return reply;
    }
    change(reply, () -> {
      Topology now = topology;
      checkNoEjected(now);
      int[] ring = Arrays.stream(now.ring).filter(x -> x != id).toArray();
      Placement previous = replay(history);
      Placement current = replay(history);
      removeStarShaped(current, id);
      List<Integer> next = new ArrayList<>(history);
      next.add(~id);
      Backend b = backends.get(id);
      Migration m = new Migration(Migration.Kind.REMOVE, id, b, previous, current,
          new int[] {id}, new double[] {1});
      migrate(m, next, ring, now.backendsList(), reply);
    });
    return reply;
  }

  /**
   * Takes backend {@code id} out of the ring without moving its keys (RING REMOVE id FORCE): for a
   * backend that is gone for good, whose keys are lost anyway. Refused while the backend answers
   * PING, since then RING REMOVE can move its keys. A RING REMOVE of the same backend that is
   * stalled on it is abandoned: the keys it moved already stay moved.
   */
  CompletableFuture<String> ringRemoveForce(int id) {
    CompletableFuture<String> reply = new CompletableFuture<>();
    Migration running = migration.get();
    if (running != null && running.kind == Migration.Kind.REMOVE && running.server == id) {
      // The control thread is inside running.run(), retrying: probe without blocking anyone.
      Backend b = running.backend;
      b.call(Replies.command("PING")).whenComplete((pong, error) -> {
        if (error == null && !(pong instanceof Replies.Error)) {
          reply.completeExceptionally(rejected(answersStill(b, id)));
        } else {
          running.abandon(reply);
          if (migration.get() != running) { // it ended meanwhile: the backend is out already
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
    change(reply, () -> {
      Topology now = topology;
      for (int other : now.ring) {
        Backend o = backends.get(other);
        if (other != id && o != null && o.ejected) {
          throw rejected(o.describe + " is ejected; change the ring when it is back");
        }
      }
      if (!(callQuietly(b, "PING") instanceof Replies.Error)) {
        throw rejected(answersStill(b, id));
      }
      int[] ring = Arrays.stream(now.ring).filter(x -> x != id).toArray();
      Placement current = replay(history);
      removeStarShaped(current, id);
      List<Integer> next = new ArrayList<>(history);
      next.add(~id);
      writeState(stateOf(next, null));
      history = next;
      List<Backend> members = new ArrayList<>();
      for (int member : ring) {
        members.add(backends.get(member));
      }
      switchTo(new Topology(++epoch, current, null, ring, members, null));
      backends.remove(id);
      b.closeConnections();
      answerWhenDone(reply);
    });
    return reply;
  }

  /**
   * Removes {@code id} from {@code placement}, refusing (with the reason) a placement that would
   * also move keys between the servers that stay.
   */
  private void removeStarShaped(Placement placement, int id) {
    boolean[] foreign = {false};
    placement.removeServer(id, new Placement.MoveListener() {
      @Override
      public void moved(int from, int to, int lo, int hi) {
        foreign[0] |= from != id;
      }

      @Override
      public void reassigned() {
        foreign[0] = true;
      }
    });
    if (foreign[0]) {
      throw rejected(notStarShaped("removing", id));
    }
  }

  private static String answersStill(Backend b, int id) {
    return b.describe + " answers: RING REMOVE " + id + " moves its keys; FORCE is only for a "
        + "backend that is gone";
  }

  /**
   * Answers OK to a ring change from the control thread's next task, after the current one has
   * ended the change: a client that sends the next change as soon as it reads OK is not told that
   * one is still under way.
   */
  private void answerWhenDone(CompletableFuture<String> reply) {
    try {
      control.execute(() -> reply.complete("OK"));
    } catch (java.util.concurrent.RejectedExecutionException closing) {
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
    control.execute(() -> {
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
    Topology t = topology;
    if (!t.inRing(id)) {
      reply.completeExceptionally(rejected("backend " + id + " is not in the ring"));
      return false;
    }
    if (t.ring.length == 1) {
      reply.completeExceptionally(rejected("backend " + id
          + " is the last one in the ring; its keys would have nowhere to go"));
      return false;
    }
    return true;
  }

  /**
   * Records {@code m} and the history it leads to, publishes the migration topology ({@code
   * m.current} owning, {@code m.previous} before it) over {@code members}, then runs it.
   */
  private void migrate(Migration m, List<Integer> next, int[] ring, List<Backend> members,
      CompletableFuture<String> reply) throws IOException, InterruptedException {
    migration.set(m);
    writeState(stateOf(next, m));
    history = next;
    switchTo(new Topology(++epoch, m.current, m.previous, ring, members, m));
    finishMigration(m, reply);
  }

  /** Runs {@code m} to its end, publishes the final ring, and answers {@code reply}. */
  private void finishMigration(Migration m, CompletableFuture<String> reply) {
    pendingReply = reply;
    try {
      m.run(this);
      Topology now = topology;
      List<Backend> members = new ArrayList<>();
      for (int id : now.ring) {
        members.add(backends.get(id));
      }
      switchTo(new Topology(++epoch, now.placement, null, now.ring, members, null));
      writeState(stateOf(history, null));
      if (m.kind == Migration.Kind.REMOVE) {
        backends.remove(m.server);
        m.backend.closeConnections();
      }
      m.finished();
      migrationsCompleted.incrementAndGet();
      lastMigration = m;
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
        reply.completeExceptionally(rejected("ringlb is shutting down; the migration resumes "
            + "when it starts again"));
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
  void migrationStalled(Migration m, String error) {
    CompletableFuture<String> reply = pendingReply;
    if (reply != null) {
      reply.completeExceptionally(rejected("migration " + m.kind.word() + " " + m.server
          + " stalled: " + error + "; it keeps retrying (see INFO migration)"));
    }
  }

  private boolean begin(CompletableFuture<String> reply) {
    if (closed) {
      reply.completeExceptionally(rejected("ringlb is shutting down"));
      return false;
    }
    if (!changing.compareAndSet(false, true)) {
      Migration running = migration.get();
      reply.completeExceptionally(rejected(running == null
          ? "another ring change is under way; try again when it ends"
          : "a migration is already running (" + running.kind.word() + " " + running.server
              + "); try again when it ends (see INFO migration)"));
      return false;
    }
    return true;
  }

  /** A ring change failed before its topology was published: nothing changed. */
  private void end(CompletableFuture<String> reply, Throwable e) {
    Migration m = migration.get();
    if (m != null && topology.migration != m) {
      migration.set(null);
    }
    reply.completeExceptionally(e);
  }

  private void checkNoEjected(Topology t) {
    for (int id : t.ring) {
      Backend b = backends.get(id);
      if (b != null && b.ejected) {
        throw rejected(b.describe + " is ejected; change the ring when it is back");
      }
    }
  }

  private List<Backend> unionOf(Topology t, Backend extra) {
    List<Backend> out = t.backendsList();
    out.add(extra);
    return out;
  }

  private void writeState(StateFile.State state) throws IOException {
    if (stateFile != null) {
      stateFile.write(state);
    }
  }

  /**
   * The proxy moves keys with MIGRATE, which blocks the source redis-server until the target
   * answers: two servers migrating to each other at once would wait for each other. A change
   * whose keys all go to the joining server (or all come from the leaving one) cannot form such
   * a cycle; the others are refused.
   */
  private String notStarShaped(String doing, int id) {
    return "placement '" + placementName + "' moves keys between other servers when " + doing
        + " backend " + id + "; the proxy only moves keys to a joining or from a leaving backend"
        + " (see docs/ARCHITECTURE.md)";
  }

  /** Returns the ids present after {@code ops}, ascending. */
  static int[] idsOf(List<Integer> ops) {
    java.util.TreeSet<Integer> ids = new java.util.TreeSet<>();
    for (int op : ops) {
      if (op >= 0) {
        ids.add(op);
      } else {
        ids.remove(~op);
      }
    }
    return ids.stream().mapToInt(Integer::intValue).toArray();
  }

  /** Builds the placement by replaying the ring's changes in order (layouts may depend on it). */
  private Placement replay(List<Integer> ops) {
    Placement p = placements.get();
    for (int op : ops) {
      if (op >= 0) {
        p.addServer(op, Placement.MoveListener.NONE);
      } else {
        p.removeServer(~op, Placement.MoveListener.NONE);
      }
    }
    return p;
  }

  private StateFile.State stateOf(List<Integer> ops, Migration m) {
    int[] ring = idsOf(ops);
    int[] previous = m == null ? null : idsOf(ops.subList(0, ops.size() - 1));
    Map<Integer, ProxyConfig.BackendSpec> specs = new TreeMap<>();
    for (int id : ring) {
      specs.put(id, backends.get(id).spec);
    }
    if (previous != null) {
      for (int id : previous) {
        specs.put(id, backends.get(id).spec);
      }
    }
    if (m != null) {
      specs.put(m.server, m.backend.spec);
    }
    return new StateFile.State(placementName, hashTag, specs, ring, previous,
        m == null ? null : m.kind.word(), m == null ? -1 : m.server, new ArrayList<>(ops));
  }

  // ---- ejection

  /** A backend failed {@code consecutive} times in a row; eject it when configured so. */
  void backendFailed(Backend b, int consecutive) {
    int limit = config.ejectAfterFailures();
    if (limit <= 0 || consecutive < limit || b.ejected || closed || migration.get() != null) {
      return;
    }
    synchronized (b) {
      if (b.ejected) {
        return;
      }
      b.ejectedUntil = System.nanoTime() + config.ejectRetry().toNanos();
      b.ejected = true;
    }
    control.execute(this::publishEjections);
  }

  private void retryEjected() {
    try {
      if (closed) {
        return;
      }
      boolean changed = false;
      for (Backend b : backends.values()) {
        if (b.ejected && System.nanoTime() - b.ejectedUntil > 0) {
          Object pong = callQuietly(b, "PING");
          if ("PONG".equals(pong)) {
            b.recordSuccess();
            b.ejected = false;
            changed = true;
          } else {
            b.ejectedUntil = System.nanoTime() + config.ejectRetry().toNanos();
          }
        }
      }
      if (changed) {
        publishEjections();
      }
    } catch (RuntimeException e) {
      // try again on the next tick
    }
  }

  /** Routes around the ejected backends (their keys go to the next owners on the ring). */
  private void publishEjections() {
    if (migration.get() != null || closed) {
      return;
    }
    Topology now = topology;
    Placement placement = replay(history);
    for (int id : now.ring) {
      if (backends.get(id).ejected) {
        placement.removeServer(id, Placement.MoveListener.NONE);
      }
    }
    try {
      switchTo(new Topology(++epoch, placement, null, now.ring, now.backendsList(), null));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  // ---- helpers

  Object callQuietly(Backend b, Object... args) {
    try {
      return b.call(Replies.command(args))
          .get(config.requestTimeout().toMillis() + 1000, TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      return new Replies.Error(e.getCause().getMessage());
    } catch (TimeoutException e) {
      return new Replies.Error(b.describe + " did not answer");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Replies.Error("interrupted");
    }
  }

  static String describeReply(Object reply) {
    return reply instanceof Replies.Error e ? e.text() : String.valueOf(reply);
  }

  static RingException rejected(String message) {
    return new RingException("ERR ringlb: " + message);
  }

  /** A ring change was refused or failed; the message is the error reply's text. */
  static final class RingException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    RingException(String message) {
      super(message, null, false, false);
    }
  }

  boolean closed() {
    return closed;
  }

  /** Stops the control thread; a running migration stays recorded and resumes on the next start. */
  void close() {
    closed = true;
    control.shutdownNow();
    try {
      control.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  Collection<Backend> allBackends() {
    return backends.values();
  }
}
