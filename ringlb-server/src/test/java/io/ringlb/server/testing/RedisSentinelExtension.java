package io.ringlb.server.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;
import redis.clients.jedis.Jedis;

/**
 * Starts, for each test, shards watched by Redis Sentinel on loopback ports: per shard a primary
 * and one replica (redis-servers), and three sentinels that all watch every shard ({@code shard0},
 * {@code shard1}...), with a quorum of two, a short {@code down-after-milliseconds} and {@code
 * failover-timeout}; stops them all after the test.
 *
 * <p>Each test starts once every sentinel knows the two others and each shard's replica, so a
 * failover can happen. {@code redis-sentinel} and {@code redis-server} missing fail the class under
 * {@code CI=true} and skip it elsewhere, as {@link RedisServersExtension} does.
 */
public final class RedisSentinelExtension
    implements BeforeEachCallback, AfterEachCallback, ExecutionCondition {

  /** Sentinels per test: any one may be down and the other two still fail a shard over. */
  public static final int SENTINELS = 3;

  private static final Duration READY_TIMEOUT = Duration.ofSeconds(30);

  private final int shards;
  private long downAfterMillis = 1000;
  private long failoverTimeoutMillis = 3000;

  private Path dir;
  private final List<RedisServer> sentinels = new ArrayList<>();
  private final List<List<RedisServer>> servers = new ArrayList<>();

  private RedisSentinelExtension(int shards) {
    this.shards = shards;
  }

  /** Returns an extension with {@code shards} shards of a primary and a replica each. */
  public static RedisSentinelExtension shards(int shards) {
    if (shards < 1) {
      throw new IllegalArgumentException("shards must be positive: " + shards);
    }
    return new RedisSentinelExtension(shards);
  }

  /** Sets the sentinels' {@code down-after-milliseconds} (default 1000). */
  public RedisSentinelExtension downAfter(Duration d) {
    downAfterMillis = d.toMillis();
    return this;
  }

  /** The sentinels' {@code down-after-milliseconds}. */
  public long downAfterMillis() {
    return downAfterMillis;
  }

  /** The master name of shard {@code i}. */
  public static String master(int i) {
    return "shard" + i;
  }

  /** The sentinels' addresses, {@code 127.0.0.1:port}. */
  public List<String> sentinelAddresses() {
    return sentinels.stream().map(RedisServer::address).toList();
  }

  /** Sentinel {@code i}. */
  public RedisServer sentinel(int i) {
    return sentinels.get(i);
  }

  /** The redis-servers of shard {@code i}: its first primary, then its first replica. */
  public List<RedisServer> servers(int i) {
    return servers.get(i);
  }

  /** The server of shard {@code i} that a reachable sentinel names as its primary now. */
  public RedisServer primary(int i) {
    String address = primaryAddress(i);
    for (RedisServer s : servers.get(i)) {
      if (s.address().equals(address)) {
        return s;
      }
    }
    throw new IllegalStateException("shard" + i + ": primary " + address + " is none of ours");
  }

  /** The server of shard {@code i} that is not its primary now. */
  public RedisServer replica(int i) {
    RedisServer p = primary(i);
    return servers.get(i).stream().filter(s -> s != p).findFirst().orElseThrow();
  }

  /** The address a reachable sentinel names as shard {@code i}'s primary. */
  public String primaryAddress(int i) {
    IllegalStateException last = null;
    for (RedisServer s : sentinels) {
      if (!s.isAlive()) {
        continue;
      }
      try (Jedis j = s.client()) {
        var hp = j.sentinelGetMasterAddrByName(master(i));
        return hp.get(0) + ":" + hp.get(1);
      } catch (RuntimeException e) {
        last = new IllegalStateException("sentinel " + s.address() + ": " + e.getMessage(), e);
      }
    }
    throw last != null ? last : new IllegalStateException("no sentinel runs");
  }

  /**
   * Waits (up to {@code timeout}) until every running sentinel names a primary of shard {@code i}
   * other than {@code old}; returns it.
   */
  public String awaitFailover(int i, String old, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      boolean all = true;
      String now = null;
      for (RedisServer s : sentinels) {
        if (!s.isAlive()) {
          continue;
        }
        try (Jedis j = s.client()) {
          var hp = j.sentinelGetMasterAddrByName(master(i));
          now = hp.get(0) + ":" + hp.get(1);
          all &= !now.equals(old);
        } catch (RuntimeException e) {
          all = false;
        }
      }
      if (all && now != null) {
        return now;
      }
      Thread.sleep(50);
    }
    throw new IllegalStateException(
        "shard" + i + " did not fail over from " + old + " within " + timeout.toMillis() + " ms");
  }

  @Override
  public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
    ConditionEvaluationResult server = RedisProgram.REDIS_SERVER.condition();
    return server.isDisabled() ? server : RedisProgram.REDIS_SENTINEL.condition();
  }

  @Override
  public void beforeEach(ExtensionContext context) throws Exception {
    Path redis = RedisProgram.REDIS_SERVER.require();
    Path sentinel = RedisProgram.REDIS_SENTINEL.require();
    dir = Files.createTempDirectory("ringlb-sentinel");
    try {
      for (int i = 0; i < shards; i++) {
        RedisServer primary = startServer(redis, List.of());
        RedisServer replica =
            startServer(
                redis, List.of("--replicaof", "127.0.0.1", Integer.toString(primary.port())));
        servers.add(List.of(primary, replica));
      }
      for (int n = 0; n < SENTINELS; n++) {
        sentinels.add(startSentinel(sentinel));
      }
      awaitDiscovery();
    } catch (Exception | Error e) {
      afterEach(context);
      throw e;
    }
  }

  private RedisServer startServer(Path program, List<String> extra)
      throws IOException, InterruptedException {
    int port = RedisServersExtension.freePort();
    RedisServer s = RedisServer.launch(program, port, dir.resolve("redis-" + port), extra);
    if (!s.awaitReady(Duration.ofSeconds(10))) {
      s.stop();
      throw new IOException("redis-server did not start on port " + port + ": " + s.log());
    }
    return s;
  }

  private RedisServer startSentinel(Path program) throws IOException, InterruptedException {
    int port = RedisServersExtension.freePort();
    Path home = dir.resolve("sentinel-" + port);
    Files.createDirectories(home);
    StringBuilder conf = new StringBuilder();
    conf.append("port ").append(port).append('\n');
    conf.append("bind 127.0.0.1\nprotected-mode no\ndaemonize no\n");
    conf.append("dir ").append(home).append('\n');
    for (int i = 0; i < shards; i++) {
      String m = master(i);
      RedisServer p = servers.get(i).get(0);
      conf.append("sentinel monitor ").append(m).append(" 127.0.0.1 ").append(p.port());
      conf.append(" 2\n");
      conf.append("sentinel down-after-milliseconds ").append(m).append(' ');
      conf.append(downAfterMillis).append('\n');
      conf.append("sentinel failover-timeout ").append(m).append(' ');
      conf.append(failoverTimeoutMillis).append('\n');
      conf.append("sentinel parallel-syncs ").append(m).append(" 1\n");
    }
    Path file = home.resolve("sentinel.conf");
    Files.writeString(file, conf.toString());
    RedisServer s = RedisServer.launchSentinel(program, port, home, file);
    if (!s.awaitReady(Duration.ofSeconds(10))) {
      s.stop();
      throw new IOException("redis-sentinel did not start on port " + port + ": " + s.log());
    }
    return s;
  }

  /** Waits until each sentinel knows the two others and every shard's replica, linked. */
  private void awaitDiscovery() throws InterruptedException, IOException {
    long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
    String last = "";
    while (System.nanoTime() < deadline) {
      boolean ready = true;
      for (RedisServer s : sentinels) {
        try (Jedis j = s.client()) {
          for (int i = 0; i < shards && ready; i++) {
            Map<String, String> m = j.sentinelMaster(master(i));
            ready =
                Integer.parseInt(m.get("num-other-sentinels")) == SENTINELS - 1
                    && Integer.parseInt(m.get("num-slaves")) == 1;
            last = s.address() + " " + master(i) + ": " + m;
            if (ready) {
              List<Map<String, String>> replicas = j.sentinelReplicas(master(i));
              ready =
                  replicas.size() == 1 && "ok".equals(replicas.get(0).get("master-link-status"));
              last = s.address() + " " + master(i) + " replicas: " + replicas;
            }
          }
        } catch (RuntimeException e) {
          ready = false;
          last = e.toString();
        }
        if (!ready) {
          break;
        }
      }
      if (ready) {
        return;
      }
      Thread.sleep(100);
    }
    throw new IOException("the sentinels did not discover each other and the replicas: " + last);
  }

  @Override
  public void afterEach(ExtensionContext context) throws Exception {
    for (RedisServer s : sentinels) {
      s.stop();
    }
    sentinels.clear();
    for (List<RedisServer> shard : servers) {
      for (RedisServer s : shard) {
        s.stop();
      }
    }
    servers.clear();
    if (dir != null) {
      try (Stream<Path> files = Files.walk(dir)) {
        files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
      }
      dir = null;
    }
  }
}
