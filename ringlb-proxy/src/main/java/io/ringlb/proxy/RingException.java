package io.ringlb.proxy;

/** A ring change was refused or failed; the message is the error reply's text. */
final class RingException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private RingException(String message) {
    super(message, null, false, false);
  }

  /** Returns the refusal of a ring change, {@code message} saying why. */
  static RingException rejected(String message) {
    return new RingException("ERR ringlb: " + message);
  }
}
