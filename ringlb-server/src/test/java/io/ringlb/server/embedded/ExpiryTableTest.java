package io.ringlb.server.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The expiry side table against a HashMap, with colliding hashes on purpose. */
class ExpiryTableTest {

  @Test
  void randomOperations_agreeWithHashMap() {
    Random random = new Random(42);
    ExpiryTable table = new ExpiryTable();
    Map<String, Long> model = new HashMap<>();
    for (int i = 0; i < 200_000; i++) {
      String key = "k" + random.nextInt(3000);
      byte[] bytes = key.getBytes(StandardCharsets.UTF_8);
      int hash = key.hashCode() & 0x3F; // few distinct hashes: long probe runs
      int op = random.nextInt(10);
      if (op < 5) {
        long deadline = random.nextInt(1000);
        table.put(hash, bytes, deadline);
        model.put(key, deadline);
      } else if (op < 8) {
        assertThat(table.remove(hash, bytes)).isEqualTo(model.remove(key) != null);
      } else {
        assertThat(table.get(hash, bytes)).isEqualTo(model.getOrDefault(key, ExpiryTable.NONE));
      }
      assertThat(table.size()).isEqualTo(model.size());
    }
    for (Map.Entry<String, Long> e : model.entrySet()) {
      String k = e.getKey();
      assertThat(table.get(k.hashCode() & 0x3F, k.getBytes(StandardCharsets.UTF_8)))
          .isEqualTo(e.getValue());
    }
  }

  @Test
  void sample_removesExactlyTheExpired() {
    ExpiryTable table = new ExpiryTable();
    Map<String, Long> model = new HashMap<>();
    for (int i = 0; i < 5000; i++) {
      String key = "key" + i;
      table.put(key.hashCode(), key.getBytes(StandardCharsets.UTF_8), i);
      model.put(key, (long) i);
    }
    Map<String, Boolean> expired = new HashMap<>();
    int rounds = 0;
    while (table.size() > 2500 && rounds++ < 10_000) {
      table.sample(20, 2499, (h, k) -> expired.put(new String(k, StandardCharsets.UTF_8), true));
    }
    assertThat(expired).hasSize(2500);
    assertThat(expired.keySet()).allMatch(k -> model.get(k) <= 2499);
    assertThat(table.size()).isEqualTo(2500);
  }
}
