package io.ringlb.proxy;

import java.util.logging.Logger;

/**
 * What RING ABORT decides and answers: whether a running migration may be aborted, and the reply
 * saying how many keys moved back and how many were on a backend that is gone.
 *
 * <p>Aborting a RING ADD routes by the ring before it: the keys that moved to the joining backend
 * move back to their owners if it answers, and are counted lost if it does not. Aborting a RING
 * REMOVE moves the keys that left the backend back to it, so it needs that backend to answer
 * (otherwise RING REMOVE FORCE is the way out). A RING ABORT during the moving back of an aborted
 * RING ADD whose backend became unreachable ends it, counting the keys left on that backend lost.
 */
final class RingAbort {

  private static final Logger LOG = Logger.getLogger(RingAbort.class.getName());

  private RingAbort() {}

  /**
   * Returns why {@code running} cannot be aborted now, or null when it can; {@code answers} tells
   * whether its backend answered PING, and {@code reply} what it answered (or the failure).
   */
  static String refusal(Migration running, boolean answers, Object reply) {
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
  static String ended(Migration m, long lost, Backend b, String why) {
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
  static void log(Migration m, long lost, String why) {
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
