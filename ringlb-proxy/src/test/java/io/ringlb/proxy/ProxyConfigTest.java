package io.ringlb.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ringlb.placement.Placements;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProxyConfigTest {

  @TempDir Path dir;

  private ProxyConfig load(String yaml) throws Exception {
    Path file = dir.resolve("proxy.yaml");
    Files.writeString(file, yaml);
    return ProxyConfig.load(file);
  }

  @Test
  void load_exampleFile() throws Exception {
    Path example = Path.of("../examples/proxy.yaml");
    ProxyConfig config = ProxyConfig.load(example);
    assertThat(config.port()).isEqualTo(6380);
    assertThat(config.bindHost()).isEqualTo("127.0.0.1");
    assertThat(config.backends()).hasSize(3);
    assertThat(config.backends().get(2).address()).isEqualTo("127.0.0.1:7003");
    assertThat(config.requestTimeout()).isEqualTo(Duration.ofSeconds(3));
    assertThat(config.stateFile())
        .isEqualTo(example.toAbsolutePath().getParent().resolve("proxy-state.yaml"));
  }

  @Test
  void load_sentinelShardsBesidePlainBackends() throws Exception {
    ProxyConfig config =
        load(
            """
        sentinels: [127.0.0.1:26379, 127.0.0.1:26380]
        backends: {0: {master: shard0}, 1: 127.0.0.1:7002}
        """);
    assertThat(config.sentinels())
        .extracting(BackendSpec::address)
        .containsExactly("127.0.0.1:26379", "127.0.0.1:26380");
    assertThat(config.backends().get(0).managed()).isTrue();
    assertThat(config.backends().get(0).master()).isEqualTo("shard0");
    assertThat(config.backends().get(0).address()).isEqualTo("sentinel:shard0");
    assertThat(config.backends().get(1).address()).isEqualTo("127.0.0.1:7002");
    assertThat(BackendSpec.parseAssignment("3=sentinel:shard3"))
        .isEqualTo(BackendSpec.sentinel(3, "shard3"));
  }

  @Test
  void durability_defaultsToAsyncAndIsReadWithItsSettings() throws Exception {
    assertThat(load("backends: {0: 127.0.0.1:7001}\n").durability()).isEqualTo(Durability.ASYNC);
    Durability d =
        load("""
        backends: {0: 127.0.0.1:7001}
        durability: {mode: replicated, min-replicas: 2, timeout: 500ms}
        """)
            .durability();
    assertThat(d.replicated()).isTrue();
    assertThat(d.minReplicas()).isEqualTo(2);
    assertThat(d.timeout()).isEqualTo(Duration.ofMillis(500));
    assertThatThrownBy(() -> load("durability: {mode: sync}\n"))
        .hasMessageContaining("durability.mode must be async or replicated, not 'sync'");
    assertThatThrownBy(() -> load("durability: {mode: replicated, min-replicas: 0}\n"))
        .hasMessageContaining("min-replicas must be from 1 to 100: 0");
    assertThatThrownBy(() -> load("durability: {mode: replicated, wait: 1}\n"))
        .hasMessageContaining("wait");
    assertThatThrownBy(
            () ->
                load("timeouts: {request: 1s}\n" + "durability: {mode: replicated, timeout: 2s}\n"))
        .hasMessageContaining(
            "durability timeout (2000 ms) must be shorter than the request" + " timeout (1000 ms)");
  }

  @Test
  void readFrom_defaultsToPrimaryAndIsReadForAllAndPerBackend() throws Exception {
    assertThat(load("backends: {0: 127.0.0.1:7001}\n").readFrom()).isEqualTo(ReadFrom.PRIMARY);
    ReadFrom r =
        load("""
        sentinels: [127.0.0.1:26379]
        read-from: replica-preferred
        backends: {0: {master: shard0, read-from: replica}, 1: {master: shard1}, 2: 127.0.0.1:7002}
        """)
            .readFrom();
    assertThat(r.of(0)).isEqualTo(ReadFrom.Mode.REPLICA);
    assertThat(r.of(1)).isEqualTo(ReadFrom.Mode.REPLICA_PREFERRED);
    assertThat(r.fromReplicas()).isTrue();
    assertThat(r.withOption("1=primary").withOption("primary").fromReplicas()).isTrue();
    assertThat(r.withOption("0=primary").withOption("primary").fromReplicas()).isFalse();
    assertThatThrownBy(() -> load("read-from: nearest\n"))
        .hasMessageContaining(
            "read-from must be primary, replica-preferred or replica, not 'nearest'");
    assertThatThrownBy(
            () ->
                load(
                    "sentinels: [127.0.0.1:26379]\n"
                        + "backends: {0: {master: shard0, read-from: any}}\n"))
        .hasMessageContaining("backends.0.read-from must be primary, replica-preferred or replica");
    assertThatThrownBy(() -> ReadFrom.PRIMARY.withOption("x=replica"))
        .hasMessageContaining("--read-from 'x=replica': backend id must be a number");
  }

  @Test
  void sentinelShardWithoutSentinels_isRefusedNamingTheBackend() {
    assertThatThrownBy(() -> load("backends: {0: {master: shard0}}\n"))
        .hasMessageContaining("backend 0 is sentinel:shard0 but no sentinel is given");
    assertThatThrownBy(() -> load("sentinels: [127.0.0.1:26379]\nbackends: {0: {master: 'a b'}}\n"))
        .hasMessageContaining("backends.0")
        .hasMessageContaining("Sentinel master name");
    assertThatThrownBy(() -> load("sentinels: 127.0.0.1:26379\n"))
        .hasMessageContaining("sentinels must be a list");
  }

  @Test
  void load_usersRolesAndAllowList() throws Exception {
    ProxyConfig config =
        load(
            """
        backends: {0: 127.0.0.1:7001}
        users: {app: {password: app-secret, role: data}, ops: {password: ops-secret, role: admin},
                ci: {password-sha256: 32323CFA9EC9D62750DAAD0836A4CF3D7B60D23723B7852A529667DEED01669F,
                     role: admin}}
        default-role: data
        allow-backends: [127.0.0.1, 10.1.0.0/16, "db7:6379", "[::1]:7001"]
        """);
    assertThat(config.users().named().keySet()).containsExactly("app", "ci", "ops");
    assertThat(config.users().named().get("app").role()).isEqualTo(io.ringlb.server.UserRole.DATA);
    assertThat(config.users().defaultRole()).isEqualTo(io.ringlb.server.UserRole.DATA);
    assertThat(config.allowBackends())
        .containsExactly("127.0.0.1", "10.1.0.0/16", "db7:6379", "[::1]:7001");
    assertThat(config.holdsSecrets()).isTrue();
    BackendAllowList allow = BackendAllowList.of(config.allowBackends(), "allow-backends");
    assertThat(allow.admit(new BackendSpec(1, "10.1.200.3", 6379)).getPort()).isEqualTo(6379);
    assertThatThrownBy(() -> allow.admit(new BackendSpec(1, "10.2.0.1", 6379)))
        .hasMessage(
            "backend 10.2.0.1:6379 (address 10.2.0.1) is not allowed by allow-backends [127.0.0.1,"
                + " 10.1.0.0/16, db7:6379, [::1]:7001]; list it in allow-backends in the config"
                + " file or with --allow-backend");
    assertThatThrownBy(() -> allow.admit(new BackendSpec(1, "::1", 7002)))
        .hasMessageContaining("not allowed");
    assertThatThrownBy(() -> load("users: {app: {password: x}}\n"))
        .hasMessageEndingWith("users.app.role must be given: data or admin");
    assertThatThrownBy(() -> load("users: {app: {role: data}}\n"))
        .hasMessageEndingWith("users.app must have one of password and password-sha256");
    assertThatThrownBy(() -> load("allow-backends: [10.0.0.0/33]\n"))
        .hasMessageContaining("allow-backends: '10.0.0.0/33' is not a host, address or CIDR");
  }

  @Test
  void load_everySetting() throws Exception {
    ProxyConfig config =
        load(
            """
        listen: 0.0.0.0:7000
        backends:
          5: redis.local:6379
        timeouts: {connect: 250ms, request: 2s}
        auth: {requirepass: s3cret, backend-password: other}
        pool: 2
        threads: 3
        eject: {after-failures: 4, retry: 1m}
        migration: {batch: 10, rate: 500, timeout: 50ms, force-after: 2m}
        maxmemory-clients: 64mb
        """);
    assertThat(config.port()).isEqualTo(7000);
    assertThat(config.maxMemoryClients()).isEqualTo(64L << 20);
    assertThat(config.backends().get(5).host()).isEqualTo("redis.local");
    assertThat(config.connectTimeout()).isEqualTo(Duration.ofMillis(250));
    assertThat(config.requirePass()).isEqualTo("s3cret");
    assertThat(config.backendPassword()).isEqualTo("other");
    assertThat(config.poolSize()).isEqualTo(2);
    assertThat(config.threads()).isEqualTo(3);
    assertThat(config.ejectAfterFailures()).isEqualTo(4);
    assertThat(config.ejectRetry()).isEqualTo(Duration.ofMinutes(1));
    assertThat(config.migrationBatch()).isEqualTo(10);
    assertThat(config.migrationRate()).isEqualTo(500);
    assertThat(config.migrationTimeout()).isEqualTo(Duration.ofMillis(50));
    assertThat(config.forceAfter()).isEqualTo(Duration.ofMinutes(2));
  }

  @Test
  void migrationLimits_defaultsAndBadValues() throws Exception {
    ProxyConfig defaults = load("listen: 127.0.0.1:7000\n");
    assertThat(defaults.migrationTimeout()).isEqualTo(Duration.ofMillis(100));
    assertThat(defaults.forceAfter()).isEqualTo(Duration.ofSeconds(30));
    assertThatThrownBy(() -> load("migration: {force-after: soon}\n"))
        .hasMessageContaining(
            "migration.force-after must be a duration such as 500ms, 3s or 1m, not 'soon'");
    assertThatThrownBy(() -> load("migration: {force-after: 0s}\n"))
        .hasMessageContaining("force-after must be positive: 0 ms");
    assertThatThrownBy(() -> load("timeouts: {request: 2s}\nmigration: {timeout: 3s}\n"))
        .hasMessageContaining(
            "migration.timeout (3000 ms) must be shorter than timeouts.request (2000 ms)");
    assertThatThrownBy(() -> load("migration: {pace: 1}\n"))
        .hasMessageContaining(
            "unknown setting 'migration.pace' (known: batch, rate, timeout, force-after)");
  }

  @Test
  void blockingConnections_defaultAndFromLimits_badValuesNamed() throws Exception {
    assertThat(load("backends: {0: 127.0.0.1:7001}\n").blockingConnections())
        .isEqualTo(ProxyConfig.DEFAULT_BLOCKING_CONNECTIONS);
    assertThat(load("limits: {blocking-connections: 7}\n").blockingConnections()).isEqualTo(7);
    assertThat(ProxyConfig.load(Path.of("../examples/proxy.yaml")).blockingConnections())
        .isEqualTo(1000);
    assertThatThrownBy(() -> load("limits: {blocking-connections: 0}\n"))
        .hasMessageContaining("limits.blocking-connections must be from 1 to 100000: 0");
    assertThatThrownBy(() -> load("limits: {blocked: 3}\n")).hasMessageContaining("blocked");
  }

  @Test
  void load_badInputNamesTheSettingAndValue() {
    assertThatThrownBy(() -> load("listen: nowhere\n"))
        .hasMessageContaining("listen: address must be HOST:PORT, not 'nowhere'");
    assertThatThrownBy(() -> load("backends:\n  x: 127.0.0.1:1\n"))
        .hasMessageContaining("backend id must be a number from 0 to 99999, not 'x'");
    assertThatThrownBy(() -> load("timeouts: {request: soon}\n"))
        .hasMessageContaining(
            "timeouts.request must be a duration such as 500ms, 3s or 1m, not 'soon'");
    assertThatThrownBy(() -> load("colour: blue\n"))
        .hasMessageContaining("unknown setting 'colour'");
    assertThatThrownBy(() -> load("backends: [\n")).hasMessageContaining("not valid YAML");
    assertThatThrownBy(() -> load("pool: 0\n"))
        .hasMessageContaining("pool must be from 1 to 64: 0");
    assertThatThrownBy(() -> load("maxmemory-clients: lots\n"))
        .hasMessageContaining(
            "maxmemory-clients: 'lots' is not a size (expected e.g. 0 for no limit, 64mb, 1gb,"
                + " or 25% of the JVM's memory)");
  }

  @Test
  void maxMemoryClients_defaultAQuarterOfTheBufferMemory_zeroOrPercentInTheFile() throws Exception {
    assertThat(ProxyConfig.builder().build().maxMemoryClients())
        .isEqualTo(io.ringlb.server.ServerConfig.bufferMemory() / 4);
    assertThat(load("maxmemory-clients: 0\n").maxMemoryClients()).isZero();
    assertThat(load("maxmemory-clients: 10%\n").maxMemoryClients())
        .isEqualTo(io.ringlb.server.ServerConfig.bufferMemory() / 10);
    assertThat(load("maxmemory-clients: 1048576\n").maxMemoryClients()).isEqualTo(1L << 20);
  }

  @Test
  void load_http_addressAndOpenProbes() throws Exception {
    assertThat(load("listen: 127.0.0.1:7000\n").http()).isNull();
    assertThat(load("http: 127.0.0.1:9121\n").http())
        .isEqualTo(new io.ringlb.server.http.HttpSettings("127.0.0.1", 9121, false));
    assertThat(load("http: 9121\nhttp-open-probes: true\n").http())
        .isEqualTo(new io.ringlb.server.http.HttpSettings("127.0.0.1", 9121, true));
    assertThatThrownBy(() -> load("http: somewhere\n"))
        .hasMessageEndingWith(
            "proxy.yaml: http must be HOST:PORT or PORT (e.g. 127.0.0.1:9121), not 'somewhere'");
    assertThatThrownBy(() -> load("http: 127.0.0.1:9121\nhttp-open-probes: maybe\n"))
        .hasMessageEndingWith("http-open-probes must be true or false, not 'maybe'");
    assertThatThrownBy(() -> load("http-open-probes: true\n"))
        .hasMessageEndingWith("http-open-probes needs http (e.g. http: 127.0.0.1:9121)");
  }

  @Test
  void load_placement_anyStoreStrategy() throws Exception {
    assertThat(load("placement: ring:40\n").placement()).isEqualTo("ring:40");
    assertThat(load("placement: slots\n").placement()).isEqualTo("slots");
    assertThat(load("listen: 127.0.0.1:7000\n").placement()).isNull();
  }

  @Test
  void load_hashTag() throws Exception {
    assertThat(load("hash-tag: \"{}\"\n").hashTag()).isEqualTo("{}");
    assertThat(load("hash-tag: $$\n").hashTag()).isEqualTo("$$");
    assertThat(load("hash-tag: none\n").hashTag()).isEqualTo("none");
    assertThat(load("hash-tag:\n").hashTag()).isEqualTo("none");
    assertThat(load("listen: 127.0.0.1:7000\n").hashTag()).isNull();
    assertThatThrownBy(() -> load("hash-tag: \"{\"\n"))
        .hasMessageEndingWith(
            "proxy.yaml: a hash tag is two characters, an opening and a closing"
                + " delimiter such as {} (or none), not '{'");
  }

  @Test
  void load_placementUnknown_namesTheValueAndTheValidOnes() {
    Path file = dir.resolve("proxy.yaml");
    assertThatThrownBy(() -> load("placement: nope\n"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(file + ": unknown placement 'nope'; valid: " + Placements.specs());
    assertThatThrownBy(() -> load("placement: jump\n"))
        .hasMessageStartingWith(file + ": placement 'jump' cannot hold a store");
    assertThatThrownBy(() -> load("placement: ring:x\n"))
        .hasMessage(file + ": invalid placement 'ring:x': labels must be an integer: 'x'");
  }

  @Test
  void placement_checkedWhenSet() {
    assertThatThrownBy(() -> ProxyConfig.builder().placement("chord"))
        .hasMessageStartingWith("unknown placement 'chord'; valid: seed, ring[:labels],");
    assertThatThrownBy(() -> ProxyConfig.builder().placement("bounded:0.2"))
        .hasMessageStartingWith("placement 'bounded:0.2' cannot hold a store");
    assertThat(ProxyConfig.builder().placement("seed").build().placement()).isEqualTo("seed");
  }

  @Test
  void backendAssignment_parsesAndRejects() {
    BackendSpec spec = BackendSpec.parseAssignment("3=10.0.0.1:7001");
    assertThat(spec.id()).isEqualTo(3);
    assertThat(spec.port()).isEqualTo(7001);
    assertThatThrownBy(() -> BackendSpec.parseAssignment("127.0.0.1:7001"))
        .hasMessageContaining("--backend must be ID=HOST:PORT");
    assertThatThrownBy(() -> BackendSpec.parseAssignment("1=host:99999"))
        .hasMessageContaining("port must be from 1 to 65535, not 99999");
    assertThatThrownBy(() -> ProxyConfig.builder().backend("1=a:1").backend("1=b:2"))
        .hasMessageContaining("backend 1 is given twice");
  }
}
