package io.ringlb.server.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import io.ringlb.core.HashRing;
import io.ringlb.server.RespServer;
import io.ringlb.server.ServerConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import redis.clients.jedis.Jedis;

/**
 * Clients write and read unique values while RING ADD and RING REMOVE run over and over: every
 * acknowledged write must be read back with its last value, during the changes and after them.
 */
@Timeout(90)
class LiveTopologyTest {

  private static final int WRITERS = 6;
  private static final int KEYS_PER_WRITER = 200;
  private static final long RUN_MILLIS = 4000;

  @Test
  void ringChangesUnderLoad_loseNoWriteAndServeNoStaleRead() throws Exception {
    try (RespServer server =
        RespServer.start(
            ServerConfig.defaults().withPort(0).withIoThreads(2),
            EmbeddedBackend.create(HashRing.seed(), 0, 1, 2))) {
      int port = server.address().getPort();
      AtomicBoolean stop = new AtomicBoolean();
      AtomicLong changes = new AtomicLong();
      ExecutorService pool = Executors.newFixedThreadPool(WRITERS + 1);
      long[][] last = new long[WRITERS][KEYS_PER_WRITER];
      List<Future<Long>> writers = new ArrayList<>();
      for (int w = 0; w < WRITERS; w++) {
        int writer = w;
        writers.add(
            pool.submit(
                () -> {
                  Random random = new Random(writer);
                  long acknowledged = 0;
                  try (Jedis jedis = new Jedis("127.0.0.1", port, 15_000)) {
                    long[] mine = last[writer];
                    for (int i = 0; !stop.get() && i < 2_000_000; i++) {
                      int k = random.nextInt(KEYS_PER_WRITER);
                      long value = mine[k] + 1;
                      if (jedis.set(key(writer, k), Long.toString(value)).equals("OK")) {
                        mine[k] = value;
                        acknowledged++;
                      }
                      int r = random.nextInt(KEYS_PER_WRITER);
                      String read = jedis.get(key(writer, r));
                      String expected = mine[r] == 0 ? null : Long.toString(mine[r]);
                      assertThat(read)
                          .as("read of %s during ring changes", key(writer, r))
                          .isEqualTo(expected);
                    }
                  }
                  return acknowledged;
                }));
      }
      Future<?> admin =
          pool.submit(
              () -> {
                Random random = new Random(99);
                List<Integer> present = new ArrayList<>(List.of(0, 1, 2));
                int next = 3;
                try (Jedis jedis = new Jedis("127.0.0.1", port, 15_000)) {
                  while (!stop.get()) {
                    if (present.size() < 2 || (present.size() < 12 && random.nextBoolean())) {
                      jedis.sendCommand(() -> "RING".getBytes(), "ADD", Integer.toString(next));
                      present.add(next++);
                    } else {
                      int id = present.remove(random.nextInt(present.size()));
                      jedis.sendCommand(() -> "RING".getBytes(), "REMOVE", Integer.toString(id));
                    }
                    changes.incrementAndGet();
                    Thread.sleep(random.nextInt(10));
                  }
                }
                return null;
              });
      Thread.sleep(RUN_MILLIS);
      stop.set(true);
      long acknowledged = 0;
      for (Future<Long> f : writers) {
        acknowledged += f.get(30, TimeUnit.SECONDS);
      }
      admin.get(30, TimeUnit.SECONDS);
      pool.shutdown();
      assertThat(changes.get()).as("topology changes").isGreaterThanOrEqualTo(20);
      assertThat(acknowledged).isPositive();
      try (Jedis jedis = new Jedis("127.0.0.1", port, 15_000)) {
        long stored = 0;
        for (int w = 0; w < WRITERS; w++) {
          for (int k = 0; k < KEYS_PER_WRITER; k++) {
            String expected = last[w][k] == 0 ? null : Long.toString(last[w][k]);
            assertThat(jedis.get(key(w, k))).as("final read of %s", key(w, k)).isEqualTo(expected);
            stored += last[w][k] == 0 ? 0 : 1;
          }
        }
        assertThat(jedis.dbSize()).isEqualTo(stored);
      }
    }
  }

  private static String key(int writer, int k) {
    return "w" + writer + ":k" + k;
  }
}
