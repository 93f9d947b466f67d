package io.ringlb.conformance;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads exactly one RESP2 or RESP3 reply at a time off a stream, by its framing alone, keeping the
 * bytes it read; the stream's own read timeout bounds the wait.
 */
final class RespReader {

  /** The longest first line accepted, CRLF included. */
  static final int MAX_LINE = 64 * 1024;

  /** The largest bulk accepted. */
  static final int MAX_BULK = 16 * 1024 * 1024;

  /** The most elements accepted in one aggregate. */
  static final int MAX_COUNT = 1024 * 1024;

  /** The deepest nesting accepted. */
  static final int MAX_DEPTH = 32;

  private final InputStream in;
  private final ByteArrayOutputStream seen = new ByteArrayOutputStream();

  RespReader(InputStream in) {
    this.in = in;
  }

  /**
   * Returns the next reply, or {@code null} when the stream ends before its first byte.
   *
   * @throws EOFException if the stream ends inside a reply
   * @throws MalformedReply if the bytes are not RESP (the message shows what was read)
   * @throws java.net.SocketTimeoutException if the stream's read timeout passes first
   */
  Reply read() throws IOException {
    seen.reset();
    int first = in.read();
    if (first < 0) {
      return null;
    }
    return read(first, 0);
  }

  /** The bytes of the reply being read so far, for a message about a reply cut short. */
  byte[] seen() {
    return seen.toByteArray();
  }

  private Reply read(int type, int depth) throws IOException {
    if (depth > MAX_DEPTH) {
      throw new MalformedReply("nested deeper than " + MAX_DEPTH, seen());
    }
    int start = seen.size();
    seen.write(type);
    String head = line();
    byte[] payload = null;
    List<Reply> children = new ArrayList<>();
    switch (type) {
      case '+', '-', ':', '_', '#', ',', '(' -> {}
      case '$', '!', '=' -> {
        long length = number(head);
        if (length >= 0) {
          if (length > MAX_BULK) {
            throw new MalformedReply(
                "bulk of " + length + " bytes (expected: <= " + MAX_BULK + ")", seen());
          }
          payload = exactly((int) length);
          if (!"\r\n".equals(new String(exactly(2), StandardCharsets.ISO_8859_1))) {
            throw new MalformedReply("bulk not followed by CRLF", seen());
          }
        } else if (length != -1) {
          throw new MalformedReply("bulk length " + length, seen());
        }
      }
      case '*', '~', '>', '%', '|' -> {
        long count = number(head);
        if (count > MAX_COUNT) {
          throw new MalformedReply(
              "aggregate of " + count + " elements (expected: <= " + MAX_COUNT + ")", seen());
        }
        long elements = type == '%' || type == '|' ? 2 * count : count;
        for (long i = 0; i < elements; i++) {
          children.add(read(next(), depth + 1));
        }
        if (type == '|') {
          // an attribute is followed by the reply it describes; both make one reply here
          children.add(read(next(), depth + 1));
        }
      }
      default ->
          throw new MalformedReply("unknown type byte 0x" + Integer.toHexString(type), seen());
    }
    byte[] all = seen.toByteArray();
    byte[] raw = java.util.Arrays.copyOfRange(all, start, all.length);
    return new Reply((byte) type, head, payload, children, raw);
  }

  private int next() throws IOException {
    int b = in.read();
    if (b < 0) {
      throw new EOFException("stream ended inside a reply");
    }
    return b;
  }

  private String line() throws IOException {
    StringBuilder sb = new StringBuilder();
    while (true) {
      int b = next();
      seen.write(b);
      if (b == '\r') {
        int lf = next();
        seen.write(lf);
        if (lf != '\n') {
          throw new MalformedReply("CR not followed by LF", seen());
        }
        return sb.toString();
      }
      if (sb.length() >= MAX_LINE) {
        throw new MalformedReply("line longer than " + MAX_LINE + " bytes", seen());
      }
      sb.append((char) b);
    }
  }

  private byte[] exactly(int n) throws IOException {
    byte[] b = in.readNBytes(n);
    seen.write(b, 0, b.length);
    if (b.length < n) {
      throw new EOFException("stream ended inside a reply");
    }
    return b;
  }

  private long number(String head) throws MalformedReply {
    try {
      return Long.parseLong(head);
    } catch (NumberFormatException e) {
      throw new MalformedReply("length or count '" + head + "' is not a number", seen());
    }
  }

  /** Bytes that are not a RESP reply. */
  static final class MalformedReply extends IOException {
    private static final long serialVersionUID = 1L;

    MalformedReply(String what, byte[] seen) {
      super(what + " after " + Rendering.escape(seen));
    }
  }
}
