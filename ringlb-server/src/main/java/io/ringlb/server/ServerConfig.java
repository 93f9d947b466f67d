package io.ringlb.server;

/**
 * How a {@link RespServer} listens and what it accepts.
 *
 * @param bind the address to listen on (default {@code 127.0.0.1})
 * @param port the TCP port, 0 for an ephemeral one (default 6380)
 * @param requirePass the password clients must AUTH with, or null for none
 * @param maxClients the most connections served at once (default 10000, as Redis)
 * @param protoMaxBulkLen the largest bulk string a request may carry (default 512 MB, as Redis)
 * @param ioThreads the event loop threads that read, execute and write
 * @param users the named users and the role of {@code default}, whose password is {@code
 *     requirePass}
 * @param maxMemoryClients the most bytes all clients may hold together for replies they have not
 *     read and requests not yet run, as Redis's {@code maxmemory-clients}; 0 for no limit (default
 *     {@link #defaultMaxMemoryClients()})
 */
public record ServerConfig(
    String bind,
    int port,
    String requirePass,
    int maxClients,
    long protoMaxBulkLen,
    int ioThreads,
    Users users,
    long maxMemoryClients) {

  /** The default port of {@code ringlb serve}. */
  public static final int DEFAULT_PORT = 6380;

  /** Redis's default {@code proto-max-bulk-len}: 512 MB. */
  public static final long DEFAULT_PROTO_MAX_BULK_LEN = 512L * 1024 * 1024;

  /** The largest bulk length netty-codec-redis decodes (512 MB), so the largest limit accepted. */
  public static final long MAX_PROTO_MAX_BULK_LEN = 512L * 1024 * 1024;

  /** The most elements one request array may have, as Redis. */
  public static final int MAX_MULTIBULK = 1024 * 1024;

  /** The most elements a request may have before its client has authenticated, as Redis. */
  public static final int UNAUTHENTICATED_MULTIBULK = 10;

  /** The longest bulk string a request may carry before its client has authenticated, as Redis. */
  public static final int UNAUTHENTICATED_BULK = 16384;

  /**
   * What one client may hold (replies unread, requests waiting for it to read them, see {@link
   * ClientMemory}) before it is disconnected whatever the others hold, as Redis's
   * client-output-buffer-limit would; all clients together are bounded by {@link
   * #maxMemoryClients}. Reading goes on while the client does not read, because clients such as
   * Jedis write a whole pipeline before reading any reply, and pausing would deadlock them.
   */
  public static final long MAX_CLIENT_MEMORY = 256L << 20;

  /**
   * Unread replies past which a client's next requests wait until it reads (they are read and kept,
   * not run): a client that does not read does not make the server run, or the proxy fetch from its
   * backends, more than this ahead of it.
   */
  public static final long UNREAD_BEFORE_WAITING = 4L << 20;

  /**
   * The default {@code maxmemory-clients}, in percent of {@link #bufferMemory()}: a quarter, which
   * leaves the rest to the data side, to the buffer pool's own overhead and to the replies written
   * while a read is being served.
   */
  public static final int DEFAULT_MAX_MEMORY_CLIENTS_PERCENT = 25;

  /** Redis's default {@code maxclients}. */
  public static final int DEFAULT_MAX_CLIENTS = 10_000;

  /**
   * The default event loop count: one, like Redis. Measured on two cores against redis-benchmark, a
   * second loop competes with the clients for the CPU and gains nothing; see docs/ARCHITECTURE.md
   * and docs/BENCHMARKS.md.
   */
  public static final int DEFAULT_IO_THREADS = 1;

  /** Validates the fields, naming the one that is wrong. */
  public ServerConfig {
    if (bind == null || bind.isBlank()) {
      throw new IllegalArgumentException("bind address must not be empty");
    }
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port must be between 0 and 65535: " + port);
    }
    if (requirePass != null && requirePass.isEmpty()) {
      throw new IllegalArgumentException("requirepass must not be empty");
    }
    if (maxClients < 1) {
      throw new IllegalArgumentException("maxclients must be at least 1: " + maxClients);
    }
    if (protoMaxBulkLen < 1 || protoMaxBulkLen > MAX_PROTO_MAX_BULK_LEN) {
      throw new IllegalArgumentException(
          "proto-max-bulk-len must be between 1 and "
              + MAX_PROTO_MAX_BULK_LEN
              + ": "
              + protoMaxBulkLen);
    }
    if (ioThreads < 1) {
      throw new IllegalArgumentException("io threads must be at least 1: " + ioThreads);
    }
    if (users == null) {
      throw new IllegalArgumentException("users must not be null (Users.none() for none)");
    }
    if (maxMemoryClients < 0) {
      throw new IllegalArgumentException(
          "maxmemory-clients must not be negative (0 for no limit): " + maxMemoryClients);
    }
  }

  /** A configuration with the default {@code maxmemory-clients}. */
  public ServerConfig(
      String bind,
      int port,
      String requirePass,
      int maxClients,
      long protoMaxBulkLen,
      int ioThreads,
      Users users) {
    this(
        bind,
        port,
        requirePass,
        maxClients,
        protoMaxBulkLen,
        ioThreads,
        users,
        defaultMaxMemoryClients());
  }

  /** A configuration without named users, {@code default} an admin. */
  public ServerConfig(
      String bind,
      int port,
      String requirePass,
      int maxClients,
      long protoMaxBulkLen,
      int ioThreads) {
    this(bind, port, requirePass, maxClients, protoMaxBulkLen, ioThreads, Users.none());
  }

  /** Returns the defaults: 127.0.0.1:6380, no password, Redis's limits. */
  public static ServerConfig defaults() {
    return new ServerConfig(
        "127.0.0.1",
        DEFAULT_PORT,
        null,
        DEFAULT_MAX_CLIENTS,
        DEFAULT_PROTO_MAX_BULK_LEN,
        DEFAULT_IO_THREADS);
  }

  /** Returns a copy listening on {@code bind}. */
  public ServerConfig withBind(String bind) {
    return new ServerConfig(
        bind, port, requirePass, maxClients, protoMaxBulkLen, ioThreads, users, maxMemoryClients);
  }

  /** Returns a copy listening on {@code port}. */
  public ServerConfig withPort(int port) {
    return new ServerConfig(
        bind, port, requirePass, maxClients, protoMaxBulkLen, ioThreads, users, maxMemoryClients);
  }

  /** Returns a copy requiring {@code password} (null for none). */
  public ServerConfig withRequirePass(String password) {
    return new ServerConfig(
        bind, port, password, maxClients, protoMaxBulkLen, ioThreads, users, maxMemoryClients);
  }

  /** Returns a copy serving at most {@code maxClients} connections. */
  public ServerConfig withMaxClients(int maxClients) {
    return new ServerConfig(
        bind, port, requirePass, maxClients, protoMaxBulkLen, ioThreads, users, maxMemoryClients);
  }

  /** Returns a copy accepting bulk strings up to {@code bytes}. */
  public ServerConfig withProtoMaxBulkLen(long bytes) {
    return new ServerConfig(
        bind, port, requirePass, maxClients, bytes, ioThreads, users, maxMemoryClients);
  }

  /** Returns a copy with {@code threads} event loops. */
  public ServerConfig withIoThreads(int threads) {
    return new ServerConfig(
        bind, port, requirePass, maxClients, protoMaxBulkLen, threads, users, maxMemoryClients);
  }

  /** Returns a copy accepting {@code users} besides {@code default}. */
  public ServerConfig withUsers(Users users) {
    return new ServerConfig(
        bind, port, requirePass, maxClients, protoMaxBulkLen, ioThreads, users, maxMemoryClients);
  }

  /** Returns a copy bounding all clients' memory to {@code bytes} (0 for no limit). */
  public ServerConfig withMaxMemoryClients(long bytes) {
    return new ServerConfig(
        bind, port, requirePass, maxClients, protoMaxBulkLen, ioThreads, users, bytes);
  }

  /**
   * Returns the memory the JVM has for the buffers that hold replies and requests: the smaller of
   * its largest heap and its largest direct memory ({@code -Xmx}, {@code -XX:MaxDirectMemorySize}).
   */
  public static long bufferMemory() {
    long direct = io.netty.util.internal.PlatformDependent.maxDirectMemory();
    long heap = Runtime.getRuntime().maxMemory();
    return direct > 0 && direct < heap ? direct : heap;
  }

  /** Returns the default {@code maxmemory-clients}: a quarter of {@link #bufferMemory()}. */
  public static long defaultMaxMemoryClients() {
    return percentOf(bufferMemory(), DEFAULT_MAX_MEMORY_CLIENTS_PERCENT);
  }

  /**
   * Parses a {@code maxmemory-clients} setting: {@code 0} for no limit, a size as {@link
   * #parseBytes} reads one, or a percentage of {@link #bufferMemory()} such as {@code 25%}.
   *
   * @param where the setting's name, for the message of a bad value
   */
  public static long parseMaxMemoryClients(String text, String where) {
    String t = text.trim();
    if (t.equals("0")) {
      return 0;
    }
    if (t.endsWith("%")) {
      String number = t.substring(0, t.length() - 1).trim();
      int percent;
      try {
        percent = Integer.parseInt(number);
      } catch (NumberFormatException e) {
        percent = -1;
      }
      if (percent < 1 || percent > 100) {
        throw new IllegalArgumentException(
            where + ": '" + text + "' is not a percentage from 1% to 100%");
      }
      return percentOf(bufferMemory(), percent);
    }
    try {
      return parseBytes(t, where);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          where
              + ": '"
              + text
              + "' is not a size (expected e.g. 0 for no limit, 64mb, 1gb, or 25% of the"
              + " JVM's memory)");
    }
  }

  private static long percentOf(long bytes, int percent) {
    return bytes / 100 * percent + bytes % 100 * percent / 100;
  }

  /**
   * Parses a byte count the way redis.conf writes one: {@code 1024}, {@code 64k} (1000), {@code
   * 64kb} (1024), {@code 512mb}, {@code 1gb}.
   *
   * @param where the setting's name, for the message of a bad value
   * @throws IllegalArgumentException naming {@code where} when {@code text} is not a positive size
   */
  public static long parseBytes(String text, String where) {
    String t = text.trim().toLowerCase(java.util.Locale.ROOT);
    long unit = 1;
    String[][] units = {
      {"kb", "1024"},
      {"mb", "1048576"},
      {"gb", "1073741824"},
      {"k", "1000"},
      {"m", "1000000"},
      {"g", "1000000000"},
      {"b", "1"}
    };
    for (String[] u : units) {
      if (t.endsWith(u[0])) {
        unit = Long.parseLong(u[1]);
        t = t.substring(0, t.length() - u[0].length());
        break;
      }
    }
    try {
      long n = Long.parseLong(t.trim());
      if (n < 1 || n > Long.MAX_VALUE / unit) {
        throw new NumberFormatException();
      }
      return n * unit;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          where + ": '" + text + "' is not a positive size (expected e.g. 1048576, 64kb, 512mb)");
    }
  }

  @Override
  public String toString() {
    return "ServerConfig[bind="
        + bind
        + ", port="
        + port
        + ", requirePass="
        + (requirePass == null ? "none" : "set")
        + ", maxClients="
        + maxClients
        + ", protoMaxBulkLen="
        + protoMaxBulkLen
        + ", ioThreads="
        + ioThreads
        + ", users="
        + users
        + ", maxMemoryClients="
        + maxMemoryClients
        + "]";
  }
}
