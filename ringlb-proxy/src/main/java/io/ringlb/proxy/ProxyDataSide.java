package io.ringlb.proxy;

import io.netty.handler.codec.redis.RedisMessage;
import io.ringlb.server.CommandRegistry;
import io.ringlb.server.ConnectionState;
import io.ringlb.server.DataSide;
import io.ringlb.server.Request;
import io.ringlb.server.ServerRuntime;
import io.ringlb.server.Session;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The proxy as a data side of the RESP front end: its commands ({@link ProxyCommands}), one
 * {@link ProxyClient} per connection, its INFO sections, and COMMAND's descriptions asked of a
 * backend; the {@link Proxy} it starts on the front end's event loops holds the backends, the
 * topology and the control thread.
 */
final class ProxyDataSide implements DataSide {

  private static final String[] SECTIONS = {"keyspace", "ring", "migration"};

  private final ProxyConfig config;
  private volatile Proxy proxy;
  private volatile CommandRegistry registry;

  ProxyDataSide(ProxyConfig config) {
    this.config = config;
  }

  /** Returns the proxy, once {@link #start} has made it. */
  Proxy proxy() {
    return proxy;
  }

  @Override
  public void start(ServerRuntime runtime) throws IOException {
    Proxy p = new Proxy(config, runtime.transport(), runtime.eventLoops());
    proxy = p;
    p.start();
  }

  @Override
  public void register(CommandRegistry registry) {
    this.registry = registry;
    ProxyCommands.registerAll(registry);
  }

  @Override
  public ConnectionState open(Session session) {
    Proxy p = proxy;
    return new ProxyClient(session, p, p.workerFor(session.eventLoop()));
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
    Proxy p = proxy;
    Topology t = p.topology();
    Backend[] backends = t.backends();
    Object[] replies = new Object[backends.length];
    if (!ProxyInfo.countsKeys(sections)) {
      // No section asked for needs the backends' key counts: answer without asking them, so
      // that INFO stats or INFO server answer at once even while a backend is frozen.
      return CompletableFuture.completedFuture(ProxyInfo.info(p, t, sections, backends, replies));
    }
    CompletableFuture<?>[] counts = new CompletableFuture<?>[backends.length];
    for (int i = 0; i < backends.length; i++) {
      int index = i;
      counts[i] = backends[i].call(Values.command("DBSIZE")).handle((n, failure) -> {
        replies[index] = failure == null ? n : new Values.Error(failure.getMessage());
        return null;
      });
    }
    return CompletableFuture.allOf(counts)
        .thenApply(done -> ProxyInfo.info(p, t, sections, backends, replies));
  }

  @Override
  public RedisMessage describeCommands(Session session, Request request) {
    return ProxyClient.of(session).fanOut().describeCommands(request, this::served);
  }

  /** Returns whether a client may run the command named {@code name} through the proxy. */
  private boolean served(byte[] name) {
    String lower = new String(name, StandardCharsets.UTF_8).toLowerCase(java.util.Locale.ROOT);
    ProxyCommand command = ProxyCommands.named(lower);
    if (command != null) {
      return command.served();
    }
    CommandRegistry r = registry;
    return r != null && r.contains(lower);
  }

  @Override
  public void stopping() {
    // Stops the control thread: a migration stays recorded and resumes on the next start, and a
    // RING ADD or REMOVE waiting for it is answered that ringlb is shutting down.
    close();
  }

  @Override
  public void close() {
    Proxy p = proxy;
    if (p != null) {
      p.close();
    }
  }
}
