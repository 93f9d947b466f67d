package io.ringlb.server.http;

import java.util.Locale;

/**
 * Where the HTTP port listens and what it leaves open.
 *
 * @param host the address to listen on ({@code 127.0.0.1} unless given)
 * @param port the TCP port, 0 for an ephemeral one
 * @param openProbes whether {@code /metrics}, {@code /healthz} and {@code /readyz} answer without a
 *     login when the server has passwords (for scrapers and load balancers); the dashboard and
 *     {@code /api/ring} always ask for one then
 */
public record HttpSettings(String host, int port, boolean openProbes) {

  /** The port of the examples: {@code ringlb serve --http 127.0.0.1:9121}. */
  public static final int DEFAULT_PORT = 9121;

  /** Validates the fields. */
  public HttpSettings {
    if (host == null || host.isBlank()) {
      throw new IllegalArgumentException("http: the address must not be empty");
    }
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("http: port must be from 0 to 65535, not " + port);
    }
  }

  /**
   * Parses {@code HOST:PORT}, {@code [IPV6]:PORT} or a bare {@code PORT} (on 127.0.0.1); {@code
   * where} names the setting in the message of an {@link IllegalArgumentException}.
   */
  public static HttpSettings parse(String text, boolean openProbes, String where) {
    String t = text == null ? "" : text.trim();
    String host = "127.0.0.1";
    String port = t;
    int colon = t.lastIndexOf(':');
    if (colon >= 0) {
      host = t.substring(0, colon);
      port = t.substring(colon + 1);
      if (host.startsWith("[") && host.endsWith("]")) {
        host = host.substring(1, host.length() - 1);
      }
      if (host.isEmpty()) {
        throw new IllegalArgumentException(
            where + " must be HOST:PORT or PORT (e.g. 127.0.0.1:9121), not '" + text + "'");
      }
    }
    if (port.isEmpty() || port.length() > 5 || !port.chars().allMatch(Character::isDigit)) {
      throw new IllegalArgumentException(
          where + " must be HOST:PORT or PORT (e.g. 127.0.0.1:9121), not '" + text + "'");
    }
    int p = Integer.parseInt(port);
    if (p > 65535) {
      throw new IllegalArgumentException(where + ": port must be from 0 to 65535, not " + p);
    }
    return new HttpSettings(host.toLowerCase(Locale.ROOT), p, openProbes);
  }

  /** Returns {@code host:port}, the IPv6 host in brackets. */
  public String address() {
    return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
  }
}
