package io.ringlb.proxy;

import static io.ringlb.proxy.RingException.rejected;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * RING ABORT: whether a running migration may be aborted, how it ends (on the control thread,
 * through {@link Host}), and the reply saying how many keys moved back and how many were on a
 * backend that is gone.
 *
 * <p>Aborting a RING ADD routes by the ring before it: the keys that moved to the joining backend
 * move back to their owners if it answers, and are counted lost if it does not. Aborting a RING
 * REMOVE moves the keys that left the backend back to it, so it needs that backend to answer
 * (otherwise RING REMOVE FORCE is the way out). A RING ABORT during the moving back of an aborted
 * RING ADD whose backend became unreachable ends it, counting the keys left on that backend lost.
 */
final class RingAbort {

  private static final Logger LOG = Logger.getLogger(RingAbort.class.getName());

  /** What ending an aborted change needs of the control plane (control thread only). */
  interface Host {
    /** The ring's history as it stands. */
    RingHistory history();

    /**
     * Records history {@code h} (with {@code running} under way, undoing the last change of {@code
     * undone}, each maybe null) in the state file, and publishes its topology over {@code members}.
     */
    void adopt(RingHistory h, Migration running, RingHistory undone, List<Backend> members)
        throws IOException, InterruptedException;

    /** The backends of {@code ring}, as a new list. */
    List<Backend> members(int[] ring);

    /** Drops {@code b}, out of the ring, and its connections. */
    void forget(Backend b);

    /** Calls {@code b}, answering a failure as a {@link Values.Error}. */
    Object callQuietly(Backend b, Object... args);

    /** Counts {@code m} as ended. */
    void completed(Migration m);

    /** Runs {@code m}, published already, to its end and answers {@code reply}. */
    void finishMigration(Migration m, CompletableFuture<String> reply);

    /** Answers {@code reply} with {@code ok}, or {@code error} if not null, after this task. */
    void answerWhenDone(CompletableFuture<String> reply, String ok, String error);
  }

  private RingAbort() {}

  /**
   * Answers RING ABORT of {@code running} (null when none runs): probes its backend without
   * blocking the control thread (which runs the migration), then stops it or refuses.
   */
  static CompletableFuture<String> request(Migration running, long timeoutMillis) {
    CompletableFuture<String> reply = new CompletableFuture<>();
    if (running == null) {
      reply.completeExceptionally(rejected("no ring change is running; nothing to abort"));
      return reply;
    }
    running
        .backend()
        .call("PING")
        .orTimeout(timeoutMillis, TimeUnit.MILLISECONDS)
        .whenComplete(
            (pong, error) -> {
              boolean answers = error == null && !(pong instanceof Values.Error);
              String refusal = refusal(running, answers, error != null ? error : pong);
              if (refusal != null) {
                reply.completeExceptionally(rejected(refusal));
              } else if (!running.abort(reply)) {
                reply.completeExceptionally(
                    rejected("RING " + running.label() + " ended before it could be aborted"));
              }
            });
    return reply;
  }

  /**
   * Ends {@code m}, which RING ABORT stopped: routes by the ring before its change, moving back the
   * keys that moved where the backend holding them answers, and answers the abort with the keys
   * moved back and lost; {@code reply} (the change's own) is told it was aborted. {@code watch}
   * watched {@code m}.
   */
  static void end(Host host, Migration m, MigrationWatch watch, CompletableFuture<String> reply)
      throws IOException, InterruptedException {
    CompletableFuture<String> abort = m.abandonedBy();
    host.completed(m);
    if (reply != null) {
      reply.completeExceptionally(rejected("RING " + m.label() + " was aborted by RING ABORT"));
    }
    Backend b = m.backend();
    RingHistory history = host.history();
    // Only the undoing of an ADD is ever aborted (see refusal): its keys are on b, as are those
    // that moved for an ADD.
    if (m.undoing() || m.kind() == Migration.Kind.ADD) {
      Object size = host.callQuietly(b, "DBSIZE");
      if (m.undoing() || !(size instanceof Long n) || n == 0) {
        long lost = size instanceof Long n ? n : watch.keysOn(b.id());
        RingHistory before = m.undoing() ? history : history.beforeLast();
        host.adopt(before, null, null, host.members(before.ids()));
        host.forget(b);
        String why =
            size instanceof Long
                ? "answers but is out of the ring"
                : "is unreachable: " + (size instanceof Values.Error e ? e.text() : size);
        log(m, lost, why);
        host.answerWhenDone(abort, ended(m, lost, b, why), null);
        return;
      }
    }
    // Move back: from the joining backend to the owners before it, or to the leaving one.
    RingHistory before = history.beforeLast();
    Migration.Kind kind = m.kind().opposite();
    RingHistory.Change change = before.resumingUndo(kind, m.server(), history);
    Migration undo =
        new Migration(
            kind,
            m.server(),
            b,
            change.previous(),
            change.current(),
            change.sources(),
            change.fractions(),
            true);
    List<Backend> members = host.members(before.ids());
    if (kind == Migration.Kind.REMOVE) {
      members.add(b);
    }
    host.adopt(before, undo, history, members);
    host.finishMigration(undo, abort);
  }

  /**
   * Returns why {@code running} cannot be aborted now, or null when it can; {@code answers} tells
   * whether its backend answered PING, and {@code reply} what it answered (or the failure).
   */
  private static String refusal(Migration running, boolean answers, Object reply) {
    Backend b = running.backend();
    int id = running.server();
    if (running.aborted()) {
      return "RING " + running.label() + " is being aborted already (see INFO migration)";
    }
    if (running.undoing() && running.kind() == Migration.Kind.REMOVE) {
      return answers
          ? "RING ABORT is moving the keys of "
              + b.describe()
              + " back to their owners (see INFO migration); a RING ABORT ends that only while"
              + " the backend is unreachable"
          : null;
    }
    if (running.undoing()) {
      return answers
          ? "RING ABORT is moving keys back to " + b.describe() + " (see INFO migration)"
          : b.describe()
              + " is unreachable ("
              + describe(reply)
              + "): the keys moving back to it wait for it, the others are served where they are"
              + " (see INFO migration)";
    }
    if (running.kind() == Migration.Kind.REMOVE && !answers) {
      return b.describe()
          + " is unreachable ("
          + describe(reply)
          + "), so the keys that left it cannot move back: RING REMOVE "
          + id
          + " FORCE takes it out of the ring (the keys still on it are lost), or RING ABORT"
          + " again once it answers";
    }
    return null;
  }

  /** The reply to RING ABORT once {@code undo} moved the keys back, {@code lost} lost. */
  static String done(Migration undo, long lost) {
    return "aborted "
        + undo.kind().opposite().word()
        + " "
        + undo.server()
        + ": routing by the ring before it; keys_moved_back="
        + undo.moved()
        + " keys_lost="
        + lost;
  }

  /**
   * The reply to RING ABORT of {@code m} ended without moving (the rest of) the keys back: {@code
   * lost} keys (-1: unknown) stay on {@code b}, which {@code why} (answers, or is unreachable).
   */
  private static String ended(Migration m, long lost, Backend b, String why) {
    String change = m.undoing() ? m.kind().opposite().word() : m.kind().word();
    StringBuilder sb =
        new StringBuilder()
            .append("aborted ")
            .append(change)
            .append(' ')
            .append(m.server())
            .append(": routing by the ring before it; keys_moved_back=")
            .append(m.undoing() ? m.moved() : 0)
            .append(" keys_lost=")
            .append(lost < 0 ? "unknown" : Long.toString(lost));
    if (lost != 0) {
      sb.append(" (on ").append(b.describe()).append(", which ").append(why).append(')');
    }
    String loss = m.dataLoss();
    if (loss != null) {
      sb.append("; data_loss: ").append(loss);
    }
    return sb.toString().replace('\r', ' ').replace('\n', ' ');
  }

  /** Logs the end of an aborted change. */
  private static void log(Migration m, long lost, String why) {
    if (lost != 0) {
      LOG.warning(
          "ringlb: RING ABORT ended "
              + m.label()
              + "; "
              + (lost < 0 ? "an unknown number of" : Long.toString(lost))
              + " keys on "
              + m.backend().describe()
              + ", which "
              + why
              + ", are lost");
    }
  }

  private static String describe(Object reply) {
    if (reply instanceof Throwable t) {
      Throwable cause = t.getCause() != null ? t.getCause() : t;
      return cause.getMessage() != null ? cause.getMessage() : cause.toString();
    }
    return reply instanceof Values.Error e ? e.text() : String.valueOf(reply);
  }
}
