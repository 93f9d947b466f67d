package io.ringlb.core;

/** Receives a value in place, without a copy; the bytes are valid only during the call. */
@FunctionalInterface
public interface ValueSink {

  /** Accepts {@code length} bytes of {@code buffer} from {@code offset}; must not keep them. */
  void accept(byte[] buffer, int offset, int length);
}
