package io.ringlb.proxy;

import static io.ringlb.proxy.RingException.rejected;

import java.nio.channels.ClosedByInterruptException;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;

/**
 * Runs each migration of the ring on the control thread, published already, to its end: with a
 * {@link MigrationWatch} on its backends, telling the client waiting for it of a stall once, then
 * publishing the final ring and answering OK, the keys lost meanwhile, or, for a migration RING
 * ABORT stopped, handing it to {@link RingAbort#end}.
 */
final class Migrations implements Migration.Host {

  /** What running migrations needs of the control plane. */
  interface Host extends RingAbort.Host {
    /** Returns the backend with {@code id}, or null. */
    Backend backend(int id);

    ProxyConfig config();

    Upstream upstream();
  }

  private final Host host;
  private final ScheduledExecutorService watchTimer;

  /** The reply the running migration owes, or null. */
  private volatile CompletableFuture<String> pendingReply;

  /** The watch of the running migration, or null. */
  private volatile MigrationWatch watching;

  /** Runs migrations for {@code host}, their watches on {@code watchTimer}. */
  Migrations(Host host, ScheduledExecutorService watchTimer) {
    this.host = host;
    this.watchTimer = watchTimer;
  }

  @Override
  public Backend backend(int id) {
    return host.backend(id);
  }

  @Override
  public ProxyConfig config() {
    return host.config();
  }

  @Override
  public Upstream upstream() {
    return host.upstream();
  }

  /**
   * Runs {@code m} to its end, publishes the final ring, and answers {@code reply}: OK, or the keys
   * lost meanwhile.
   */
  void finish(Migration m, CompletableFuture<String> reply) {
    pendingReply = reply;
    MigrationWatch watch = watch(m);
    watching = watch;
    try {
      try {
        m.run(this);
        watch.poll(); // a restart just before the end is seen too
      } finally {
        watch.close();
        watching = null;
      }
      if (m.aborted()) {
        RingAbort.end(host, m, watch, reply);
        return;
      }
      host.completed(m);
      RingHistory history = host.history();
      host.adopt(history, null, null, host.members(history.ids()));
      if (m.kind() == Migration.Kind.REMOVE) {
        host.forget(m.backend());
      }
      String lost = m.dataLoss();
      if (reply != null) {
        host.answerWhenDone(
            reply,
            m.undoing() ? RingAbort.done(m, 0) : "OK",
            lost == null
                ? null
                : "RING " + m.label() + " is done, but keys were lost during it: " + lost);
      }
      if (m.abandonedBy() != null) {
        host.answerWhenDone(m.abandonedBy(), "OK", null);
      }
    } catch (InterruptedException | ClosedByInterruptException e) {
      // Closing: the state file still records the migration, which resumes on the next start
      // (or, if the interrupted write was RING ABORT's, the change it was aborting).
      Thread.currentThread().interrupt();
      if (reply != null) {
        reply.completeExceptionally(
            rejected("ringlb is shutting down; the migration resumes when it starts again"));
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

  /** Starts watching the backends {@code m} moves keys between. */
  private MigrationWatch watch(Migration m) {
    TreeSet<Integer> ids = new TreeSet<>();
    for (int id : m.previous().servers()) {
      ids.add(id);
    }
    for (int id : m.current().servers()) {
      ids.add(id);
    }
    ids.add(m.server());
    List<Backend> watched = new ArrayList<>();
    for (int id : ids) {
      Backend b = host.backend(id);
      if (b != null) {
        watched.add(b);
      }
    }
    return new MigrationWatch(m, watched, watchTimer, host.config().requestTimeout().toMillis());
  }

  /** A migration step failed and will be retried: tell the client waiting for it, once. */
  @Override
  public void migrationStalled(Migration m, String error) {
    CompletableFuture<String> reply = pendingReply;
    if (reply != null && !reply.isDone()) {
      MigrationWatch watch = watching;
      if (watch != null) {
        try {
          watch.poll(); // a backend that restarted is likely why
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      String lost = m.dataLoss();
      reply.completeExceptionally(
          rejected(
              "migration "
                  + m.label()
                  + " stalled: "
                  + error
                  + (lost == null ? "" : "; keys were lost: " + lost)
                  + "; it keeps retrying (see INFO migration)"));
    }
  }

  /** Stops the watches. */
  void close() {
    watchTimer.shutdownNow();
  }
}
