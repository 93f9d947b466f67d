package io.ringlb.proxy;

import java.util.Objects;

/**
 * One backend: a ring server id and either the redis-server address that holds its keys or, for a
 * shard watched by Redis Sentinel, the Sentinel master name whose primary holds them ({@code host}
 * null and {@code port} 0 then).
 */
public record BackendSpec(int id, String host, int port, String master) {

  /** How {@code --backend ID=sentinel:MASTER} and RING ADD name a Sentinel-managed shard. */
  static final String SENTINEL_PREFIX = "sentinel:";

  /** The largest backend id (ids are those of the placement: 0..99999 for the seed ring). */
  static final int MAX_ID = 99_999;

  private static final java.util.regex.Pattern MASTER_NAME =
      java.util.regex.Pattern.compile("[A-Za-z0-9._-]{1,128}");

  /** Validates the id, host and port, or the master name. */
  public BackendSpec {
    if (id < 0 || id > MAX_ID) {
      throw new IllegalArgumentException("backend id must be from 0 to " + MAX_ID + ": " + id);
    }
    if (master != null) {
      if (!MASTER_NAME.matcher(master).matches()) {
        throw new IllegalArgumentException(
            "backend "
                + id
                + ": a Sentinel master name is 1 to 128 letters, digits, '.', '_' or '-', not '"
                + master
                + "'");
      }
      if (host != null || port != 0) {
        throw new IllegalArgumentException(
            "backend " + id + ": a Sentinel-managed shard has no address of its own");
      }
    } else {
      Objects.requireNonNull(host, "host");
      if (host.isEmpty()) {
        throw new IllegalArgumentException("backend " + id + ": host must not be empty");
      }
      if (port <= 0 || port > 65535) {
        throw new IllegalArgumentException(
            "backend " + id + ": port must be from 1 to 65535: " + port);
      }
    }
  }

  /** A backend at {@code host:port}. */
  public BackendSpec(int id, String host, int port) {
    this(id, host, port, null);
  }

  /** A shard whose primary Redis Sentinel names for {@code master}. */
  public static BackendSpec sentinel(int id, String master) {
    return new BackendSpec(id, null, 0, master);
  }

  /** Returns whether Redis Sentinel names this backend's primary. */
  public boolean managed() {
    return master != null;
  }

  /**
   * Parses {@code HOST:PORT}, or {@code sentinel:MASTER} for a Sentinel-managed shard; {@code
   * where} names the setting in error messages.
   */
  public static BackendSpec parse(int id, String address, String where) {
    String text = address.trim();
    if (text.regionMatches(true, 0, SENTINEL_PREFIX, 0, SENTINEL_PREFIX.length())) {
      String name = text.substring(SENTINEL_PREFIX.length());
      try {
        return sentinel(id, name);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(where + ": " + e.getMessage());
      }
    }
    return parseAddress(id, text, where);
  }

  /** Parses {@code HOST:PORT} only. */
  static BackendSpec parseAddress(int id, String address, String where) {
    String text = address.trim();
    int colon = text.lastIndexOf(':');
    if (colon <= 0 || colon == text.length() - 1) {
      throw new IllegalArgumentException(
          where + ": address must be HOST:PORT, not '" + address + "'");
    }
    String host = text.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    int port;
    try {
      port = Integer.parseInt(text.substring(colon + 1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          where + ": port must be a number, not '" + text.substring(colon + 1) + "'");
    }
    if (port <= 0 || port > 65535) {
      throw new IllegalArgumentException(where + ": port must be from 1 to 65535, not " + port);
    }
    return new BackendSpec(id, host, port);
  }

  /** Parses {@code ID=HOST:PORT} or {@code ID=sentinel:MASTER}, the form of {@code --backend}. */
  public static BackendSpec parseAssignment(String text) {
    int eq = text.indexOf('=');
    if (eq <= 0) {
      throw new IllegalArgumentException(
          "--backend must be ID=HOST:PORT (e.g. 0=127.0.0.1:7001) or ID=sentinel:MASTER, not '"
              + text
              + "'");
    }
    int id = parseId(text.substring(0, eq), "--backend '" + text + "'");
    return parse(id, text.substring(eq + 1), "--backend '" + text + "'");
  }

  /** Returns {@code host:port}, or {@code sentinel:MASTER}. */
  public String address() {
    if (master != null) {
      return SENTINEL_PREFIX + master;
    }
    return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
  }

  /**
   * Parses a backend id, 0 to {@link #MAX_ID}, naming {@code where} and the text if it is not one.
   */
  static int parseId(String text, String where) {
    try {
      int id = Integer.parseInt(text.trim());
      if (id >= 0 && id <= MAX_ID) {
        return id;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new IllegalArgumentException(
        where + ": backend id must be a number from 0 to " + MAX_ID + ", not '" + text + "'");
  }
}
