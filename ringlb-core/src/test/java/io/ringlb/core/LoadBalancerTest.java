package io.ringlb.core;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeSet;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

class LoadBalancerTest {

  @Test
  void store_retrieve_seedExample() {
    LoadBalancer balancer = LoadBalancer.seed();
    balancer.addServer(0);
    balancer.addServer(1);
    balancer.addServer(2);
    assertThat(balancer.store(bytes("c674390f9"), bytes("Keyboard"))).isZero();
    assertThat(balancer.store(bytes("2fe5f9f583"), bytes("Laptop"))).isEqualTo(2);
    assertThat(balancer.serverFor(bytes("2fe5f9f583"))).isEqualTo(2);
    assertThat(balancer.removeServer(2)).isEqualTo(1);
    assertThat(balancer.serverFor(bytes("2fe5f9f583"))).isEqualTo(1);
    assertThat(balancer.retrieve(bytes("2fe5f9f583"))).asString(UTF_8).isEqualTo("Laptop");
  }

  @Test
  void store_noServer_refused() {
    LoadBalancer balancer = LoadBalancer.seed();
    assertThatThrownBy(() -> balancer.store(bytes("k"), bytes("v")))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("no server");
    assertThat(balancer.retrieve(bytes("k"))).isNull();
  }

  @Test
  void removeServer_lastWithKeys_refused() {
    LoadBalancer balancer = LoadBalancer.seed();
    balancer.addServer(4);
    balancer.store(bytes("k"), bytes("v"));
    assertThatThrownBy(() -> balancer.removeServer(4))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("last server");
    assertThat(balancer.retrieve(bytes("k"))).asString(UTF_8).isEqualTo("v");
    balancer.delete(bytes("k"));
    assertThat(balancer.removeServer(4)).isZero();
    assertThat(balancer.serverCount()).isZero();
  }

  @Test
  void addServer_duplicateOrOutOfRange_refused() {
    LoadBalancer balancer = LoadBalancer.seed();
    balancer.addServer(1);
    assertThatThrownBy(() -> balancer.addServer(1)).hasMessageContaining("already present");
    assertThatThrownBy(() -> balancer.addServer(100_000)).hasMessageContaining("99999");
    assertThatThrownBy(() -> balancer.addServer(-1)).hasMessageContaining("-1");
    assertThatThrownBy(() -> balancer.removeServer(7)).hasMessageContaining("not present");
  }

  @Test
  void removeServer_ownerOfFirstPosition_wrapsAroundWithoutLoss() {
    LoadBalancer balancer = LoadBalancer.seed();
    for (int id = 0; id < 20; id++) {
      balancer.addServer(id);
    }
    HashRing ring = (HashRing) balancer.placement();
    int first = ring.serverAt(0);
    Map<ByteBuffer, byte[]> model = new HashMap<>();
    Random random = new Random(99);
    for (int i = 0; i < 20_000; i++) {
      byte[] key = bytes(Long.toHexString(random.nextLong()));
      byte[] value = bytes("v" + i);
      balancer.store(key, value);
      model.put(ByteBuffer.wrap(key), value);
    }
    int held = balancer.keys(first);
    assertThat(balancer.removeServer(first)).isEqualTo(held);
    assertThat(balancer.size()).isEqualTo(model.size());
    model.forEach((k, v) -> assertThat(balancer.retrieve(k.array())).isEqualTo(v));
  }

  /**
   * Random sequences of add, remove, store and retrieve against a model that computes ownership by
   * brute force: every stored key is retrievable with its last value, lives on its owner, and each
   * topology change moves exactly the keys whose owner changed.
   */
  @Property(tries = 40)
  void randomOperations_matchBruteForceModel(@ForAll long seed) {
    Random random = new Random(seed);
    LoadBalancer balancer = LoadBalancer.seed();
    Map<ByteBuffer, byte[]> model = new HashMap<>();
    TreeSet<Integer> servers = new TreeSet<>();
    int keySpace = 1 + random.nextInt(3000);
    int idSpace = 1 + random.nextInt(random.nextBoolean() ? 12 : 100_000);
    for (int op = 0; op < 3000; op++) {
      int choice = random.nextInt(100);
      if (choice < 4 || servers.isEmpty()) {
        int id = random.nextInt(idSpace);
        if (servers.contains(id)) {
          continue;
        }
        Map<ByteBuffer, Integer> before = owners(model, servers);
        servers.add(id);
        Map<ByteBuffer, Integer> after = owners(model, servers);
        long changed =
            before.keySet().stream().filter(k -> !before.get(k).equals(after.get(k))).count();
        assertThat(balancer.addServer(id)).isEqualTo(changed);
        before.forEach(
            (k, owner) -> {
              if (!owner.equals(after.get(k))) {
                assertThat(after.get(k)).isEqualTo(id);
              }
            });
      } else if (choice < 7) {
        List<Integer> ids = new ArrayList<>(servers);
        int id = ids.get(random.nextInt(ids.size()));
        if (servers.size() == 1 && !model.isEmpty()) {
          assertThatThrownBy(() -> balancer.removeServer(id))
              .isInstanceOf(IllegalStateException.class);
          continue;
        }
        Map<ByteBuffer, Integer> before = owners(model, servers);
        servers.remove(id);
        long held = before.values().stream().filter(o -> o == id).count();
        assertThat(balancer.removeServer(id)).isEqualTo(held);
        Map<ByteBuffer, Integer> after = owners(model, servers);
        before.forEach(
            (k, owner) -> {
              if (owner != id) {
                assertThat(after.get(k)).isEqualTo(owner);
              }
            });
      } else if (choice < 60) {
        byte[] key = bytes("k" + random.nextInt(keySpace));
        byte[] value = new byte[random.nextInt(12)];
        random.nextBytes(value);
        int server = balancer.store(key, value);
        model.put(ByteBuffer.wrap(key), value);
        assertThat(server).isEqualTo(ownerOf(key, servers));
      } else if (choice < 70) {
        byte[] key = bytes("k" + random.nextInt(keySpace));
        assertThat(balancer.delete(key)).isEqualTo(model.remove(ByteBuffer.wrap(key)) != null);
      } else {
        byte[] key = bytes("k" + random.nextInt(keySpace));
        assertThat(balancer.retrieve(key)).isEqualTo(model.get(ByteBuffer.wrap(key)));
      }
    }
    assertThat(balancer.size()).isEqualTo(model.size());
    Map<Integer, Integer> perServer = new HashMap<>();
    owners(model, servers).forEach((k, owner) -> perServer.merge(owner, 1, Integer::sum));
    for (int id : servers) {
      assertThat(balancer.keys(id)).isEqualTo(perServer.getOrDefault(id, 0));
    }
    model.forEach((k, v) -> assertThat(balancer.retrieve(k.array())).isEqualTo(v));
  }

  private static Map<ByteBuffer, Integer> owners(
      Map<ByteBuffer, byte[]> model, TreeSet<Integer> servers) {
    Map<ByteBuffer, Integer> owners = new HashMap<>();
    for (ByteBuffer key : model.keySet()) {
      owners.put(key, ownerOf(key.array(), servers));
    }
    return owners;
  }

  /** Ownership straight from SPEC.md: the first label at or after the hash, by (position, id). */
  static int ownerOf(byte[] key, TreeSet<Integer> servers) {
    long h = Integer.toUnsignedLong(Hashes.djb2().hash(key));
    long bestPos = Long.MAX_VALUE;
    int best = -1;
    long firstPos = Long.MAX_VALUE;
    int first = -1;
    for (int id : servers) {
      for (int r = 0; r < 3; r++) {
        long pos = Integer.toUnsignedLong(Hashes.seedLabel(r * 100_000 + id));
        if (pos < firstPos || (pos == firstPos && id < first)) {
          firstPos = pos;
          first = id;
        }
        if (pos >= h && (pos < bestPos || (pos == bestPos && id < best))) {
          bestPos = pos;
          best = id;
        }
      }
    }
    return best >= 0 ? best : first;
  }

  private static byte[] bytes(String s) {
    return s.getBytes(UTF_8);
  }
}
