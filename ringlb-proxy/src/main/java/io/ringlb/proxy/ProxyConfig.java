package io.ringlb.proxy;

import io.ringlb.placement.Placements;
import io.ringlb.server.ServerConfig;
import io.ringlb.server.User;
import io.ringlb.server.UserRole;
import io.ringlb.server.Users;
import io.ringlb.server.http.HttpSettings;
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
  private final Duration migrationTimeout;
  private final Duration forceAfter;
  private final Path stateFile;
  private final ClusterSpec cluster;

  /** The default of {@link #blockingConnections()}. */
  public static final int DEFAULT_BLOCKING_CONNECTIONS = 1000;

  private final int maxClients;
  private final int blockingConnections;
  private final long protoMaxBulkLen;
  private final long maxMemoryClients;
  private final Users users;
  private final List<String> allowBackends;
  private final List<BackendSpec> sentinels;
  private final HttpSettings http;
  private final Durability durability;
  private final ReadFrom readFrom;

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
    this.migrationTimeout = b.migrationTimeout;
    this.forceAfter = b.forceAfter;
    this.stateFile = b.stateFile;
    this.cluster = b.cluster;
    this.maxClients = b.maxClients;
    this.blockingConnections = b.blockingConnections;
    this.protoMaxBulkLen = b.protoMaxBulkLen;
    this.maxMemoryClients = b.maxMemoryClients;
    this.users = b.users;
    this.allowBackends = b.allowBackends == null ? null : List.copyOf(b.allowBackends);
    this.sentinels = List.copyOf(b.sentinels);
    this.http = b.http;
    this.durability = b.durability;
    this.readFrom = b.readFrom;
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
    b.migrationTimeout = migrationTimeout;
    b.forceAfter = forceAfter;
    b.stateFile = stateFile;
    b.cluster = cluster;
    b.maxClients = maxClients;
    b.blockingConnections = blockingConnections;
    b.protoMaxBulkLen = protoMaxBulkLen;
    b.maxMemoryClients = maxMemoryClients;
    b.users = users;
    b.allowBackends = allowBackends == null ? null : new ArrayList<>(allowBackends);
    b.sentinels.addAll(sentinels);
    b.http = http;
    b.durability = durability;
    b.readFrom = readFrom;
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

  /**
   * How long a source redis-server may wait for the target in one MIGRATE step of a migration (its
   * timeout argument): the longest a frozen target can hold up the source, and so the other keys it
   * serves. A step that times out is retried when the target answers again.
   */
  public Duration migrationTimeout() {
    return migrationTimeout;
  }

  /** How long a backend must have been unreachable before RING REMOVE FORCE takes it out. */
  public Duration forceAfter() {
    return forceAfter;
  }

  /**
   * Parses a duration as the configuration file writes them: {@code 500ms}, {@code 30s}, {@code
   * 2m}, or a number of milliseconds.
   *
   * @throws IllegalArgumentException naming {@code where} and the text if it is none of those
   */
  public static Duration parseDuration(String text, String where) {
    return Durations.duration(text, where);
  }

  /** The file recording the ring and any running migration, or null to keep them in memory. */
  public Path stateFile() {
    return stateFile;
  }

  /** The cluster whose ring (in etcd) this proxy routes by, or null for a proxy of its own. */
  public ClusterSpec cluster() {
    return cluster;
  }

  /** The most client connections served at once (default 10000, as Redis); 0 means no limit. */
  public int maxClients() {
    return maxClients;
  }

  /**
   * The most connections to one backend that blocking commands (BLPOP...) hold open together, over
   * every I/O thread: one per blocked client; default {@value #DEFAULT_BLOCKING_CONNECTIONS}.
   */
  public int blockingConnections() {
    return blockingConnections;
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

  /**
   * The Redis Sentinels that watch the backends given as {@code sentinel:MASTER}, in the order
   * ringlb asks them (each with id 0); empty when none.
   */
  public List<BackendSpec> sentinels() {
    return sentinels;
  }

  /**
   * The HTTP port for metrics, health checks and the dashboard ({@code http: 127.0.0.1:9121}), or
   * null for none (the default).
   */
  public HttpSettings http() {
    return http;
  }

  /** When writes are acknowledged: as the primary answers, or once replicas have them. */
  public Durability durability() {
    return durability;
  }

  /** Where reads of one key go on the Sentinel-managed shards (default: their primaries). */
  public ReadFrom readFrom() {
    return readFrom;
  }

  /** Returns whether this configuration holds a password (client, backend or a user's). */
  public boolean holdsSecrets() {
    return requirePass != null || backendPassword != null || !users.named().isEmpty();
  }

  /** Reads a YAML configuration; see {@code examples/proxy.yaml} and {@link ConfigFile}. */
  public static ProxyConfig load(Path file) throws IOException {
    return ConfigFile.load(file);
  }

  /** Collects settings and checks them in {@link #build()}. */
  public static final class Builder extends BackendSettings<Builder> {
    private String bindHost = "127.0.0.1";
    private int port = 6380;
    private String placement;
    private String hashTag;
    private String requirePass;
    private int threads;
    private Path stateFile;
    private ClusterSpec cluster;
    private int maxClients = ServerConfig.DEFAULT_MAX_CLIENTS;
    private int blockingConnections = DEFAULT_BLOCKING_CONNECTIONS;
    private long protoMaxBulkLen = ServerConfig.DEFAULT_PROTO_MAX_BULK_LEN;
    private long maxMemoryClients = ServerConfig.defaultMaxMemoryClients();
    private Users users = Users.none();
    private HttpSettings http;

    private Builder() {}

    @Override
    Builder self() {
      return this;
    }

    /** Serves metrics, health checks and the dashboard on {@code http} (null: no HTTP port). */
    public Builder http(HttpSettings http) {
      this.http = http;
      return this;
    }

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

    /** Requires clients to AUTH with {@code password} (null: no password). */
    public Builder requirePass(String password) {
      this.requirePass = password;
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

    /** Records the ring and running migrations in {@code file} (null: in memory only). */
    public Builder stateFile(Path file) {
      this.stateFile = file;
      return this;
    }

    /** Routes by the ring of {@code spec}'s cluster, kept in etcd (null: a proxy of its own). */
    public Builder cluster(ClusterSpec spec) {
      this.cluster = spec;
      return this;
    }

    /**
     * Limits the connections to one backend that blocking commands hold open together (1 to 100000;
     * default {@value ProxyConfig#DEFAULT_BLOCKING_CONNECTIONS}).
     */
    public Builder blockingConnections(int max) {
      if (max < 1 || max > 100_000) {
        throw new IllegalArgumentException(
            "limits.blocking-connections must be from 1 to 100000: " + max);
      }
      this.blockingConnections = max;
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

    /**
     * Returns the configuration.
     *
     * @throws IllegalArgumentException if a migration timeout that was set is not shorter than the
     *     request timeout, a backend is Sentinel-managed and no sentinel is given, or the
     *     durability timeout is not shorter than the request timeout
     */
    public ProxyConfig build() {
      check();
      return new ProxyConfig(this);
    }
  }
}
