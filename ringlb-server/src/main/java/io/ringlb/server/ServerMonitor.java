package io.ringlb.server;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.ringlb.server.http.Monitored;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletionStage;

/** The front end as the HTTP port reads it: a {@link Monitored} over the {@link ServerContext}. */
final class ServerMonitor implements Monitored {

  private final ServerContext server;
  private final PrometheusRegistry registry;
  private volatile boolean stopping;

  ServerMonitor(ServerContext server, PrometheusRegistry registry) {
    this.server = server;
    this.registry = registry;
  }

  /** The server began to shut down: {@code /readyz} answers 503 from now on. */
  void markStopping() {
    stopping = true;
  }

  @Override
  public PrometheusRegistry registry() {
    return registry;
  }

  @Override
  public Status status() {
    return new Status(
        RespServer.VERSION,
        server.dataSide().mode(),
        (System.currentTimeMillis() - server.startMillis()) / 1000,
        server.connectedClients(),
        server.totalCommandsProcessed(),
        server.instantaneousOpsPerSecond(),
        FrontEndMetrics.unreadReplyBytes(server));
  }

  @Override
  public CompletionStage<RingView> view() {
    return server.dataSide().view();
  }

  @Override
  public boolean stopping() {
    return stopping;
  }

  @Override
  public boolean loginRequired() {
    return server.autoLogin() == null;
  }

  @Override
  public Login login(String user, String password, String address) {
    User u = server.user(user.getBytes(StandardCharsets.UTF_8));
    if (u != null && u.accepts(password.getBytes(StandardCharsets.UTF_8))) {
      return new Login(true, 0);
    }
    long delay =
        server.authThrottle().failed(new AuthThrottle.Attempts(), address, System.nanoTime());
    return new Login(false, delay);
  }
}
