package io.ringlb.proxy;

import static io.ringlb.proxy.RingException.rejected;

import io.netty.channel.EventLoop;
import java.time.Duration;
import java.util.Collection;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Decides whether RING REMOVE FORCE may take a backend out without its keys: only a backend that
 * has been unreachable, every attempt to reach it failing with no reply between, for {@code
 * migration.force-after}, and that still does not answer now. A backend that is only slow or frozen
 * for a while (one missed timeout) keeps its place, and its keys.
 *
 * <p>The clock starts at the first failure after the backend's last reply ({@link
 * Backend#unreachableSince()}); any reply stops it. So that a backend that came back while nobody
 * asked it anything is noticed, every backend whose last attempt failed is sent a PING every half
 * second.
 */
final class Reachability {

  private static final long PROBE_EVERY_MILLIS = 500;

  private final long forceAfterNanos;
  private final long probeTimeoutMillis;
  private final Collection<Backend> backends;
  private final Set<Backend> probing = ConcurrentHashMap.newKeySet();

  /**
   * Watches {@code backends} (a live view); a backend must have been unreachable for {@code
   * forceAfter} before it is forced out, and a probe waits up to {@code requestTimeout} (plus a
   * second) for its answer.
   */
  Reachability(Duration forceAfter, Duration requestTimeout, Collection<Backend> backends) {
    this.forceAfterNanos = forceAfter.toNanos();
    this.probeTimeoutMillis = requestTimeout.toMillis() + 1000;
    this.backends = backends;
  }

  /** Starts probing the backends that are down, on {@code loop}. */
  void start(EventLoop loop) {
    loop.scheduleWithFixedDelay(
        this::probeDown, PROBE_EVERY_MILLIS, PROBE_EVERY_MILLIS, TimeUnit.MILLISECONDS);
  }

  /** Sends one PING to each backend that is down and has none outstanding. */
  private void probeDown() {
    for (Backend b : backends) {
      if (b.down() && probing.add(b)) {
        b.call("PING").whenComplete((reply, error) -> probing.remove(b));
      }
    }
  }

  /**
   * Completes normally when {@code b} may be forced out of the ring, or exceptionally with a {@link
   * RingException} saying why not: it answers, or it has not been unreachable long enough (then the
   * refusal says for how long it has been, and how long it must be). Never blocks.
   */
  CompletableFuture<Void> mayForce(Backend b) {
    long since = b.unreachableSince();
    if (since != 0 && System.nanoTime() - since < forceAfterNanos) {
      return CompletableFuture.failedFuture(rejected(tooSoon(b, System.nanoTime() - since)));
    }
    // Long enough by the record (or no failure recorded yet): it must not answer now either.
    return b.call("PING")
        .orTimeout(probeTimeoutMillis, TimeUnit.MILLISECONDS)
        .handle(
            (reply, error) -> {
              if (error == null) {
                // Any reply, an error reply too (LOADING...), means the backend is there.
                throw rejected(answers(b));
              }
              long s = b.unreachableSince();
              long unreachable = s == 0 ? 0 : System.nanoTime() - s;
              if (unreachable < forceAfterNanos) {
                throw rejected(tooSoon(b, unreachable));
              }
              return null;
            });
  }

  /** Like {@link #mayForce}, waiting for the answer; throws the refusal. */
  void checkMayForce(Backend b) throws InterruptedException {
    try {
      mayForce(b).get();
    } catch (java.util.concurrent.ExecutionException e) {
      throw refusal(e.getCause());
    }
  }

  /** Returns the refusal carried by {@code failure} (as {@link #mayForce} completes). */
  static RuntimeException refusal(Throwable failure) {
    Throwable cause =
        failure instanceof CompletionException && failure.getCause() != null
            ? failure.getCause()
            : failure;
    return cause instanceof RuntimeException r ? r : new IllegalStateException(cause);
  }

  private String tooSoon(Backend b, long unreachableNanos) {
    double left = (forceAfterNanos - unreachableNanos) / 1e9;
    return b.describe()
        + " has been unreachable for "
        + seconds(unreachableNanos)
        + "; FORCE needs "
        + seconds(forceAfterNanos)
        + " (force-after): try again in "
        + String.format(Locale.ROOT, "%.1f s", Math.max(0.1, left));
  }

  private static String answers(Backend b) {
    return b.describe()
        + " answers: RING REMOVE "
        + b.id()
        + " moves its keys; FORCE is only for a backend that is gone";
  }

  /** {@code 3.1 s}, {@code 30 s}, {@code 0.5 s}. */
  static String seconds(long nanos) {
    if (nanos % 1_000_000_000L == 0) {
      return nanos / 1_000_000_000L + " s";
    }
    return String.format(Locale.ROOT, "%.1f s", nanos / 1e9);
  }
}
