package io.ringlb.proxy;

import io.ringlb.placement.Placements;
import io.ringlb.server.ServerConfig;
import io.ringlb.server.User;
import io.ringlb.server.UserRole;
import io.ringlb.server.Users;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The settings of the sharding proxy: where it listens, how it places keys, which redis-servers are
 * its backends and which others it may reach, its users, and its timeouts, ejection and migration
 * limits.
 *
 * <p>Built with {@link #builder()} or read from a YAML file with {@link #load(Path)} (see {@link
 * ConfigFile}); every problem is reported as an {@link IllegalArgumentException} whose message
 * names the setting and the value.
 */
public final class ProxyConfig {

  /** The largest backend id (ids are those of the placement: 0..99999 for the seed ring). */
  static final int MAX_BACKEND_ID = 99_999;

  private final String bindHost;
  private final int port;
  private final String placement;
  private final String hashTag;
  private final Map<Integer, BackendSpec> backends;
  private final Duration connectTimeout;
  private final Duration requestTimeout;
  private final String requirePass;
  private final String backendPassword;
  private final int poolSize;
  private final int threads;
  private final int ejectAfterFailures;
  private final Duration ejectRetry;
  private final int migrationBatch;
  private final int migrationRate;
  private final Path stateFile;
  private final int maxClients;
  private final long protoMaxBulkLen;
  private final long maxMemoryClients;
  private final Users users;
  private final List<String> allowBackends;

  private ProxyConfig(Builder b) {
    this.bindHost = b.bindHost;
    this.port = b.port;
    this.placement = b.placement;
    this.hashTag = b.hashTag;
    this.backends = Collections.unmodifiableMap(new TreeMap<>(b.backends));
    this.connectTimeout = b.connectTimeout;
    this.requestTimeout = b.requestTimeout;
    this.requirePass = b.requirePass;
    this.backendPassword = b.backendPassword;
    this.poolSize = b.poolSize;
    this.threads = b.threads;
    this.ejectAfterFailures = b.ejectAfterFailures;
    this.ejectRetry = b.ejectRetry;
    this.migrationBatch = b.migrationBatch;
    this.migrationRate = b.migrationRate;
    this.stateFile = b.stateFile;
    this.maxClients = b.maxClients;
    this.protoMaxBulkLen = b.protoMaxBulkLen;
    this.maxMemoryClients = b.maxMemoryClients;
    this.users = b.users;
    this.allowBackends = b.allowBackends == null ? null : List.copyOf(b.allowBackends);
  }

  /**
   * Returns a builder with the defaults: 127.0.0.1:6380, default placement, 3 s request timeout.
   */
  public static Builder builder() {
    return new Builder();
  }

  /** Returns a builder holding this configuration's settings, to override some of them. */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.bindHost = bindHost;
    b.port = port;
    b.placement = placement;
    b.hashTag = hashTag;
    b.backends.putAll(backends);
    b.connectTimeout = connectTimeout;
    b.requestTimeout = requestTimeout;
    b.requirePass = requirePass;
    b.backendPassword = backendPassword;
    b.poolSize = poolSize;
    b.threads = threads;
    b.ejectAfterFailures = ejectAfterFailures;
    b.ejectRetry = ejectRetry;
    b.migrationBatch = migrationBatch;
    b.migrationRate = migrationRate;
    b.stateFile = stateFile;
    b.maxClients = maxClients;
    b.protoMaxBulkLen = protoMaxBulkLen;
    b.maxMemoryClients = maxMemoryClients;
    b.users = users;
    b.allowBackends = allowBackends == null ? null : new ArrayList<>(allowBackends);
    return b;
  }

  /** The address to listen on. */
  public String bindHost() {
    return bindHost;
  }

  /** The port to listen on; 0 picks a free one. */
  public int port() {
    return port;
  }

  /** The placement spec (checked when set), or null for the proxy's default, {@code seed}. */
  public String placement() {
    return placement;
  }

  /**
   * The hash tag spec as set ({@code {}}, two other delimiters, or {@code none}; checked when set),
   * or null for the default, {@code {}}.
   */
  public String hashTag() {
    return hashTag;
  }

  /** The initial backends by id, ascending. */
  public Map<Integer, BackendSpec> backends() {
    return backends;
  }

  /** How long connecting to a backend may take. */
  public Duration connectTimeout() {
    return connectTimeout;
  }

  /** How long a backend may take to answer before the request fails. */
  public Duration requestTimeout() {
    return requestTimeout;
  }

  /** The password clients must give with AUTH, or null when none is required. */
  public String requirePass() {
    return requirePass;
  }

  /** The password ringlb gives each redis-server, or null. */
  public String backendPassword() {
    return backendPassword;
  }

  /** Connections to each backend per I/O thread. */
  public int poolSize() {
    return poolSize;
  }

  /** I/O threads; 0 means half the available processors (at least one). */
  public int threads() {
    return threads;
  }

  /** Consecutive failures after which a backend is ejected from the ring; 0 never ejects. */
  public int ejectAfterFailures() {
    return ejectAfterFailures;
  }

  /** How long an ejected backend stays out before ringlb tries it again. */
  public Duration ejectRetry() {
    return ejectRetry;
  }

  /** Keys per SCAN and per MIGRATE during a migration. */
  public int migrationBatch() {
    return migrationBatch;
  }

  /** The most keys a migration moves per second; 0 means no limit. */
  public int migrationRate() {
    return migrationRate;
  }

  /** The file recording the ring and any running migration, or null to keep them in memory. */
  public Path stateFile() {
    return stateFile;
  }

  /** The most client connections served at once (default 10000, as Redis); 0 means no limit. */
  public int maxClients() {
    return maxClients;
  }

  /** The largest bulk string a client request may carry, as Redis's proto-max-bulk-len. */
  public long protoMaxBulkLen() {
    return protoMaxBulkLen;
  }

  /**
   * The most bytes all clients may hold together for unread replies and unserved requests, as
   * Redis's maxmemory-clients; 0 means no limit (default {@link
   * ServerConfig#defaultMaxMemoryClients()}).
   */
  public long maxMemoryClients() {
    return maxMemoryClients;
  }

  /** The named users clients log in as, and the role of {@code default} ({@link #requirePass}). */
  public Users users() {
    return users;
  }

  /**
   * The backend addresses RING ADD may name and ringlb may connect to (hosts, addresses or CIDR
   * networks, each with an optional port), or null for the default: the starting backends' hosts.
   */
  public List<String> allowBackends() {
    return allowBackends;
  }

  /** Returns whether this configuration holds a password (client, backend or a user's). */
  public boolean holdsSecrets() {
    return requirePass != null || backendPassword != null || !users.named().isEmpty();
  }

  /** Reads a YAML configuration; see {@code examples/proxy.yaml} and {@link ConfigFile}. */
  public static ProxyConfig load(Path file) throws IOException {
    return ConfigFile.load(file);
  }

  static int parseId(String text, String where) {
    try {
      int id = Integer.parseInt(text.trim());
      if (id >= 0 && id <= MAX_BACKEND_ID) {
        return id;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new IllegalArgumentException(
        where
            + ": backend id must be a number from 0 to "
            + MAX_BACKEND_ID
            + ", not '"
            + text
            + "'");
  }

  /** One backend: a ring server id and the redis-server address that holds its keys. */
  public record BackendSpec(int id, String host, int port) {

    /** Validates the id, host and port. */
    public BackendSpec {
      if (id < 0 || id > MAX_BACKEND_ID) {
        throw new IllegalArgumentException(
            "backend id must be from 0 to " + MAX_BACKEND_ID + ": " + id);
      }
      Objects.requireNonNull(host, "host");
      if (host.isEmpty()) {
        throw new IllegalArgumentException("backend " + id + ": host must not be empty");
      }
      if (port <= 0 || port > 65535) {
        throw new IllegalArgumentException(
            "backend " + id + ": port must be from 1 to 65535: " + port);
      }
    }

    /** Parses {@code HOST:PORT}; {@code where} names the setting in error messages. */
    public static BackendSpec parse(int id, String address, String where) {
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

    /** Parses {@code ID=HOST:PORT}, the form of {@code --backend}. */
    public static BackendSpec parseAssignment(String text) {
      int eq = text.indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException(
            "--backend must be ID=HOST:PORT (e.g. 0=127.0.0.1:7001), not '" + text + "'");
      }
      int id = parseId(text.substring(0, eq), "--backend '" + text + "'");
      return parse(id, text.substring(eq + 1), "--backend '" + text + "'");
    }

    /** Returns {@code host:port}. */
    public String address() {
      return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }
  }

  /** Collects settings and checks them in {@link #build()}. */
  public static final class Builder {
    private String bindHost = "127.0.0.1";
    private int port = 6380;
    private String placement;
    private String hashTag;
    private final Map<Integer, BackendSpec> backends = new TreeMap<>();
    private Duration connectTimeout = Duration.ofSeconds(1);
    private Duration requestTimeout = Duration.ofSeconds(3);
    private String requirePass;
    private String backendPassword;
    private int poolSize = 1;
    private int threads;
    private int ejectAfterFailures;
    private Duration ejectRetry = Duration.ofSeconds(30);
    private int migrationBatch = 100;
    private int migrationRate;
    private Path stateFile;
    private int maxClients = ServerConfig.DEFAULT_MAX_CLIENTS;
    private long protoMaxBulkLen = ServerConfig.DEFAULT_PROTO_MAX_BULK_LEN;
    private long maxMemoryClients = ServerConfig.defaultMaxMemoryClients();
    private Users users = Users.none();
    private List<String> allowBackends;

    private Builder() {}

    /** Adds a user clients may log in as. */
    public Builder user(User user) {
      this.users = users.with(user);
      return this;
    }

    /** Sets the role of the {@code default} user (admin unless set). */
    public Builder defaultRole(UserRole role) {
      this.users = users.withDefaultRole(role);
      return this;
    }

    /** Allows backends at {@code entry}: a host, address or CIDR network, optional port. */
    public Builder allowBackend(String entry) {
      BackendAllowList.check(entry, "allow-backends");
      if (allowBackends == null) {
        allowBackends = new ArrayList<>();
      }
      allowBackends.add(entry.trim());
      return this;
    }

    /** Sets the listen address. */
    public Builder bind(String host) {
      this.bindHost = Objects.requireNonNull(host, "host");
      return this;
    }

    /** Sets the listen port; 0 picks a free one. */
    public Builder port(int port) {
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("port must be from 0 to 65535: " + port);
      }
      this.port = port;
      return this;
    }

    /**
     * Sets the placement strategy by spec, such as {@code slots} or {@code ring:160} (see {@link
     * Placements}).
     *
     * @throws IllegalArgumentException naming the spec and the valid ones if it is not one, or
     *     saying why it cannot hold a store ({@code jump}, {@code bounded})
     */
    public Builder placement(String spec) {
      Objects.requireNonNull(spec, "placement");
      Placements.forStore(spec);
      this.placement = spec;
      return this;
    }

    /**
     * Sets the hash tag keys are routed on: {@code {}} (the default), two other delimiters, or
     * {@code none} to route every key on all of its bytes.
     *
     * @throws IllegalArgumentException if {@code spec} is none of those
     */
    public Builder hashTag(String spec) {
      Objects.requireNonNull(spec, "hashTag");
      io.ringlb.core.HashTag.parse(spec);
      this.hashTag = spec;
      return this;
    }

    /** Adds a backend given as {@code ID=HOST:PORT}. */
    public Builder backend(String assignment) {
      return backend(BackendSpec.parseAssignment(assignment));
    }

    /** Adds a backend. */
    public Builder backend(BackendSpec spec) {
      if (backends.containsKey(spec.id())) {
        throw new IllegalArgumentException(
            "backend "
                + spec.id()
                + " is given twice ("
                + backends.get(spec.id()).address()
                + " and "
                + spec.address()
                + ")");
      }
      backends.put(spec.id(), spec);
      return this;
    }

    /** Adds a backend. */
    public Builder backend(int id, String host, int port) {
      return backend(new BackendSpec(id, host, port));
    }

    /** Removes every backend given so far. */
    public Builder clearBackends() {
      backends.clear();
      return this;
    }

    /** Sets the connect timeout. */
    public Builder connectTimeout(Duration timeout) {
      this.connectTimeout = positive(timeout, "connect timeout");
      return this;
    }

    /** Sets the request timeout. */
    public Builder requestTimeout(Duration timeout) {
      this.requestTimeout = positive(timeout, "request timeout");
      return this;
    }

    /** Requires clients to AUTH with {@code password} (null: no password). */
    public Builder requirePass(String password) {
      this.requirePass = password;
      return this;
    }

    /** Sets the password sent to each backend (null: none). */
    public Builder backendPassword(String password) {
      this.backendPassword = password;
      return this;
    }

    /** Sets the connections to each backend per I/O thread. */
    public Builder poolSize(int size) {
      if (size < 1 || size > 64) {
        throw new IllegalArgumentException("pool must be from 1 to 64: " + size);
      }
      this.poolSize = size;
      return this;
    }

    /** Sets the I/O threads; 0 means half the processors (at least one). */
    public Builder threads(int threads) {
      if (threads < 0 || threads > 256) {
        throw new IllegalArgumentException("threads must be from 0 to 256: " + threads);
      }
      this.threads = threads;
      return this;
    }

    /** Ejects a backend after this many consecutive failures; 0 never ejects. */
    public Builder ejectAfterFailures(int failures) {
      if (failures < 0) {
        throw new IllegalArgumentException(
            "eject.after-failures must not be negative: " + failures);
      }
      this.ejectAfterFailures = failures;
      return this;
    }

    /** Sets how long an ejected backend stays out. */
    public Builder ejectRetry(Duration retry) {
      this.ejectRetry = positive(retry, "eject retry");
      return this;
    }

    /** Sets the keys per migration batch. */
    public Builder migrationBatch(int batch) {
      if (batch < 1 || batch > 100_000) {
        throw new IllegalArgumentException("migration batch must be from 1 to 100000: " + batch);
      }
      this.migrationBatch = batch;
      return this;
    }

    /** Limits migration to this many keys per second; 0 means no limit. */
    public Builder migrationRate(int keysPerSecond) {
      if (keysPerSecond < 0) {
        throw new IllegalArgumentException("migration rate must not be negative: " + keysPerSecond);
      }
      this.migrationRate = keysPerSecond;
      return this;
    }

    /** Records the ring and running migrations in {@code file} (null: in memory only). */
    public Builder stateFile(Path file) {
      this.stateFile = file;
      return this;
    }

    /** Limits client connections (default 10000, as Redis); 0 means no limit. */
    public Builder maxClients(int max) {
      if (max < 0) {
        throw new IllegalArgumentException("maxclients must not be negative: " + max);
      }
      this.maxClients = max;
      return this;
    }

    /** Limits the bulk strings of client requests (1 byte to 512 MB, the default). */
    public Builder protoMaxBulkLen(long bytes) {
      if (bytes < 1 || bytes > ServerConfig.MAX_PROTO_MAX_BULK_LEN) {
        throw new IllegalArgumentException(
            "proto-max-bulk-len must be from 1 byte to 512mb: " + bytes);
      }
      this.protoMaxBulkLen = bytes;
      return this;
    }

    /**
     * Bounds the memory all clients hold together (0: no limit; default a quarter of the JVM's
     * memory for buffers, {@link ServerConfig#defaultMaxMemoryClients()}).
     */
    public Builder maxMemoryClients(long bytes) {
      if (bytes < 0) {
        throw new IllegalArgumentException(
            "maxmemory-clients must not be negative (0 for no limit): " + bytes);
      }
      this.maxMemoryClients = bytes;
      return this;
    }

    /** Returns the configuration. */
    public ProxyConfig build() {
      return new ProxyConfig(this);
    }

    private static Duration positive(Duration d, String what) {
      Objects.requireNonNull(d, what);
      if (d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException(what + " must be positive: " + d.toMillis() + " ms");
      }
      return d;
    }
  }
}
