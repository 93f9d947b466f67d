package io.ringlb.server.http;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Locale;

/**
 * HTTP basic authentication against the server's users: the same names, passwords and login
 * throttle as {@code AUTH} on the RESP port ({@code default} is the {@code requirepass} user).
 */
final class BasicAuth {

  /** The challenge a refusal carries, so that a browser asks for a login. */
  static final String CHALLENGE = "Basic realm=\"ringlb\", charset=\"UTF-8\"";

  /** The outcome of a request's credentials. */
  enum Outcome {
    /** The credentials name a user and its password. */
    ACCEPTED,
    /** The request carries no credentials: asked for, not counted as a failed login. */
    MISSING,
    /** The credentials are wrong or malformed: a failed login. */
    REFUSED
  }

  /** What checking a request's credentials found, and how long a refusal must wait. */
  record Result(Outcome outcome, long delayNanos) {}

  private BasicAuth() {}

  /** Checks the credentials of {@code request}, sent from host {@code address}. */
  static Result check(HttpRequest request, Monitored server, String address) {
    String header = request.headers().get(HttpHeaderNames.AUTHORIZATION);
    if (header == null || header.isBlank()) {
      return new Result(Outcome.MISSING, 0);
    }
    String h = header.trim();
    String decoded = null;
    if (h.length() > 6 && h.substring(0, 6).toLowerCase(Locale.ROOT).equals("basic ")) {
      try {
        decoded =
            new String(Base64.getDecoder().decode(h.substring(6).trim()), StandardCharsets.UTF_8);
      } catch (IllegalArgumentException e) {
        decoded = null;
      }
    }
    int colon = decoded == null ? -1 : decoded.indexOf(':');
    String user = colon < 0 ? "" : decoded.substring(0, colon);
    String password = colon < 0 ? "" : decoded.substring(colon + 1);
    Monitored.Login login = server.login(user.isEmpty() ? "default" : user, password, address);
    return login.accepted()
        ? new Result(Outcome.ACCEPTED, 0)
        : new Result(Outcome.REFUSED, login.delayNanos());
  }
}
