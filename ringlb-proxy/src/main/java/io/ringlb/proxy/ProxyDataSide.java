package io.ringlb.proxy;

import io.netty.channel.EventLoop;
import io.netty.handler.codec.redis.RedisMessage;
import io.netty.util.concurrent.EventExecutor;
import io.ringlb.server.CommandRegistry;
import io.ringlb.server.ConnectionState;
import io.ringlb.server.DataSide;
import io.ringlb.server.Request;
import io.ringlb.server.RingView;
import io.ringlb.server.ServerRuntime;
import io.ringlb.server.Session;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The proxy as a data side of the RESP front end: its commands ({@link ProxyCommands}), one {@link
 * ProxyClient} per connection, its INFO sections, CONFIG GET and SET of the backends' parameters
 * ({@link BackendConfig}), and COMMAND's descriptions asked of a backend. It starts one {@link
 * Worker} per event loop of the front end and the {@link ControlPlane}, which holds the backends,
 * publishes the topology and runs ring changes.
 */
final class ProxyDataSide implements DataSide {

  private static final String[] SECTIONS = {"keyspace", "ring", "migration", "cluster"};

  private final ProxyConfig config;
  private volatile ControlPlane control;
  private volatile ProxyContext context;
  private volatile Map<EventExecutor, Worker> workers;
  private volatile CommandRegistry registry;
  private final BackendVersion backendVersion = new BackendVersion();

  ProxyDataSide(ProxyConfig config) {
    this.config = config;
  }

  /** Returns the control plane, once {@link #start} has made it. */
  ControlPlane control() {
    return control;
  }

  @Override
  public void start(ServerRuntime runtime) throws IOException {
    Upstream upstream = new Upstream(config, runtime.transport());
    List<Worker> list = new ArrayList<>();
    Map<EventExecutor, Worker> byLoop = new IdentityHashMap<>();
    ProxyStats stats = new ProxyStats();
    for (EventExecutor executor : runtime.eventLoops()) {
      Worker worker = new Worker(list.size(), (EventLoop) executor, upstream, stats);
      list.add(worker);
      byLoop.put(executor, worker);
    }
    Worker[] all = list.toArray(new Worker[0]);
    ControlPlane plane = new ControlPlane(config, upstream, all, stats);
    for (Worker worker : all) {
      worker.start();
    }
    plane.start();
    backendVersion.refresh(plane.topology());
    workers = byLoop;
    context = new ProxyContext(config, plane, stats);
    control = plane;
  }

  @Override
  public void resetStats() {
    ProxyContext c = context;
    if (c != null) {
      c.stats().barrierWaits().reset();
    }
  }

  @Override
  public void register(CommandRegistry registry) {
    this.registry = registry;
    ProxyCommands.registerAll(registry);
  }

  @Override
  public ConnectionState open(Session session) {
    return new ProxyClient(session, context, workers.get(session.eventLoop()));
  }

  @Override
  public int blockedClients() {
    Map<EventExecutor, Worker> w = workers;
    int n = 0;
    if (w != null) {
      for (Worker worker : w.values()) {
        n += worker.blocking().blockedCount();
      }
    }
    return n;
  }

  @Override
  public String mode() {
    return "proxy";
  }

  @Override
  public String[] infoSections() {
    return SECTIONS.clone();
  }

  @Override
  public CompletionStage<Map<String, String>> info(Set<String> sections) {
    ProxyContext p = context;
    Topology t = control.topology();
    Backend[] backends = t.backends();
    Object[] replies = new Object[backends.length];
    if (sections.contains("server") || sections.contains("memory")) {
      backendVersion.refresh(t);
    }
    if (!ProxyInfo.countsKeys(sections)) {
      // No section asked for needs the backends' key counts: answer without asking them, so
      // that INFO stats or INFO server answer at once even while a backend is frozen.
      return CompletableFuture.completedFuture(
          withBackendVersion(ProxyInfo.info(p, t, sections, backends, replies), sections));
    }
    return ProxyInfo.askKeyCounts(backends, replies)
        .thenApply(
            done ->
                withBackendVersion(ProxyInfo.info(p, t, sections, backends, replies), sections));
  }

  /**
   * Adds the backends' {@code redis_version} (server) and {@code mem_allocator} (memory), which
   * replace the front end's lines: clients and tools judge what they may send by them.
   */
  private Map<String, String> withBackendVersion(Map<String, String> lines, Set<String> sections) {
    String version = backendVersion.version();
    if (version != null && sections.contains("server")) {
      lines.merge("server", "redis_version:" + version + "\r\n", String::concat);
    }
    String allocator = backendVersion.allocator();
    if (allocator != null && sections.contains("memory")) {
      lines.merge("memory", "mem_allocator:" + allocator + "\r\n", String::concat);
    }
    return lines;
  }

  @Override
  public RedisMessage configGet(Session session, Request request, Map<String, String> matched) {
    return BackendConfig.get(ProxyClient.of(session).fanOut(), request, matched);
  }

  @Override
  public RedisMessage configSet(
      Session session, Request request, List<Map.Entry<String, String>> changes) {
    return BackendConfig.set(ProxyClient.of(session).fanOut(session), changes);
  }

  @Override
  public CompletionStage<RingView> view() {
    return ProxyRingView.of(context, control.topology());
  }

  @Override
  public RedisMessage describeCommands(Session session, Request request) {
    return ProxyClient.of(session).fanOut().describeCommands(request, this::served);
  }

  @Override
  public boolean serves(String name) {
    ProxyCommand command = ProxyCommands.named(name);
    return command == null || command.served();
  }

  /** Returns whether a client may run the command named {@code name} through the proxy. */
  private boolean served(byte[] name) {
    String lower = new String(name, StandardCharsets.UTF_8).toLowerCase(Locale.ROOT);
    CommandRegistry r = registry;
    return r != null && r.contains(lower) && serves(lower);
  }

  @Override
  public void stopping() {
    // Stops the control thread: a migration stays recorded and resumes on the next start, and a
    // RING ADD or REMOVE waiting for it is answered that ringlb is shutting down.
    close();
  }

  @Override
  public void close() {
    ControlPlane p = control;
    if (p != null) {
      p.close();
    }
  }
}
