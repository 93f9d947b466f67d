package io.ringlb.proxy;

import static io.ringlb.proxy.Durations.duration;

import io.ringlb.server.ServerConfig;
import io.ringlb.server.User;
import io.ringlb.server.UserRole;
import io.ringlb.server.http.HttpSettings;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.YAMLException;

/**
 * Reads the proxy's YAML configuration file into a {@link ProxyConfig}: checks that every setting
 * is known and of the right form, and reports a problem as an {@link IllegalArgumentException}
 * naming the file, the setting and the value.
 */
final class ConfigFile {

  private ConfigFile() {}

  /** Reads a YAML configuration; see {@code examples/proxy.yaml}. */
  static ProxyConfig load(Path file) throws IOException {
    Objects.requireNonNull(file, "file");
    if (!Files.isReadable(file)) {
      throw new IOException(
          "cannot read "
              + file
              + ": "
              + (Files.exists(file) ? "permission denied" : "no such file"));
    }
    Object root;
    try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      root = new Yaml(new SafeConstructor(new LoaderOptions())).load(reader);
    } catch (YAMLException e) {
      throw new IllegalArgumentException(file + ": not valid YAML: " + firstLine(e.getMessage()));
    }
    try {
      return fromMap(root, file.toAbsolutePath().getParent());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(file + ": " + e.getMessage());
    }
  }

  private static final Set<String> KEYS =
      Set.of(
          "listen",
          "placement",
          "hash-tag",
          "backends",
          "timeouts",
          "auth",
          "pool",
          "threads",
          "eject",
          "migration",
          "state",
          "cluster",
          "maxclients",
          "maxmemory-clients",
          "limits",
          "users",
          "default-role",
          "allow-backends",
          "sentinels",
          "http",
          "http-open-probes",
          "durability",
          "read-from");

  /** Builds the configuration a parsed file holds; {@code base} resolves a relative state path. */
  static ProxyConfig fromMap(Object root, Path base) {
    ProxyConfig.Builder b = ProxyConfig.builder();
    if (root == null) {
      return b.build();
    }
    Map<?, ?> map = asMap(root, "the file");
    for (Object key : map.keySet()) {
      if (!KEYS.contains(String.valueOf(key))) {
        throw new IllegalArgumentException(
            "unknown setting '"
                + key
                + "' (known: "
                + String.join(", ", new TreeSet<>(KEYS))
                + ")");
      }
    }
    Object listen = map.get("listen");
    if (listen != null) {
      BackendSpec spec = BackendSpec.parse(0, String.valueOf(listen), "listen");
      b.bind(spec.host()).port(spec.port());
    }
    if (map.get("placement") != null) {
      b.placement(String.valueOf(map.get("placement")));
    }
    if (map.containsKey("hash-tag")) {
      Object tag = map.get("hash-tag");
      b.hashTag(tag == null ? "none" : String.valueOf(tag));
    }
    ReadFrom readFrom = ReadFrom.PRIMARY;
    if (map.get("read-from") != null) {
      readFrom =
          readFrom.withAll(ReadFrom.Mode.parse(String.valueOf(map.get("read-from")), "read-from"));
    }
    Object backends = map.get("backends");
    if (backends != null) {
      if (backends instanceof List<?> list) {
        for (Object item : list) {
          b.backend(String.valueOf(item));
        }
      } else {
        for (Map.Entry<?, ?> e : asMap(backends, "backends").entrySet()) {
          int id = BackendSpec.parseId(String.valueOf(e.getKey()), "backends");
          b.backend(backend(id, e.getValue()));
          if (e.getValue() instanceof Map<?, ?> m && m.get("read-from") != null) {
            readFrom =
                readFrom.withBackend(
                    id,
                    ReadFrom.Mode.parse(
                        String.valueOf(m.get("read-from")), "backends." + id + ".read-from"));
          }
        }
      }
    }
    Object sentinels = map.get("sentinels");
    if (sentinels != null) {
      if (!(sentinels instanceof List<?> list)) {
        throw new IllegalArgumentException(
            "sentinels must be a list such as [127.0.0.1:26379, 127.0.0.1:26380], not '"
                + sentinels
                + "'");
      }
      for (Object item : list) {
        b.sentinel(String.valueOf(item));
      }
    }
    b.readFrom(readFrom);
    Object durability = map.get("durability");
    if (durability != null) {
      b.durability(durability(durability));
    }
    Object timeouts = map.get("timeouts");
    if (timeouts != null) {
      Map<?, ?> t = asMap(timeouts, "timeouts");
      only(t, "timeouts", "connect", "request");
      if (t.get("connect") != null) {
        b.connectTimeout(duration(t.get("connect"), "timeouts.connect"));
      }
      if (t.get("request") != null) {
        b.requestTimeout(duration(t.get("request"), "timeouts.request"));
      }
    }
    Object auth = map.get("auth");
    if (auth != null) {
      Map<?, ?> a = asMap(auth, "auth");
      only(a, "auth", "requirepass", "backend-password");
      if (a.get("requirepass") != null) {
        b.requirePass(String.valueOf(a.get("requirepass")));
      }
      if (a.get("backend-password") != null) {
        b.backendPassword(String.valueOf(a.get("backend-password")));
      }
    }
    if (map.get("pool") != null) {
      b.poolSize(integer(map.get("pool"), "pool"));
    }
    if (map.get("threads") != null) {
      b.threads(integer(map.get("threads"), "threads"));
    }
    if (map.get("maxclients") != null) {
      b.maxClients(integer(map.get("maxclients"), "maxclients"));
    }
    Object limits = map.get("limits");
    if (limits != null) {
      Map<?, ?> l = asMap(limits, "limits");
      only(l, "limits", "blocking-connections");
      if (l.get("blocking-connections") != null) {
        b.blockingConnections(
            integer(l.get("blocking-connections"), "limits.blocking-connections"));
      }
    }
    if (map.get("maxmemory-clients") != null) {
      b.maxMemoryClients(
          ServerConfig.parseMaxMemoryClients(
              String.valueOf(map.get("maxmemory-clients")), "maxmemory-clients"));
    }
    Object eject = map.get("eject");
    if (eject != null) {
      Map<?, ?> e = asMap(eject, "eject");
      only(e, "eject", "after-failures", "retry");
      if (e.get("after-failures") != null) {
        b.ejectAfterFailures(integer(e.get("after-failures"), "eject.after-failures"));
      }
      if (e.get("retry") != null) {
        b.ejectRetry(duration(e.get("retry"), "eject.retry"));
      }
    }
    Object migration = map.get("migration");
    if (migration != null) {
      Map<?, ?> m = asMap(migration, "migration");
      only(m, "migration", "batch", "rate", "timeout", "force-after");
      if (m.get("batch") != null) {
        b.migrationBatch(integer(m.get("batch"), "migration.batch"));
      }
      if (m.get("rate") != null) {
        b.migrationRate(integer(m.get("rate"), "migration.rate"));
      }
      if (m.get("timeout") != null) {
        b.migrationTimeout(duration(m.get("timeout"), "migration.timeout"));
      }
      if (m.get("force-after") != null) {
        b.forceAfter(duration(m.get("force-after"), "migration.force-after"));
      }
    }
    Object users = map.get("users");
    if (users != null) {
      for (Map.Entry<?, ?> e : asMap(users, "users").entrySet()) {
        b.user(user(String.valueOf(e.getKey()), e.getValue()));
      }
    }
    if (map.get("default-role") != null) {
      b.defaultRole(UserRole.parse(String.valueOf(map.get("default-role")), "default-role"));
    }
    Object allow = map.get("allow-backends");
    if (allow != null) {
      if (!(allow instanceof List<?> list)) {
        throw new IllegalArgumentException(
            "allow-backends must be a list such as [127.0.0.1, 10.1.0.0/16, db7:6379], not '"
                + allow
                + "'");
      }
      for (Object item : list) {
        b.allowBackend(String.valueOf(item));
      }
    }
    Object cluster = map.get("cluster");
    if (cluster != null) {
      Map<?, ?> c = asMap(cluster, "cluster");
      only(c, "cluster", "name", "etcd");
      Object etcd = c.get("etcd");
      List<String> endpoints = new ArrayList<>();
      if (etcd instanceof List<?> list) {
        list.forEach(e -> endpoints.add(String.valueOf(e)));
      } else if (etcd != null) {
        endpoints.addAll(ClusterSpec.parseEndpoints(String.valueOf(etcd)));
      }
      b.cluster(
          new ClusterSpec(c.get("name") == null ? null : String.valueOf(c.get("name")), endpoints));
    }
    boolean openProbes = false;
    if (map.get("http-open-probes") != null) {
      Object open = map.get("http-open-probes");
      if (!(open instanceof Boolean flag)) {
        throw new IllegalArgumentException(
            "http-open-probes must be true or false, not '" + open + "'");
      }
      openProbes = flag;
    }
    if (map.get("http") != null) {
      b.http(HttpSettings.parse(String.valueOf(map.get("http")), openProbes, "http"));
    } else if (openProbes) {
      throw new IllegalArgumentException("http-open-probes needs http (e.g. http: 127.0.0.1:9121)");
    }
    if (map.get("state") != null) {
      Path state = Path.of(String.valueOf(map.get("state")));
      b.stateFile(base == null ? state : base.resolve(state));
    }
    return b.build();
  }

  /**
   * Reads {@code backends.ID}: {@code HOST:PORT}, or {@code {master: NAME, read-from: MODE}} for
   * Sentinel.
   */
  private static BackendSpec backend(int id, Object value) {
    String where = "backends." + id;
    if (value instanceof Map<?, ?> m) {
      only(m, where, "master", "read-from");
      if (m.get("master") == null) {
        throw new IllegalArgumentException(where + ".master must name the Sentinel master");
      }
      try {
        return BackendSpec.sentinel(id, String.valueOf(m.get("master")));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(where + ": " + e.getMessage());
      }
    }
    return BackendSpec.parse(id, String.valueOf(value), "backend " + id);
  }

  /** Reads {@code users.NAME}: {@code {password: ..., role: data}} or password-sha256. */
  private static User user(String name, Object value) {
    String where = "users." + name;
    Map<?, ?> u = asMap(value, where);
    only(u, where, "password", "password-sha256", "role");
    if (u.get("role") == null) {
      throw new IllegalArgumentException(where + ".role must be given: data or admin");
    }
    UserRole role = UserRole.parse(String.valueOf(u.get("role")), where + ".role");
    Object password = u.get("password");
    Object hash = u.get("password-sha256");
    if ((password == null) == (hash == null)) {
      throw new IllegalArgumentException(where + " must have one of password and password-sha256");
    }
    return password != null
        ? User.withPassword(name, String.valueOf(password), role)
        : User.withSha256(name, String.valueOf(hash), role);
  }

  private static void only(Map<?, ?> map, String where, String... allowed) {
    List<String> known = List.of(allowed);
    for (Object key : map.keySet()) {
      if (!known.contains(String.valueOf(key))) {
        throw new IllegalArgumentException(
            "unknown setting '"
                + where
                + "."
                + key
                + "' (known: "
                + String.join(", ", known)
                + ")");
      }
    }
  }

  /** Parses {@code {mode: async | replicated, min-replicas: N, timeout: DURATION}}. */
  private static Durability durability(Object value) {
    Map<?, ?> d = asMap(value, "durability");
    only(d, "durability", "mode", "min-replicas", "timeout");
    Durability out = Durability.ASYNC;
    if (d.get("mode") != null) {
      out = out.withMode(Durability.Mode.parse(String.valueOf(d.get("mode")), "durability.mode"));
    }
    if (d.get("min-replicas") != null) {
      out = out.withMinReplicas(integer(d.get("min-replicas"), "durability.min-replicas"));
    }
    if (d.get("timeout") != null) {
      out = out.withTimeout(duration(d.get("timeout"), "durability.timeout"));
    }
    return out;
  }

  private static Map<?, ?> asMap(Object value, String where) {
    if (value instanceof Map<?, ?> map) {
      return map;
    }
    throw new IllegalArgumentException(where + " must be a mapping, not '" + value + "'");
  }

  private static int integer(Object value, String where) {
    if (value instanceof Integer i) {
      return i;
    }
    try {
      return Integer.parseInt(String.valueOf(value).trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(where + " must be a whole number, not '" + value + "'");
    }
  }

  private static String firstLine(String message) {
    if (message == null) {
      return "unreadable";
    }
    int nl = message.indexOf('\n');
    return nl < 0 ? message : message.substring(0, nl);
  }
}
