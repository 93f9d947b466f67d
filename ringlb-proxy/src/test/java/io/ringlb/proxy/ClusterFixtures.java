package io.ringlb.proxy;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.kv.GetResponse;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisDataException;

/**
 * Helpers shared by the cluster tests: RING commands through a proxy, waits for the proxies to be
 * up at one epoch, and a client reading a cluster's keys in etcd.
 */
final class ClusterFixtures {

  private ClusterFixtures() {}

  /** Sends RING {@code args} through {@code j}; returns its reply. */
  static String ring(Jedis j, String... args) {
    Object reply = j.sendCommand(() -> "RING".getBytes(StandardCharsets.UTF_8), args);
    return new String((byte[]) reply, StandardCharsets.UTF_8);
  }

  /**
   * Waits (bounded, about {@code tenths} tenths of a second) until RING PROXIES through {@code j}
   * shows {@code up} proxies, all up at one epoch; returns it.
   */
  static String awaitProxiesUp(Jedis j, int up, int tenths) throws InterruptedException {
    String proxies = "";
    for (int i = 0; i < tenths; i++) {
      proxies = ring(j, "PROXIES");
      String[] lines = proxies.split("\n");
      long ups = Arrays.stream(lines).filter(l -> l.contains("state=up")).count();
      long epochs =
          Arrays.stream(lines).map(l -> l.replaceAll(".*epoch=(\\d+).*", "$1")).distinct().count();
      if (lines.length == up && ups == up && epochs == 1) {
        return proxies;
      }
      Thread.sleep(100);
    }
    throw new AssertionError("proxies not all up at one epoch: " + proxies);
  }

  /**
   * Sets {@code key} through {@code j}, again while the proxy answers an error (its backends are
   * down for it until it logs in again after joining), bounded.
   */
  static void setOnceUp(Jedis j, String key, String value) throws InterruptedException {
    for (int i = 0; i < 600; i++) {
      try {
        if ("OK".equals(j.set(key, value))) {
          return;
        }
      } catch (JedisDataException e) {
        Thread.sleep(100);
      }
    }
    throw new AssertionError("SET " + key + " kept failing through the proxy");
  }

  /** A client of the test's etcd reading a cluster's keys. */
  static final class EtcdKeys implements AutoCloseable {
    private final Client client;

    EtcdKeys(EtcdClusterExtension etcd) {
      client =
          Client.builder()
              .endpoints(
                  etcd.endpointList().stream().map(e -> "http://" + e).toArray(String[]::new))
              .build();
    }

    private static ByteSequence bytes(String s) {
      return ByteSequence.from(s, StandardCharsets.UTF_8);
    }

    /** The value of {@code key} of {@code cluster}, or null. */
    String get(ClusterSpec cluster, String key) throws Exception {
      GetResponse r =
          client.getKVClient().get(bytes(cluster.prefix() + key)).get(10, TimeUnit.SECONDS);
      return r.getKvs().isEmpty()
          ? null
          : r.getKvs().get(0).getValue().toString(StandardCharsets.UTF_8);
    }

    void put(ClusterSpec cluster, String key, String value) throws Exception {
      client
          .getKVClient()
          .put(bytes(cluster.prefix() + key), bytes(value))
          .get(10, TimeUnit.SECONDS);
    }

    void delete(ClusterSpec cluster, String key) throws Exception {
      client.getKVClient().delete(bytes(cluster.prefix() + key)).get(10, TimeUnit.SECONDS);
    }

    @Override
    public void close() {
      client.close();
    }
  }
}
