package io.ringlb.core;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** {@link LoadBalancer#prefetch} reads and changes nothing, whatever the hashes. */
class LoadBalancerPrefetchTest {

  @Test
  void prefetch_noServers_readsNothing() {
    LoadBalancer balancer = LoadBalancer.seed();
    assertThat(balancer.prefetch(new int[] {1, 2, 3}, 3)).isZero();
  }

  @Test
  void prefetch_presentAbsentAndUnclaimedHashes_changesNothing() {
    LoadBalancer balancer = LoadBalancer.seed();
    for (int id = 0; id < 50; id++) {
      balancer.addServer(id * 7);
    }
    Random random = new Random(2);
    int[] hashes = new int[200];
    for (int i = 0; i < 100; i++) {
      byte[] key = ("key-" + i).getBytes(UTF_8);
      balancer.store(key, ("value-" + i).getBytes(UTF_8));
      hashes[i] = balancer.hashKey(key);
    }
    for (int i = 100; i < 200; i++) {
      hashes[i] = random.nextInt();
    }
    balancer.prefetch(hashes, hashes.length);
    balancer.prefetch(hashes, 0);
    assertThat(balancer.size()).isEqualTo(100);
    for (int i = 0; i < 100; i++) {
      assertThat(balancer.retrieve(("key-" + i).getBytes(UTF_8)))
          .asString(UTF_8)
          .isEqualTo("value-" + i);
    }
  }

  @Test
  void prefetch_countBeyondArray_rejected() {
    LoadBalancer balancer = LoadBalancer.seed();
    assertThatThrownBy(() -> balancer.prefetch(new int[2], 3))
        .isInstanceOf(IndexOutOfBoundsException.class);
  }
}
