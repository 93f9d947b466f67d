package io.ringlb.server;

/**
 * CLIENT REPLY of one connection, as Redis keeps it: OFF drops every reply until ON, SKIP drops the
 * next command's reply, and subscribe confirmations are written whatever it says. The command that
 * sets OFF or SKIP has its own reply dropped too.
 */
final class ReplyMode {

  private boolean off;
  private boolean skipThis;
  private boolean skipNext;
  private boolean silent; // the running command's reply is dropped, not written

  /** Command {@code r} starts running. */
  void begin(Request r) {
    silent = (off || skipThis) && !confirmsSubscription(r);
  }

  /** Whether the running command's reply is to be dropped. */
  boolean silent() {
    return silent;
  }

  /** The running command was held, to run again later: it has not started. */
  void held() {
    silent = false;
  }

  /** The running command answered; returns whether its reply is dropped. */
  boolean answered() {
    skipThis = skipNext;
    skipNext = false;
    boolean dropped = silent;
    silent = false;
    return dropped;
  }

  /** CLIENT REPLY ON: this command's reply and every later one are written. */
  void on() {
    off = false;
    skipThis = false;
    skipNext = false;
    silent = false;
  }

  /** CLIENT REPLY OFF: no reply is written, this command's included, until CLIENT REPLY ON. */
  void off() {
    off = true;
    silent = true;
  }

  /** CLIENT REPLY SKIP: neither this command's reply nor the next one's is written. */
  void skip() {
    if (!off) {
      skipNext = true;
    }
    silent = true;
  }

  /**
   * Returns whether {@code r} answers with subscribe or unsubscribe confirmations, which Redis
   * sends as it sends messages, whatever CLIENT REPLY says.
   */
  private static boolean confirmsSubscription(Request r) {
    return r.is(0, "subscribe")
        || r.is(0, "psubscribe")
        || r.is(0, "unsubscribe")
        || r.is(0, "punsubscribe");
  }
}
