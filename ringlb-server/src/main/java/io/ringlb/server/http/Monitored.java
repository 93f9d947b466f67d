package io.ringlb.server.http;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.ringlb.server.RingView;
import java.util.concurrent.CompletionStage;

/**
 * What the HTTP port reads of a running server: its metrics registry, its front end's figures, its
 * data side's {@link RingView}, whether it is stopping, and its users' logins.
 */
public interface Monitored {

  /** Returns the registry {@code /metrics} shows. */
  PrometheusRegistry registry();

  /** Returns the front end's figures now. */
  Status status();

  /**
   * Returns what the data side shows of its ring; may complete later, on any thread, within the
   * data side's request timeout.
   */
  CompletionStage<RingView> view();

  /** Returns whether the server has begun to shut down. */
  boolean stopping();

  /** Returns whether clients must log in (a password is set, or named users exist). */
  boolean loginRequired();

  /**
   * Checks a login of {@code user} with {@code password} from the host {@code address}; a failure
   * counts towards that address's login throttle, shared with the RESP port.
   */
  Login login(String user, String password, String address);

  /** The outcome of a login: accepted, or refused with the time its answer must wait. */
  record Login(boolean accepted, long delayNanos) {}

  /**
   * The front end's figures, as INFO shows them.
   *
   * @param version ringlb's version
   * @param mode {@code embedded} or {@code proxy}
   * @param uptimeSeconds seconds since the server started
   * @param connectedClients client connections open now
   * @param commandsProcessed commands answered since start
   * @param opsPerSecond commands per second over the last 1.6 s
   * @param unreadReplyBytes bytes of replies written and not yet read by their clients
   */
  record Status(
      String version,
      String mode,
      long uptimeSeconds,
      long connectedClients,
      long commandsProcessed,
      long opsPerSecond,
      long unreadReplyBytes) {}
}
