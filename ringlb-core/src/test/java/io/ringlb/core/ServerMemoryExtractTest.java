package io.ringlb.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** Extraction from segments that straddle a moved range: what stays, what moves, what it costs. */
class ServerMemoryExtractTest {

  @Test
  void extractRange_straddlingSegment_keepsTheRestReadable() {
    ServerMemory memory = new ServerMemory();
    for (int i = 0; i < 3_000; i++) {
      memory.put(i * 1_000_003, ServerMemoryTest.key(i), ServerMemoryTest.key(i + 1));
    }
    int lo = 1_000_000_000;
    int hi = 1_200_000_000;
    ServerMemory taken = memory.extractRange(lo, hi);
    memory.checkInvariants();
    taken.checkInvariants();
    for (int i = 0; i < 3_000; i++) {
      int hash = i * 1_000_003;
      boolean inside = ServerMemoryTest.inRange(hash, lo, hi);
      ServerMemory holder = inside ? taken : memory;
      ServerMemory other = inside ? memory : taken;
      assertThat(holder.get(hash, ServerMemoryTest.key(i))).isEqualTo(ServerMemoryTest.key(i + 1));
      assertThat(other.containsKey(hash, ServerMemoryTest.key(i))).isFalse();
    }
    assertThat(memory.size() + taken.size()).isEqualTo(3_000);
  }

  @Test
  void repeatedSmallMoves_footprintStaysBounded() {
    Random random = new Random(5);
    ServerMemory a = new ServerMemory();
    ServerMemory b = new ServerMemory();
    long liveBytes = 0;
    for (int i = 0; i < 20_000; i++) {
      byte[] key = ServerMemoryTest.key(i);
      a.put(Hashes.djb2(key, 0, key.length), key, key);
      liveBytes += 2L * key.length + 2;
    }
    long before = a.footprint();
    for (int round = 0; round < 3_000; round++) {
      int lo = random.nextInt();
      int hi = lo + random.nextInt(1 << 22);
      if (Integer.compareUnsigned(hi, lo) < 0) {
        continue;
      }
      b.absorb(a.extractRange(lo, hi));
      a.absorb(b.extractRange(lo, hi));
    }
    a.checkInvariants();
    assertThat(a.size()).isEqualTo(20_000);
    // dead bytes left by moved entries are compacted away: no unbounded growth
    assertThat(a.footprint()).isLessThan(Math.max(2 * before, 4 * liveBytes));
  }

  @Test
  void extractRange_mostEntriesMovedOut_donorShrinks() {
    ServerMemory memory = new ServerMemory();
    for (int i = 0; i < 4_000; i++) {
      byte[] key = ServerMemoryTest.key(i);
      memory.put(i * 1_000_003, key, new byte[100]);
    }
    long full = memory.footprint();
    // move out nine tenths of the hash space in small steps, each straddling the one segment
    long step = (1L << 32) / 100;
    for (int s = 0; s < 90; s++) {
      memory.extractRange((int) (s * step), (int) ((s + 1) * step - 1));
    }
    memory.checkInvariants();
    assertThat(memory.size()).isBetween(100, 1_000);
    assertThat(memory.footprint()).isLessThan(full / 4);
  }
}
