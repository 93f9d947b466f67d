package io.ringlb.server.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import io.ringlb.core.LoadBalancer;
import io.ringlb.server.testing.ManualClock;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The SCAN cursor in routing-hash space. */
class ScanTest {

  private static Keyspace keyspace(int keys, int... servers) {
    LoadBalancer lb = LoadBalancer.seed();
    for (int s : servers) {
      lb.addServer(s);
    }
    Keyspace ks = new Keyspace(lb, new ManualClock());
    for (int i = 0; i < keys; i++) {
      byte[] k = ("key:" + i).getBytes(StandardCharsets.UTF_8);
      ks.set(ks.hash(k), k, k, 0, k.length, false);
    }
    // short keys cluster under djb2: plenty of neighbours and a few equal hashes
    for (int i = 0; i < 300; i++) {
      byte[] k = Integer.toString(i, 36).getBytes(StandardCharsets.UTF_8);
      ks.set(ks.hash(k), k, k, 0, k.length, false);
    }
    return ks;
  }

  @Test
  void fullIteration_returnsEveryKeyExactlyOnce() {
    for (int count : new int[] {1, 3, 10, 1000, 100_000}) {
      Keyspace ks = keyspace(5000, 0, 1, 2);
      Map<String, Integer> seen = new HashMap<>();
      long cursor = 0;
      int calls = 0;
      do {
        Scan.Page page = Scan.page(ks, cursor, count);
        for (byte[] k : page.keys()) {
          seen.merge(new String(k, StandardCharsets.UTF_8), 1, Integer::sum);
        }
        cursor = page.next();
        calls++;
      } while (cursor != 0 && calls < 100_000);
      assertThat(seen).as("count %d", count).hasSize(5300);
      assertThat(seen.values()).as("count %d", count).containsOnly(1);
    }
  }

  @Test
  void iterationAcrossTopologyChanges_missesNoKeyPresentThroughout() {
    Keyspace ks = keyspace(5000, 0, 1, 2);
    Random random = new Random(3);
    Set<String> seen = new HashSet<>();
    long cursor = 0;
    int next = 3;
    int calls = 0;
    do {
      Scan.Page page = Scan.page(ks, cursor, 50);
      page.keys().forEach(k -> seen.add(new String(k, StandardCharsets.UTF_8)));
      cursor = page.next();
      if (random.nextBoolean()) {
        ks.balancer().addServer(next++);
      } else if (ks.balancer().servers().length > 1) {
        int[] servers = ks.balancer().servers();
        ks.balancer().removeServer(servers[random.nextInt(servers.length)]);
      }
      calls++;
    } while (cursor != 0 && calls < 100_000);
    assertThat(seen).hasSize(5300);
  }
}
