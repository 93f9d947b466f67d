package io.ringlb.cli;

import io.ringlb.proxy.ClusterSpec;
import io.ringlb.proxy.Durability;
import io.ringlb.proxy.ProxyConfig;
import io.ringlb.proxy.ReadFrom;
import io.ringlb.server.SecretFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParseResult;

/**
 * The options of {@code ringlb serve} that only the sharding proxy takes, and how they go into its
 * {@link ProxyConfig} over the {@code --config} file's settings.
 */
final class ProxyOptions {

  @Option(
      names = "--backend",
      paramLabel = "ID=HOST:PORT",
      description =
          "Proxy mode: ring server ID is the redis-server at HOST:PORT, or ID=sentinel:MASTER"
              + " the primary Redis Sentinel names for MASTER (repeatable)."
              + " Keys are sharded over the backends; RING ADD <id> <host:port> and RING REMOVE <id>"
              + " move them live.")
  List<String> backends = new ArrayList<>();

  @Option(
      names = "--sentinel",
      paramLabel = "HOST:PORT",
      description =
          "Proxy mode: a Redis Sentinel to ask for the primaries of the backends given as"
              + " sentinel:MASTER (repeatable; any one reachable suffices). Replaces the config"
              + " file's sentinels.")
  List<String> sentinels = new ArrayList<>();

  @Option(
      names = "--durability",
      paramLabel = "MODE",
      description =
          "Proxy mode: async (default) acknowledges a write as the primary answers; replicated"
              + " only once --durability-min-replicas replicas have it (WAIT), else an error"
              + " naming the shard.")
  String durability;

  @Option(
      names = "--read-from",
      paramLabel = "MODE",
      description =
          "Proxy mode: where reads of one key go on the Sentinel-managed shards: primary"
              + " (default), replica-preferred (a replica Sentinel reports up, else the primary) or"
              + " replica (else an error naming the shard); ID=MODE for one backend (repeatable).")
  List<String> readFrom = new ArrayList<>();

  @Option(
      names = "--durability-min-replicas",
      paramLabel = "N",
      description = "Proxy mode: replicas a write needs with --durability replicated (default 1).")
  Integer durabilityMinReplicas;

  @Option(
      names = "--durability-timeout",
      paramLabel = "DURATION",
      description =
          "Proxy mode: how long the replicas may take, e.g. 500ms or 1s (default 1s; shorter than"
              + " the request timeout).")
  String durabilityTimeout;

  @Option(
      names = "--config",
      paramLabel = "FILE",
      description =
          "Proxy mode: a YAML file with listen address, placement, backends, timeouts,"
              + " auth (see examples/proxy.yaml); options given on the command line override it.")
  Path configFile;

  @Option(
      names = "--backend-password-file",
      paramLabel = "FILE",
      description =
          "Proxy mode: the password ringlb AUTHs to every redis-server with, read from FILE.")
  Path backendPasswordFile;

  @Option(
      names = "--allow-backend",
      paramLabel = "ADDR",
      description =
          "Proxy mode: a host, address or CIDR network, with an optional port, that backends"
              + " (RING ADD) may be at (repeatable; e.g. 10.1.0.0/16, db7:6379). Default: the"
              + " hosts of the backends ringlb starts with.")
  List<String> allowBackends = new ArrayList<>();

  @Option(
      names = "--force-after",
      paramLabel = "DURATION",
      description =
          "Proxy mode: how long a backend must have been unreachable before RING REMOVE ID FORCE"
              + " takes it out without its keys, e.g. 30s, 2m (default: 30s; migration.force-after"
              + " in the --config file).")
  String forceAfter;

  @Option(
      names = "--cluster",
      paramLabel = "NAME",
      description =
          "Proxy mode: route by the ring of cluster NAME, kept in etcd (--etcd) and shared by"
              + " every proxy of the cluster; the first proxy creates it from its --backend list.")
  String cluster;

  @Option(
      names = "--etcd",
      paramLabel = "HOST:PORT[,HOST:PORT...]",
      description = "Proxy mode, with --cluster: the etcd endpoints holding the cluster's ring.")
  String etcd;

  @Option(
      names = "--state",
      paramLabel = "FILE",
      description =
          "Proxy mode: file recording the ring and any running migration, so that a"
              + " restarted ringlb routes as before and resumes the migration.")
  Path stateFile;

  /**
   * Returns whether the options ask for the proxy rather than the embedded server: backends, a
   * configuration file, a cluster or a state file to route by.
   */
  boolean selectProxy() {
    return !backends.isEmpty()
        || configFile != null
        || cluster != null
        || etcd != null
        || stateFile != null;
  }

  /**
   * Throws when an option that only the proxy takes was given to the embedded server.
   *
   * @throws IllegalArgumentException naming the options
   */
  void refuseForEmbedded(ParseResult parsed) {
    if (parsed.hasMatchedOption("--backend-password-file")
        || parsed.hasMatchedOption("--allow-backend")
        || parsed.hasMatchedOption("--sentinel")
        || parsed.hasMatchedOption("--force-after")
        || durability != null
        || !readFrom.isEmpty()
        || durabilityMinReplicas != null
        || durabilityTimeout != null) {
      throw new IllegalArgumentException(
          "--backend-password-file, --allow-backend, --sentinel, --force-after, --read-from and"
              + " --durability*"
              + " are for the proxy (--backend or --config)");
    }
  }

  /** The {@code --config} file, or null. */
  Path configFile() {
    return configFile;
  }

  /**
   * Returns a builder holding the {@code --config} file's settings, or the defaults without one.
   *
   * @throws IOException if the file cannot be read or is not a valid configuration
   */
  ProxyConfig.Builder builder() throws IOException {
    return configFile == null ? ProxyConfig.builder() : ProxyConfig.load(configFile).toBuilder();
  }

  /**
   * Sets on {@code b} what these options give, over the file's settings; {@code warnIfShared} is
   * told of each file read for a password.
   *
   * @throws IllegalArgumentException naming the option whose value is wrong
   */
  void applyTo(ProxyConfig.Builder b, Consumer<Path> warnIfShared) {
    if (backendPasswordFile != null) {
      b.backendPassword(SecretFiles.read(backendPasswordFile, "--backend-password-file"));
      warnIfShared.accept(backendPasswordFile);
    }
    for (String allow : allowBackends) {
      b.allowBackend(allow);
    }
    Durability d = b.build().durability();
    if (durability != null) {
      d = d.withMode(Durability.Mode.parse(durability, "--durability"));
    }
    if (durabilityMinReplicas != null) {
      d = d.withMinReplicas(durabilityMinReplicas);
    }
    if (durabilityTimeout != null) {
      d = d.withTimeout(Durability.parseTimeout(durabilityTimeout));
    }
    b.durability(d);
    ReadFrom r = b.build().readFrom();
    for (String mode : readFrom) {
      r = r.withOption(mode);
    }
    b.readFrom(r);
    if (!sentinels.isEmpty()) {
      b.clearSentinels();
      for (String sentinel : sentinels) {
        b.sentinel(sentinel);
      }
    }
    if (!backends.isEmpty()) {
      b.clearBackends();
      for (String backend : backends) {
        b.backend(backend);
      }
    }
    if (stateFile != null) {
      b.stateFile(stateFile);
    }
    if (forceAfter != null) {
      b.forceAfter(ProxyConfig.parseDuration(forceAfter, "--force-after"));
    }
    if (cluster != null || etcd != null) {
      if (cluster == null) {
        throw new IllegalArgumentException("--etcd needs --cluster NAME");
      }
      b.cluster(
          new ClusterSpec(cluster, etcd == null ? List.of() : ClusterSpec.parseEndpoints(etcd)));
    }
  }
}
