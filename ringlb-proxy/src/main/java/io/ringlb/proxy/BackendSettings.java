package io.ringlb.proxy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The backend side of {@link ProxyConfig.Builder}: which redis-servers and Sentinels, how they are
 * reached, when one is ejected, how keys migrate between them and when writes are acknowledged.
 *
 * <p>Each setter checks its value; {@link #check()} checks the settings against each other.
 *
 * @param <B> the builder the setters return
 */
abstract class BackendSettings<B extends BackendSettings<B>> {

  /** MIGRATE's timeout in a migration step unless set. */
  static final Duration DEFAULT_MIGRATION_TIMEOUT = Duration.ofMillis(100);

  final Map<Integer, BackendSpec> backends = new TreeMap<>();
  Duration connectTimeout = Duration.ofSeconds(1);
  Duration requestTimeout = Duration.ofSeconds(3);
  String backendPassword;
  int poolSize = 1;
  int ejectAfterFailures;
  Duration ejectRetry = Duration.ofSeconds(30);
  int migrationBatch = 100;
  int migrationRate;
  Duration migrationTimeout = DEFAULT_MIGRATION_TIMEOUT;
  Duration forceAfter = Duration.ofSeconds(30);
  List<String> allowBackends;
  final List<BackendSpec> sentinels = new ArrayList<>();
  Durability durability = Durability.ASYNC;
  ReadFrom readFrom = ReadFrom.PRIMARY;

  BackendSettings() {}

  /** Returns this builder, as the setters return it. */
  abstract B self();

  /** Sets where reads of one key go on Sentinel-managed shards (default: the primaries). */
  public B readFrom(ReadFrom r) {
    this.readFrom = Objects.requireNonNull(r, "read-from");
    return self();
  }

  /** Sets when writes are acknowledged (default {@link Durability#ASYNC}). */
  public B durability(Durability d) {
    this.durability = Objects.requireNonNull(d, "durability");
    return self();
  }

  /** Adds a Redis Sentinel, {@code HOST:PORT}, to ask for the primaries of managed shards. */
  public B sentinel(String address) {
    BackendSpec s = BackendSpec.parseAddress(0, address, "sentinel '" + address + "'");
    for (BackendSpec known : sentinels) {
      if (known.address().equals(s.address())) {
        throw new IllegalArgumentException("sentinel " + s.address() + " is given twice");
      }
    }
    sentinels.add(s);
    return self();
  }

  /** Removes every sentinel given so far. */
  public B clearSentinels() {
    sentinels.clear();
    return self();
  }

  /** Allows backends at {@code entry}: a host, address or CIDR network, optional port. */
  public B allowBackend(String entry) {
    BackendAllowList.check(entry, "allow-backends");
    if (allowBackends == null) {
      allowBackends = new ArrayList<>();
    }
    allowBackends.add(entry.trim());
    return self();
  }

  /** Adds a backend given as {@code ID=HOST:PORT}. */
  public B backend(String assignment) {
    return backend(BackendSpec.parseAssignment(assignment));
  }

  /** Adds a backend. */
  public B backend(BackendSpec spec) {
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
    return self();
  }

  /** Adds a backend. */
  public B backend(int id, String host, int port) {
    return backend(new BackendSpec(id, host, port));
  }

  /** Removes every backend given so far. */
  public B clearBackends() {
    backends.clear();
    return self();
  }

  /** Sets the connect timeout. */
  public B connectTimeout(Duration timeout) {
    this.connectTimeout = positive(timeout, "connect timeout");
    return self();
  }

  /** Sets the request timeout. */
  public B requestTimeout(Duration timeout) {
    this.requestTimeout = positive(timeout, "request timeout");
    return self();
  }

  /** Sets the password sent to each backend (null: none). */
  public B backendPassword(String password) {
    this.backendPassword = password;
    return self();
  }

  /** Sets the connections to each backend per I/O thread. */
  public B poolSize(int size) {
    if (size < 1 || size > 64) {
      throw new IllegalArgumentException("pool must be from 1 to 64: " + size);
    }
    this.poolSize = size;
    return self();
  }

  /** Ejects a backend after this many consecutive failures; 0 never ejects. */
  public B ejectAfterFailures(int failures) {
    if (failures < 0) {
      throw new IllegalArgumentException("eject.after-failures must not be negative: " + failures);
    }
    this.ejectAfterFailures = failures;
    return self();
  }

  /** Sets how long an ejected backend stays out. */
  public B ejectRetry(Duration retry) {
    this.ejectRetry = positive(retry, "eject retry");
    return self();
  }

  /** Sets the keys per migration batch. */
  public B migrationBatch(int batch) {
    if (batch < 1 || batch > 100_000) {
      throw new IllegalArgumentException("migration batch must be from 1 to 100000: " + batch);
    }
    this.migrationBatch = batch;
    return self();
  }

  /** Limits migration to this many keys per second; 0 means no limit. */
  public B migrationRate(int keysPerSecond) {
    if (keysPerSecond < 0) {
      throw new IllegalArgumentException("migration rate must not be negative: " + keysPerSecond);
    }
    this.migrationRate = keysPerSecond;
    return self();
  }

  /** Sets how long a source may wait for the target in one MIGRATE step (default 100 ms). */
  public B migrationTimeout(Duration timeout) {
    this.migrationTimeout = positive(timeout, "migration.timeout");
    return self();
  }

  /** Sets how long a backend must be unreachable before RING REMOVE FORCE (default 30 s). */
  public B forceAfter(Duration after) {
    this.forceAfter = positive(after, "force-after");
    return self();
  }

  private static Duration positive(Duration d, String what) {
    Objects.requireNonNull(d, what);
    if (d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(what + " must be positive: " + d.toMillis() + " ms");
    }
    return d;
  }

  /**
   * Checks the backend settings against each other.
   *
   * @throws IllegalArgumentException if a migration timeout that was set is not shorter than the
   *     request timeout, a backend is Sentinel-managed and no sentinel is given, or the durability
   *     timeout is not shorter than the request timeout
   */
  void check() {
    if (durability.replicated() && durability.timeout().compareTo(requestTimeout) >= 0) {
      throw new IllegalArgumentException(
          "durability timeout ("
              + durability.timeout().toMillis()
              + " ms) must be shorter than the request timeout ("
              + requestTimeout.toMillis()
              + " ms): a write waits for its replicas within its request's time");
    }
    if (migrationTimeout != DEFAULT_MIGRATION_TIMEOUT
        && migrationTimeout.compareTo(requestTimeout) >= 0) {
      throw new IllegalArgumentException(
          "migration.timeout ("
              + migrationTimeout.toMillis()
              + " ms) must be shorter than timeouts.request ("
              + requestTimeout.toMillis()
              + " ms)");
    }
    for (Integer id : readFrom.backends().keySet()) {
      BackendSpec b = backends.get(id);
      if (b != null && !b.managed()) {
        throw new IllegalArgumentException(
            "backend "
                + id
                + ": read-from needs a Sentinel-managed shard (its replicas are learnt from"
                + " Sentinel), not "
                + b.address());
      }
    }
    if (sentinels.isEmpty()) {
      for (BackendSpec b : backends.values()) {
        if (b.managed()) {
          throw new IllegalArgumentException(
              "backend "
                  + b.id()
                  + " is "
                  + b.address()
                  + " but no sentinel is given: add --sentinel HOST:PORT or list them under"
                  + " 'sentinels:' in the config file");
        }
      }
    }
  }
}
