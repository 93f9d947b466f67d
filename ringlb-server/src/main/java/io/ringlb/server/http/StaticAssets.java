package io.ringlb.server.http;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.Map;

/**
 * The dashboard's page, script and style, read once from ringlb's own classpath resources, so the
 * page needs nothing from the internet: no CDN, no build step.
 */
final class StaticAssets {

  /** A file served as it is. */
  record Asset(String contentType, byte[] body) {}

  private static final String BASE = "/io/ringlb/server/http/dashboard/";

  private final Map<String, Asset> byPath = new HashMap<>();

  /** Reads the dashboard's files. */
  StaticAssets() {
    add("/", "index.html", "text/html; charset=utf-8");
    add("/dashboard.js", "dashboard.js", "text/javascript; charset=utf-8");
    add("/dashboard.css", "dashboard.css", "text/css; charset=utf-8");
    add("/favicon.svg", "favicon.svg", "image/svg+xml");
  }

  private void add(String path, String file, String type) {
    try (InputStream in = StaticAssets.class.getResourceAsStream(BASE + file)) {
      if (in == null) {
        throw new IllegalStateException("the dashboard's " + file + " is missing from the jar");
      }
      byPath.put(path, new Asset(type, in.readAllBytes()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Returns the asset served at {@code path}, or null. */
  Asset get(String path) {
    return byPath.get("/index.html".equals(path) ? "/" : path);
  }
}
