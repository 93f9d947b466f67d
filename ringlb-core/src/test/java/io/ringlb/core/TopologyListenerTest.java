package io.ringlb.core;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ringlb.core.TopologyListener.Flow;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.TreeSet;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class TopologyListenerTest {

  @Test
  void shopExample_flowsPerChange() {
    Recording recording = new Recording();
    LoadBalancer balancer = LoadBalancer.builder().listener(recording).build();
    balancer.addServer(0);
    balancer.addServer(1);
    balancer.addServer(2);
    for (String key : new String[] {"c674390f9", "a3529213e15", "5a51719f5ec", "2fe5f9f583"}) {
      balancer.store(key.getBytes(UTF_8), "v".getBytes(UTF_8));
    }
    long toSeven = balancer.addServer(7);
    long fromTwo = balancer.removeServer(2);
    assertThat(recording.changes)
        .extracting(Change::text)
        .containsExactly("+0 []", "+1 []", "+2 []", "+7 []", "-2 [2->1:2]");
    assertThat(toSeven).isZero();
    assertThat(fromTwo).isEqualTo(2);
  }

  /** Random stores, adds and removes: each change's flows are the owners that changed. */
  @Property(tries = 30)
  void flows_matchOwnersBeforeAndAfter(@ForAll @IntRange(min = 0, max = 1000) int seed) {
    check(seed, LoadBalancer.builder(), HashRing.seed());
  }

  /** The same over a placement that reports its changes as reassignments, not ranges. */
  @Property(tries = 30)
  void flows_matchOwners_reassigningPlacement(@ForAll @IntRange(min = 0, max = 1000) int seed) {
    check(seed, LoadBalancer.builder().placement(new Modulo()), new Modulo());
  }

  @Test
  void noListener_movesAsBefore() {
    LoadBalancer plain = LoadBalancer.seed();
    Recording recording = new Recording();
    LoadBalancer listened = LoadBalancer.builder().listener(recording).build();
    for (LoadBalancer balancer : List.of(plain, listened)) {
      balancer.addServer(3);
      for (int i = 0; i < 500; i++) {
        balancer.store(("k" + i).getBytes(UTF_8), "v".getBytes(UTF_8));
      }
    }
    assertThat(listened.addServer(9)).isEqualTo(plain.addServer(9)).isPositive();
    assertThat(listened.removeServer(3)).isEqualTo(plain.removeServer(3)).isPositive();
    assertThat(recording.changes).hasSize(3);
  }

  @Test
  void flow_invalid_refused() {
    assertThatThrownBy(() -> new Flow(1, 2, 0)).hasMessageContaining("at least one key");
    assertThatThrownBy(() -> new Flow(4, 4, 1)).hasMessageContaining("between two servers");
  }

  private static void check(int seed, LoadBalancer.Builder builder, Placement mirror) {
    Random random = new Random(seed);
    Recording recording = new Recording();
    LoadBalancer balancer = builder.listener(recording).build();
    TreeSet<Integer> servers = new TreeSet<>();
    List<byte[]> keys = new ArrayList<>();
    for (int step = 0; step < 60; step++) {
      int op = random.nextInt(4);
      if (op == 0 || servers.isEmpty()) {
        int id = random.nextInt(50);
        if (servers.add(id)) {
          Map<byte[], Integer> before = owners(mirror, keys);
          mirror.addServer(id, Placement.MoveListener.NONE);
          long moved = balancer.addServer(id);
          expectLast(recording, "+" + id, before, owners(mirror, keys), moved);
        }
      } else if (op == 1 && servers.size() > 1) {
        int id = servers.stream().skip(random.nextInt(servers.size())).findFirst().orElseThrow();
        servers.remove(id);
        Map<byte[], Integer> before = owners(mirror, keys);
        mirror.removeServer(id, Placement.MoveListener.NONE);
        long moved = balancer.removeServer(id);
        expectLast(recording, "-" + id, before, owners(mirror, keys), moved);
      } else {
        for (int i = 0; i < 20; i++) {
          byte[] key = ("key-" + seed + "-" + keys.size()).getBytes(UTF_8);
          keys.add(key);
          balancer.store(key, key);
        }
      }
    }
  }

  /** The owner of each key, by the mirror placement (identity keys: each array once). */
  private static Map<byte[], Integer> owners(Placement placement, List<byte[]> keys) {
    Map<byte[], Integer> owners = new LinkedHashMap<>();
    if (placement.size() > 0) {
      for (byte[] key : keys) {
        owners.put(key, placement.serverFor(placement.hashKey(key)));
      }
    }
    return owners;
  }

  private static void expectLast(
      Recording recording,
      String change,
      Map<byte[], Integer> before,
      Map<byte[], Integer> after,
      long moved) {
    TreeMap<String, Long> expected = new TreeMap<>();
    long total = 0;
    for (Map.Entry<byte[], Integer> owner : before.entrySet()) {
      int to = after.get(owner.getKey());
      if (to != owner.getValue()) {
        expected.merge(owner.getValue() + "->" + to, 1L, Long::sum);
        total++;
      }
    }
    Change last = recording.changes.get(recording.changes.size() - 1);
    assertThat(last.sign + last.server).isEqualTo(change);
    TreeMap<String, Long> told = new TreeMap<>();
    for (Flow flow : last.flows) {
      told.put(flow.fromServer() + "->" + flow.toServer(), flow.keys());
    }
    assertThat(told).as(change).isEqualTo(expected);
    assertThat(last.flows)
        .as("ordered by from, then to")
        .isSortedAccordingTo(
            (a, b) ->
                a.fromServer() != b.fromServer()
                    ? Integer.compare(a.fromServer(), b.fromServer())
                    : Integer.compare(a.toServer(), b.toServer()));
    assertThat(moved).as("returned").isEqualTo(total);
  }

  private record Change(String sign, int server, List<Flow> flows) {
    String text() {
      StringBuilder text = new StringBuilder(sign + server + " [");
      for (Flow flow : flows) {
        text.append(text.charAt(text.length() - 1) == '[' ? "" : " ");
        text.append(flow.fromServer()).append("->").append(flow.toServer());
        text.append(':').append(flow.keys());
      }
      return text.append(']').toString();
    }
  }

  private static final class Recording implements TopologyListener {
    final List<Change> changes = new ArrayList<>();

    @Override
    public void serverAdded(int serverId, List<Flow> flows) {
      changes.add(new Change("+", serverId, flows));
    }

    @Override
    public void serverRemoved(int serverId, List<Flow> flows) {
      changes.add(new Change("-", serverId, flows));
    }
  }

  /** Keys to the server at their hash modulo the number of servers: every change reassigns. */
  private static final class Modulo implements Placement {
    private final TreeSet<Integer> servers = new TreeSet<>();
    private int[] ids = new int[0];

    @Override
    public String name() {
      return "modulo";
    }

    @Override
    public int hashKey(byte[] key, int offset, int length) {
      return Hashes.djb2().hash(key, offset, length);
    }

    @Override
    public int serverFor(int keyHash) {
      return ids.length == 0 ? -1 : ids[Integer.remainderUnsigned(keyHash, ids.length)];
    }

    @Override
    public boolean contains(int serverId) {
      return servers.contains(serverId);
    }

    @Override
    public int size() {
      return servers.size();
    }

    @Override
    public int[] servers() {
      return ids.clone();
    }

    @Override
    public int points(int serverId) {
      return contains(serverId) ? 1 : 0;
    }

    @Override
    public double share(int serverId) {
      return contains(serverId) ? 1.0 / servers.size() : 0;
    }

    @Override
    public void addServer(int serverId, int weight, MoveListener moves) {
      servers.add(serverId);
      changed(moves);
    }

    @Override
    public void removeServer(int serverId, MoveListener moves) {
      servers.remove(serverId);
      changed(moves);
    }

    private void changed(MoveListener moves) {
      ids = servers.stream().mapToInt(Integer::intValue).toArray();
      moves.reassigned();
    }
  }
}
