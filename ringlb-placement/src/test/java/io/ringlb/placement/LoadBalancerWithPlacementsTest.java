package io.ringlb.placement;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.ringlb.core.LoadBalancer;
import io.ringlb.core.Placement;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every store placement driving the core balancer through random joins and leaves: no key is lost,
 * each lives on its owner, and the keys counted as moved are exactly those whose owner changed
 * (whether the strategy reports ranges or reassignment).
 */
class LoadBalancerWithPlacementsTest {

  @ParameterizedTest
  @ValueSource(
      strings = {
        "seed",
        "ring:160",
        "ketama",
        "ketama:twemproxy",
        "rendezvous",
        "maglev:1009",
        "multiprobe:21",
        "memento",
        "slots:65536",
        "slots:256"
      })
  void balancer_randomJoinsAndLeaves_keepsEveryKeyOnItsOwner(String spec) {
    Random random = new Random(spec.hashCode());
    Placement placement = Placements.forStore(spec);
    LoadBalancer balancer = LoadBalancer.builder().placement(placement).build();
    List<Integer> live = new ArrayList<>();
    int nextId = 0;
    for (; nextId < 4; nextId++) {
      balancer.addServer(nextId);
      live.add(nextId);
    }
    int keys = 2000;
    for (int k = 0; k < keys; k++) {
      balancer.store(key(k), value(k, 0));
    }
    for (int step = 1; step <= 20; step++) {
      int[] before = owners(balancer, keys);
      long moved;
      if (live.size() < 3 || random.nextBoolean()) {
        int id = nextId;
        nextId += 1 + random.nextInt(3);
        moved = balancer.addServer(id);
        live.add(id);
      } else {
        int id = live.remove(random.nextInt(live.size()));
        moved = balancer.removeServer(id);
      }
      int[] after = owners(balancer, keys);
      int changed = 0;
      for (int k = 0; k < keys; k++) {
        changed += before[k] != after[k] ? 1 : 0;
      }
      assertThat(moved).as("%s step %d: keys moved", spec, step).isEqualTo(changed);
      assertThat(balancer.size()).isEqualTo(keys);
      for (int k = 0; k < keys; k++) {
        if (k % 7 == step % 7) {
          balancer.store(key(k), value(k, step)); // re-stores land on the current owner
        }
      }
      for (int k = 0; k < keys; k++) {
        int version = k % 7 <= step % 7 ? step - (step % 7 - k % 7) : step - 7 + (k % 7 - step % 7);
        byte[] expected = version <= 0 ? value(k, 0) : value(k, version);
        assertThat(balancer.retrieve(key(k)))
            .as("%s step %d key %d", spec, step, k)
            .isEqualTo(expected);
      }
    }
  }

  private static int[] owners(LoadBalancer balancer, int keys) {
    int[] owners = new int[keys];
    for (int k = 0; k < keys; k++) {
      owners[k] = balancer.serverFor(key(k));
    }
    return owners;
  }

  private static byte[] key(int k) {
    return ("user:" + k).getBytes(UTF_8);
  }

  private static byte[] value(int k, int version) {
    return ("v" + version + "-" + k).getBytes(UTF_8);
  }
}
