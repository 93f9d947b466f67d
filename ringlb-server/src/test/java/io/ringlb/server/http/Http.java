package io.ringlb.server.http;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;

/** A small HTTP client for the tests of the HTTP port, over the JDK's client. */
public final class Http {

  private static final HttpClient CLIENT =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

  private Http() {}

  /** GETs {@code path} from {@code address}, with no login. */
  public static HttpResponse<String> get(InetSocketAddress address, String path) {
    return send(address, path, "GET", null, null);
  }

  /** GETs {@code path} from {@code address} with {@code Accept: accept}. */
  public static HttpResponse<String> getAccepting(
      InetSocketAddress address, String path, String accept) {
    return send(address, path, "GET", null, accept);
  }

  /** GETs {@code path} from {@code address}, logged in as {@code user} with {@code password}. */
  public static HttpResponse<String> get(
      InetSocketAddress address, String path, String user, String password) {
    String credentials =
        Base64.getEncoder()
            .encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    return send(address, path, "GET", "Basic " + credentials, null);
  }

  /** Sends {@code method} to {@code path} with an empty body, with no login. */
  public static HttpResponse<String> send(InetSocketAddress address, String path, String method) {
    return send(address, path, method, null, null);
  }

  private static HttpResponse<String> send(
      InetSocketAddress address, String path, String method, String authorization, String accept) {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + address.getPort() + path))
            .timeout(Duration.ofSeconds(30))
            .method(method, HttpRequest.BodyPublishers.noBody());
    if (authorization != null) {
      b.header("Authorization", authorization);
    }
    if (accept != null) {
      b.header("Accept", accept);
    }
    try {
      return CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }
}
