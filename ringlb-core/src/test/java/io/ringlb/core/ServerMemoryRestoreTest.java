package io.ringlb.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Re-stores with values of other lengths: a new record each time, old ones compacted away. */
class ServerMemoryRestoreTest {

  @Test
  void put_restoresOfChangingLength_lastValueWinsAndFootprintStaysBounded() {
    Random random = new Random(11);
    ServerMemory memory = new ServerMemory();
    int keys = 2_000;
    byte[][] values = new byte[keys][];
    for (int round = 0; round < 60; round++) {
      for (int k = 0; k < keys; k++) {
        if (round > 0 && random.nextInt(3) == 0) {
          continue;
        }
        byte[] value = new byte[random.nextInt(200)];
        Arrays.fill(value, (byte) (round + k));
        byte[] key = ServerMemoryTest.key(k);
        boolean added = memory.put(Hashes.djb2(key, 0, key.length), key, value);
        assertThat(added).isEqualTo(values[k] == null);
        values[k] = value;
      }
    }
    memory.checkInvariants();
    assertThat(memory.size()).isEqualTo(keys);
    long live = 0;
    for (int k = 0; k < keys; k++) {
      byte[] key = ServerMemoryTest.key(k);
      assertThat(memory.get(Hashes.djb2(key, 0, key.length), key)).isEqualTo(values[k]);
      live += key.length + values[k].length + 3;
    }
    // dead records are compacted away as they accumulate
    assertThat(memory.footprint()).isLessThan(4 * live + 64L * keys);
  }
}
