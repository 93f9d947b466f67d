package io.ringlb.conformance;

import java.util.List;

/**
 * One RESP reply as read off the wire: its exact bytes and its parsed shape.
 *
 * <p>{@code type} is the RESP type byte ({@code +-:$*} and RESP3's {@code _#,(!=%~>|}); {@code
 * head} is the text after it on the first line (a simple string, an error, a number, or a length or
 * count); {@code payload} is a bulk, blob error or verbatim string's content, {@code null} for
 * every other type and for a null bulk; {@code children} are an aggregate's elements (a map's keys
 * and values alternating), empty for every other type.
 */
record Reply(byte type, String head, byte[] payload, List<Reply> children, byte[] raw) {

  Reply {
    children = List.copyOf(children);
  }

  /** Whether this is a bulk string (not null). */
  boolean isBulk() {
    return type == '$' && payload != null;
  }

  /** Whether this is an integer reply. */
  boolean isInteger() {
    return type == ':';
  }

  /** Whether this is an aggregate (array, map, set, push or attribute), null arrays excluded. */
  boolean isAggregate() {
    return (type == '*' || type == '%' || type == '~' || type == '>' || type == '|')
        && !head.startsWith("-");
  }

  /** The text of a bulk or simple string, integer or error, as ISO-8859-1; {@code null} else. */
  String text() {
    if (payload != null) {
      return new String(payload, java.nio.charset.StandardCharsets.ISO_8859_1);
    }
    return isAggregate() ? null : head;
  }

  /** The reply's exact bytes, rendered readably (see {@link Rendering}). */
  String rendered() {
    return Rendering.escape(raw);
  }
}
