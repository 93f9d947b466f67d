package io.ringlb.core;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ServerMemoryTest {

  @Test
  void put_get_remove_roundTrip() {
    ServerMemory memory = new ServerMemory();
    byte[] key = "k".getBytes(UTF_8);
    assertThat(memory.put(7, key, "v1".getBytes(UTF_8))).isTrue();
    assertThat(memory.put(7, key, "value two".getBytes(UTF_8))).isFalse();
    assertThat(memory.get(7, key)).asString(UTF_8).isEqualTo("value two");
    assertThat(memory.size()).isEqualTo(1);
    assertThat(memory.remove(7, key)).isTrue();
    assertThat(memory.remove(7, key)).isFalse();
    assertThat(memory.get(7, key)).isNull();
    assertThat(memory.isEmpty()).isTrue();
  }

  @Test
  void put_sameHashDifferentKeys() {
    ServerMemory memory = new ServerMemory();
    for (int i = 0; i < 10_000; i++) {
      memory.put(42, ("key" + i).getBytes(UTF_8), ("v" + i).getBytes(UTF_8));
    }
    memory.checkInvariants();
    assertThat(memory.size()).isEqualTo(10_000);
    assertThat(memory.get(42, "key9999".getBytes(UTF_8))).asString(UTF_8).isEqualTo("v9999");
  }

  @Test
  void put_largeAndEmptyValues() {
    ServerMemory memory = new ServerMemory();
    byte[] big = new byte[1 << 20];
    new Random(1).nextBytes(big);
    memory.put(1, new byte[0], big);
    memory.put(2, "e".getBytes(UTF_8), new byte[0]);
    assertThat(memory.get(1, new byte[0])).isEqualTo(big);
    assertThat(memory.get(2, "e".getBytes(UTF_8))).isEmpty();
  }

  @Test
  void randomOperations_matchModel() {
    Random random = new Random(12345);
    ServerMemory memory = new ServerMemory();
    Map<ByteBuffer, byte[]> model = new HashMap<>();
    for (int op = 0; op < 200_000; op++) {
      byte[] key = key(random.nextInt(30_000));
      int hash = Hashes.djb2(key, 0, key.length);
      int choice = random.nextInt(10);
      if (choice < 6) {
        byte[] value = new byte[random.nextInt(40)];
        random.nextBytes(value);
        boolean added = memory.put(hash, key, value);
        assertThat(added).isEqualTo(model.put(ByteBuffer.wrap(key), value) == null);
      } else if (choice < 8) {
        assertThat(memory.remove(hash, key)).isEqualTo(model.remove(ByteBuffer.wrap(key)) != null);
      } else {
        assertThat(memory.get(hash, key)).isEqualTo(model.get(ByteBuffer.wrap(key)));
      }
    }
    memory.checkInvariants();
    assertThat(memory.size()).isEqualTo(model.size());
    assertThat(memory.segmentCount()).isGreaterThan(1);
  }

  @Test
  void extractRange_thenAbsorb_movesExactlyTheRange() {
    Random random = new Random(7);
    for (int round = 0; round < 50; round++) {
      ServerMemory memory = new ServerMemory();
      Map<ByteBuffer, Integer> hashes = new HashMap<>();
      int n = random.nextInt(20_000);
      for (int i = 0; i < n; i++) {
        byte[] key = key(random.nextInt());
        int hash = Hashes.djb2(key, 0, key.length);
        memory.put(hash, key, key);
        hashes.put(ByteBuffer.wrap(key), hash);
      }
      int a = random.nextInt();
      int b = random.nextInt();
      int lo = Integer.compareUnsigned(a, b) <= 0 ? a : b;
      int hi = lo == a ? b : a;
      long expected = hashes.values().stream().filter(h -> inRange(h, lo, hi)).count();

      ServerMemory taken = memory.extractRange(lo, hi);
      memory.checkInvariants();
      taken.checkInvariants();
      assertThat(taken.size()).isEqualTo(expected);
      assertThat(memory.size()).isEqualTo(hashes.size() - expected);
      taken.forEach((h, k, ko, kl, v, vo, vl) -> assertThat(inRange(h, lo, hi)).isTrue());
      memory.forEach((h, k, ko, kl, v, vo, vl) -> assertThat(inRange(h, lo, hi)).isFalse());

      ServerMemory other = new ServerMemory();
      for (int i = 0; i < 500; i++) {
        byte[] key = key(random.nextInt());
        int hash = Hashes.djb2(key, 0, key.length);
        if (!inRange(hash, lo, hi)) {
          other.put(hash, key, key);
          hashes.put(ByteBuffer.wrap(key), hash);
        }
      }
      other.absorb(taken);
      other.absorb(memory);
      other.checkInvariants();
      assertThat(taken.isEmpty()).isTrue();
      assertThat(memory.isEmpty()).isTrue();
      assertThat(other.size()).isEqualTo(hashes.size());
      hashes.forEach((k, h) -> assertThat(other.get(h, k.array())).isEqualTo(k.array()));
    }
  }

  @Test
  void absorb_overlappingKeys_donorWins() {
    ServerMemory target = new ServerMemory();
    ServerMemory donor = new ServerMemory();
    byte[] key = "same".getBytes(UTF_8);
    target.put(5, key, "old".getBytes(UTF_8));
    target.put(1, "low".getBytes(UTF_8), "x".getBytes(UTF_8));
    target.put(9, "high".getBytes(UTF_8), "y".getBytes(UTF_8));
    donor.put(5, key, "new".getBytes(UTF_8));
    target.absorb(donor);
    target.checkInvariants();
    assertThat(target.size()).isEqualTo(3);
    assertThat(target.get(5, key)).asString(UTF_8).isEqualTo("new");
  }

  @Test
  void extractIf_takesMatchingHashes() {
    ServerMemory memory = new ServerMemory();
    for (int i = 0; i < 10_000; i++) {
      memory.put(i * 7919, key(i), key(i));
    }
    ServerMemory odd = memory.extractIf(h -> (h & 1) == 1);
    memory.checkInvariants();
    odd.checkInvariants();
    assertThat(odd.size()).isEqualTo(5_000);
    assertThat(memory.size()).isEqualTo(5_000);
  }

  @Test
  void repeatedTopologyChanges_doNotFragment() {
    Random random = new Random(3);
    ServerMemory a = new ServerMemory();
    ServerMemory b = new ServerMemory();
    for (int i = 0; i < 50_000; i++) {
      byte[] key = key(i);
      a.put(Hashes.djb2(key, 0, key.length), key, key);
    }
    for (int i = 0; i < 2_000; i++) {
      int lo = random.nextInt();
      int hi = lo + random.nextInt(1 << 20);
      if (Integer.compareUnsigned(hi, lo) < 0) {
        continue;
      }
      b.absorb(a.extractRange(lo, hi));
      a.absorb(b.extractRange(lo, hi));
    }
    a.checkInvariants();
    assertThat(a.size()).isEqualTo(50_000);
    assertThat(a.segmentCount()).isLessThan(50_000 / ServerMemory.MERGE_ENTRIES * 4);
  }

  static boolean inRange(int h, int lo, int hi) {
    return Integer.compareUnsigned(h, lo) >= 0 && Integer.compareUnsigned(h, hi) <= 0;
  }

  static byte[] key(int i) {
    return Integer.toHexString(i * 0x9E3779B1).getBytes(UTF_8);
  }
}
