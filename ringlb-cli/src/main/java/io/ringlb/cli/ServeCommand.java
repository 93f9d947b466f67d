package io.ringlb.cli;

import io.ringlb.core.HashTag;
import io.ringlb.core.LoadBalancer;
import io.ringlb.core.Placement;
import io.ringlb.placement.Placements;
import io.ringlb.server.RespServer;
import io.ringlb.server.ServerConfig;
import io.ringlb.server.embedded.EmbeddedBackend;
import io.ringlb.server.http.HttpSettings;
import java.io.PrintWriter;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandleProxies;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code ringlb serve}: a Redis-protocol server over the balancer's embedded server memories. */
@Command(
    name = "serve",
    mixinStandardHelpOptions = true,
    description = {
      "Serves the Redis protocol (RESP2) over the balancer's server memories, so redis-cli,"
          + " redis-benchmark and Redis client libraries work unchanged.",
      "Prints one line when ready; SIGINT or SIGTERM stops it gracefully (exit 0).",
      "Ring administration: RING ADD <id> [weight], RING REMOVE <id>, RING NODES,"
          + " RING LOCATE <key>, RING STATS.",
      "With --backend or --config it is a sharding proxy over redis-servers instead:"
          + " RING ADD <id> <host:port> and RING REMOVE <id> move the keys live;"
          + " RING REMOVE <id> FORCE drops a backend that is gone, with its keys."
    })
public final class ServeCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Mixin ProxyOptions proxyOptions = new ProxyOptions();

  @Option(
      names = "--port",
      defaultValue = "6380",
      paramLabel = "PORT",
      description = "TCP port to listen on, 0 for any free one (default: ${DEFAULT-VALUE}).")
  int port;

  @Option(
      names = "--bind",
      defaultValue = "127.0.0.1",
      paramLabel = "ADDR",
      description = "Address to listen on (default: ${DEFAULT-VALUE}).")
  String bind;

  @Option(
      names = "--servers",
      defaultValue = "0,1,2",
      paramLabel = "IDS",
      description =
          "Comma-separated ids of the initial server memories (default: ${DEFAULT-VALUE}).")
  String servers;

  @Option(
      names = "--placement",
      defaultValue = "slots",
      paramLabel = "SPEC",
      converter = StorePlacementConverter.class,
      description =
          "How keys are placed on the server memories (default: ${DEFAULT-VALUE},"
              + " balanced and exactly minimal-moving, see docs/PLACEMENT.md; seed is the original"
              + " ring; see 'ringlb simulate --help' for the others).")
  String placement;

  @Option(
      names = "--hash-tag",
      paramLabel = "DELIMITERS",
      description =
          "Route a key on the part between these two delimiters when it has one, so"
              + " that {user1}.cart and {user1}.orders share a server and multi-key commands can use"
              + " them together (default: {}; none routes every key on all of its bytes).")
  String hashTag;

  @Option(
      names = "--requirepass",
      paramLabel = "SECRET",
      description =
          "Password of the default user, which clients must AUTH with before any other command"
              + " (visible in ps: prefer --requirepass-file).")
  String requirePass;

  @Option(
      names = "--requirepass-file",
      paramLabel = "FILE",
      description = "As --requirepass, the password read from FILE (one line; keep it mode 600).")
  java.nio.file.Path requirePassFile;

  @Option(
      names = "--user",
      paramLabel = "NAME:ROLE:FILE",
      description =
          "A user clients log in as with AUTH NAME PASSWORD (repeatable): ROLE is data (reads and"
              + " writes data) or admin (also RING ADD/REMOVE, FLUSHALL, CLIENT KILL, CONFIG,"
              + " SCRIPT/FUNCTION FLUSH); the password is read from FILE.")
  java.util.List<String> userOptions = new java.util.ArrayList<>();

  @Option(
      names = "--default-role",
      paramLabel = "ROLE",
      description = "Role of the default user (the requirepass one): admin (default) or data.")
  String defaultRole;

  @Option(
      names = "--maxclients",
      defaultValue = "10000",
      paramLabel = "N",
      description = "Most clients connected at once (default: ${DEFAULT-VALUE}).")
  int maxClients;

  @Option(
      names = "--proto-max-bulk-len",
      defaultValue = "512mb",
      paramLabel = "BYTES",
      description =
          "Largest bulk string a request may carry, e.g. 1048576, 64kb, 512mb"
              + " (default: ${DEFAULT-VALUE}, at most 512mb).")
  String protoMaxBulkLen;

  @Option(
      names = "--maxmemory-clients",
      paramLabel = "BYTES",
      description =
          "Most memory all clients may hold together for replies they have not read and"
              + " requests not yet served, e.g. 64mb, 1gb, or 10%% of the JVM's memory for"
              + " buffers; past it the client holding the most is disconnected. 0: no limit."
              + " Default: "
              + ServerConfig.DEFAULT_MAX_MEMORY_CLIENTS_PERCENT
              + "%% of the smaller of -Xmx and -XX:MaxDirectMemorySize.")
  String maxMemoryClients;

  @Option(
      names = "--http",
      paramLabel = "ADDR",
      description =
          "Serve Prometheus metrics (/metrics), health checks (/healthz, /readyz), a live"
              + " dashboard (/) and its JSON (/api/ring) on HOST:PORT, or PORT on 127.0.0.1"
              + " (e.g. 127.0.0.1:9121). Off unless given; with passwords set it asks for a user"
              + " of the RESP port (HTTP basic authentication).")
  String http;

  @Option(
      names = "--http-open-probes",
      description =
          "With --http and passwords set: leave /metrics, /healthz and /readyz open, for"
              + " scrapers and load balancers (the dashboard and /api/ring still ask for a login).")
  boolean httpOpenProbes;

  private final CountDownLatch stop = new CountDownLatch(1);
  private volatile RespServer server;
  private volatile io.ringlb.proxy.ProxyServer proxy;

  @Override
  public Integer call() throws Exception {
    if (proxyOptions.selectProxy()) {
      return callProxy();
    }
    ServerConfig config;
    Placement ring;
    int[] ids;
    HttpSettings httpSettings;
    try {
      proxyOptions.refuseForEmbedded(spec.commandLine().getParseResult());
      config =
          ServerConfig.defaults()
              .withBind(bind)
              .withPort(port)
              .withRequirePass(requirePass())
              .withMaxClients(maxClients)
              .withProtoMaxBulkLen(parseBytes(protoMaxBulkLen))
              .withUsers(users(io.ringlb.server.Users.none()));
      if (maxMemoryClients != null) {
        config = config.withMaxMemoryClients(maxMemoryClients());
      }
      ring = Placements.forStore(placement);
      HashTag tag = hashTag == null ? HashTag.BRACES : hashTag(hashTag);
      if (tag != null) {
        ring = tag.on(ring);
      }
      ids = parseServers(servers);
      httpSettings = httpSettings();
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage());
    }
    LoadBalancer balancer = LoadBalancer.builder().placement(ring).build();
    for (int id : ids) {
      try {
        balancer.addServer(id);
      } catch (IllegalArgumentException e) {
        throw new ParameterException(spec.commandLine(), "--servers: " + e.getMessage());
      }
    }
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    try {
      server = RespServer.start(config, EmbeddedBackend.over(balancer), httpSettings);
    } catch (java.io.IOException e) {
      err.println("ringlb serve: " + e.getMessage());
      err.flush();
      return 1;
    }
    installSignalHandlers();
    out.println(
        "ringlb serve: ready on "
            + server.address().getAddress().getHostAddress()
            + ":"
            + server.address().getPort()
            + " (placement "
            + ring.name()
            + ", servers "
            + joinIds(ids)
            + ", "
            + server.transport()
            + ")"
            + httpLine(server.httpAddress()));
    out.flush();
    stop.await();
    server.close();
    return 0;
  }

  /** Serves as a sharding proxy over redis-servers ({@code --backend} or {@code --config}). */
  private int callProxy() throws Exception {
    picocli.CommandLine.ParseResult parsed = spec.commandLine().getParseResult();
    io.ringlb.proxy.ProxyConfig config;
    try {
      if (parsed.hasMatchedOption("--servers")) {
        throw new IllegalArgumentException(
            "--servers names embedded server memories; with"
                + " --backend or --config the ring servers are redis-servers");
      }
      java.nio.file.Path configFile = proxyOptions.configFile();
      io.ringlb.proxy.ProxyConfig.Builder b = proxyOptions.builder();
      if (configFile == null || parsed.hasMatchedOption("--port")) {
        b.port(port);
      }
      if (configFile == null || parsed.hasMatchedOption("--bind")) {
        b.bind(bind);
      }
      if (configFile == null
          || parsed.hasMatchedOption("--placement")
          || b.build().placement() == null) {
        b.placement(placement);
      }
      if (hashTag != null) {
        hashTag(hashTag); // checked here to name the option
        b.hashTag(hashTag);
      }
      String password = requirePass();
      if (password != null) {
        b.requirePass(password);
      }
      for (String user : userOptions) {
        b.user(user(user));
      }
      if (defaultRole != null) {
        b.defaultRole(io.ringlb.server.UserRole.parse(defaultRole, "--default-role"));
      }
      if (configFile == null || parsed.hasMatchedOption("--maxclients")) {
        b.maxClients(maxClients);
      }
      proxyOptions.applyTo(b, this::warnIfShared);
      b.protoMaxBulkLen(parseBytes(protoMaxBulkLen));
      if (http != null) {
        b.http(httpSettings());
      } else if (httpOpenProbes) {
        io.ringlb.server.http.HttpSettings fromFile = b.build().http();
        if (fromFile == null) {
          throw new IllegalArgumentException(
              "--http-open-probes needs --http (or http: in --config)");
        }
        b.http(new io.ringlb.server.http.HttpSettings(fromFile.host(), fromFile.port(), true));
      }
      if (maxMemoryClients != null) {
        b.maxMemoryClients(maxMemoryClients());
      }
      config = b.build();
      if (configFile != null && config.holdsSecrets()) {
        warnIfShared(configFile);
      }
      if (config.backends().isEmpty()
          && config.cluster() == null
          && (config.stateFile() == null || !java.nio.file.Files.exists(config.stateFile()))) {
        throw new IllegalArgumentException(
            "no backends: give --backend ID=HOST:PORT or list"
                + " them under 'backends:' in the --config file");
      }
    } catch (java.io.IOException e) {
      throw new ParameterException(spec.commandLine(), "--config: " + e.getMessage());
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage());
    }
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    try {
      proxy = io.ringlb.proxy.ProxyServer.start(config);
    } catch (java.io.IOException | IllegalArgumentException e) {
      err.println("ringlb serve: " + e.getMessage());
      err.flush();
      return 1;
    }
    installSignalHandlers();
    out.println(
        "ringlb serve: ready on "
            + proxy.address().getAddress().getHostAddress()
            + ":"
            + proxy.port()
            + " (proxy, "
            + proxy.describe()
            + ", "
            + proxy.transport()
            + ")"
            + httpLine(proxy.httpAddress()));
    out.flush();
    stop.await();
    proxy.close();
    return 0;
  }

  /** Returns the HTTP port's settings from --http and --http-open-probes, or null for none. */
  private HttpSettings httpSettings() {
    if (http == null) {
      if (httpOpenProbes) {
        throw new IllegalArgumentException("--http-open-probes needs --http");
      }
      return null;
    }
    return HttpSettings.parse(http, httpOpenProbes, "--http");
  }

  /** Returns what the ready line says of the HTTP port: nothing, or where it listens. */
  private static String httpLine(java.net.InetSocketAddress address) {
    return address == null
        ? ""
        : "; http on http://"
            + (address.getAddress().getHostAddress().indexOf(':') >= 0
                ? "[" + address.getAddress().getHostAddress() + "]"
                : address.getAddress().getHostAddress())
            + ":"
            + address.getPort()
            + "/";
  }

  private boolean parsedOption(String name) {
    return spec.commandLine().getParseResult().hasMatchedOption(name);
  }

  /** Returns the default user's password: --requirepass, --requirepass-file, or null. */
  private String requirePass() {
    if (requirePassFile == null) {
      return requirePass;
    }
    if (requirePass != null) {
      throw new IllegalArgumentException("give --requirepass or --requirepass-file, not both");
    }
    String password = io.ringlb.server.SecretFiles.read(requirePassFile, "--requirepass-file");
    warnIfShared(requirePassFile);
    return password;
  }

  /** Returns {@code base} with the --user and --default-role options. */
  private io.ringlb.server.Users users(io.ringlb.server.Users base) {
    io.ringlb.server.Users users = base;
    for (String user : userOptions) {
      users = users.with(user(user));
    }
    if (defaultRole != null) {
      users = users.withDefaultRole(io.ringlb.server.UserRole.parse(defaultRole, "--default-role"));
    }
    return users;
  }

  /** Parses {@code --user NAME:ROLE:FILE}, reading the password from FILE. */
  private io.ringlb.server.User user(String text) {
    String[] parts = text.split(":", 3);
    if (parts.length != 3 || parts[0].isEmpty() || parts[2].isEmpty()) {
      throw new IllegalArgumentException(
          "--user must be NAME:ROLE:FILE (e.g. app:data:/etc/ringlb/app.pass), not '" + text + "'");
    }
    String where = "--user " + parts[0];
    io.ringlb.server.UserRole role = io.ringlb.server.UserRole.parse(parts[1], where);
    java.nio.file.Path file = java.nio.file.Path.of(parts[2]);
    String password = io.ringlb.server.SecretFiles.read(file, where);
    warnIfShared(file);
    return io.ringlb.server.User.withPassword(parts[0], password, role);
  }

  /** Warns on stderr, in one line, when {@code file} holds a password others may read. */
  private void warnIfShared(java.nio.file.Path file) {
    String warning = io.ringlb.server.SecretFiles.warningIfShared(file);
    if (warning != null) {
      PrintWriter err = spec.commandLine().getErr();
      err.println("ringlb serve: " + warning);
      err.flush();
    }
  }

  private static HashTag hashTag(String spec) {
    try {
      return HashTag.parse(spec);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--hash-tag: " + e.getMessage());
    }
  }

  /** Asks a running {@link #call()} to shut down gracefully and return 0. */
  void requestStop() {
    stop.countDown();
  }

  /** Returns the running server, or null before it is ready. */
  RespServer server() {
    return server;
  }

  /**
   * Stops on SIGINT and SIGTERM through {@code sun.misc.Signal}, reached reflectively: javac's
   * warning for that internal API cannot be suppressed, and the build fails on every warning.
   */
  private void installSignalHandlers() {
    try {
      Class<?> signalType = Class.forName("sun.misc.Signal");
      Class<?> handlerType = Class.forName("sun.misc.SignalHandler");
      MethodHandle stop =
          MethodHandles.lookup()
              .findVirtual(ServeCommand.class, "requestStop", MethodType.methodType(void.class))
              .bindTo(this);
      Object handler =
          MethodHandleProxies.asInterfaceInstance(
              handlerType, MethodHandles.dropArguments(stop, 0, signalType));
      for (String name : new String[] {"INT", "TERM"}) {
        Object signal = signalType.getConstructor(String.class).newInstance(name);
        signalType.getMethod("handle", signalType, handlerType).invoke(null, signal, handler);
      }
    } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
      // Signals this platform does not have: fall back to a hook (exit status 128+signal then).
      Runtime.getRuntime()
          .addShutdownHook(
              new Thread(
                  () -> {
                    RespServer s = server;
                    if (s != null) {
                      s.close();
                    }
                    io.ringlb.proxy.ProxyServer p = proxy;
                    if (p != null) {
                      p.close();
                    }
                  },
                  "ringlb-shutdown"));
    }
  }

  /** Parses {@code --servers}: distinct non-negative ids separated by commas. */
  static int[] parseServers(String text) {
    Set<Integer> ids = new LinkedHashSet<>();
    for (String part : text.split(",", -1)) {
      String id = part.trim();
      if (id.isEmpty() || !id.chars().allMatch(c -> c >= '0' && c <= '9') || id.length() > 9) {
        throw new IllegalArgumentException(
            "--servers: '" + part + "' is not a server id (expected e.g. 0,1,2)");
      }
      if (!ids.add(Integer.parseInt(id))) {
        throw new IllegalArgumentException("--servers: server " + id + " is listed twice");
      }
    }
    return ids.stream().mapToInt(Integer::intValue).toArray();
  }

  private long maxMemoryClients() {
    return ServerConfig.parseMaxMemoryClients(maxMemoryClients, "--maxmemory-clients");
  }

  /** Parses {@code --proto-max-bulk-len} the way redis.conf writes a size: 64kb, 512mb, 1gb. */
  static long parseBytes(String text) {
    return ServerConfig.parseBytes(text, "--proto-max-bulk-len");
  }

  private static String joinIds(int[] ids) {
    return java.util.Arrays.stream(ids)
        .mapToObj(Integer::toString)
        .collect(Collectors.joining(","));
  }
}
