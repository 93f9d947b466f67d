package io.ringlb.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.ringlb.server.testing.RedisServersExtension;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import redis.clients.jedis.Jedis;

/**
 * Commands queued inside MULTI through the proxy are checked by their backend as they are queued,
 * as redis-server checks them: refused at once while it is out of memory, a transaction of reads
 * run at EXEC even so, and an EXECABORT naming the error when a command the client was told QUEUED
 * for is refused at EXEC.
 */
@Timeout(60)
class ProxyTransactionQueueingTest {

  @RegisterExtension
  static final RedisServersExtension redis = RedisServersExtension.servers(3).flushBeforeEachTest();

  private static final Supplier<ProxyServer> proxy =
      redis.front(servers -> ProxyServer.start(ProxyFixtures.config(servers, 3).build()));

  private static final String OOM = "OOM command not allowed when used memory > 'maxmemory'.";

  private static Jedis client() {
    return new Jedis("127.0.0.1", proxy.get().port(), 10_000);
  }

  private static String reply(Jedis jedis, String... args) {
    return ProxyFixtures.reply(jedis, args);
  }

  @AfterEach
  void memoryBack() {
    try (Jedis jedis = client()) {
      assertThat(jedis.configSet("maxmemory", "0")).isEqualTo("OK");
    }
  }

  @Test
  void commandsQueuedWhileTheBackendIsOutOfMemory_refusedAtOnce_andDiscardStillWorks() {
    try (Jedis jedis = client();
        Jedis other = client()) {
      assertThat(jedis.configSet("maxmemory", "1")).isEqualTo("OK");
      assertThat(reply(jedis, "MULTI")).isEqualTo("OK");
      assertThat(reply(jedis, "SET", "{t}.a", "1")).isEqualTo(OOM);
      assertThat(reply(jedis, "DISCARD")).isEqualTo("OK");
      assertThat(reply(jedis, "PING", "out")).isEqualTo("out");

      assertThat(reply(jedis, "MULTI")).isEqualTo("OK");
      assertThat(reply(jedis, "SET", "{t}.a", "1")).isEqualTo(OOM);
      assertThat(other.configSet("maxmemory", "0")).isEqualTo("OK");
      // queued once memory was back, yet the transaction had a refused command
      assertThat(reply(jedis, "SET", "{t}.b", "2")).isEqualTo("QUEUED");
      assertThat(reply(jedis, "EXEC")).startsWith("EXECABORT").contains("previous errors");
      assertThat(reply(jedis, "EXISTS", "{t}.a", "{t}.b")).isEqualTo("0");
    }
  }

  @Test
  void readsQueuedBeforeTheBackendRanOutOfMemory_runAtExec() {
    try (Jedis jedis = client();
        Jedis other = client()) {
      jedis.set("x", "value");
      assertThat(reply(jedis, "MULTI")).isEqualTo("OK");
      assertThat(reply(jedis, "GET", "x")).isEqualTo("QUEUED");
      assertThat(reply(jedis, "PING")).isEqualTo("QUEUED");
      assertThat(other.configSet("maxmemory", "1")).isEqualTo("OK");
      assertThat(reply(jedis, "EXEC")).isEqualTo("[value, PONG]");
    }
  }

  @Test
  void aWriteQueuedBeforeTheBackendRanOutOfMemory_execAbortsNamingTheError() {
    try (Jedis jedis = client();
        Jedis other = client()) {
      assertThat(reply(jedis, "MULTI")).isEqualTo("OK");
      assertThat(reply(jedis, "SET", "x", "1")).isEqualTo("QUEUED");
      assertThat(reply(jedis, "GET", "x")).isEqualTo("QUEUED");
      assertThat(other.configSet("maxmemory", "1")).isEqualTo("OK");
      assertThat(reply(jedis, "EXEC"))
          .isEqualTo("EXECABORT Transaction discarded because of: " + OOM);
      assertThat(other.configSet("maxmemory", "0")).isEqualTo("OK");
      assertThat(jedis.exists("x")).isFalse();
    }
  }

  @Test
  void aTransactionOfCommandsWithoutKeys_sentWholeAtExec_abortsNamingTheBackendsError() {
    try (Jedis jedis = client()) {
      assertThat(jedis.configSet("maxmemory", "1")).isEqualTo("OK");
      assertThat(reply(jedis, "MULTI")).isEqualTo("OK");
      // no key yet: no backend is known, and the proxy answers itself
      assertThat(reply(jedis, "PING")).isEqualTo("QUEUED");
      assertThat(reply(jedis, "EXEC"))
          .isEqualTo("EXECABORT Transaction discarded because of: " + OOM);
    }
  }

  @Test
  void theConnectionLostInsideMulti_theTransactionIsSentWholeAtExec() throws Exception {
    try (Jedis jedis = client()) {
      jedis.set("{t}.k", "0");
      assertThat(reply(jedis, "MULTI")).isEqualTo("OK");
      assertThat(reply(jedis, "INCR", "{t}.k")).isEqualTo("QUEUED");
      // every connection of the proxy to the key's backend is cut: the MULTI opened there is gone
      int on = -1;
      for (int id = 0; id < 3 && on < 0; id++) {
        try (Jedis direct = redis.server(id).client()) {
          on = direct.exists("{t}.k") ? id : -1;
        }
      }
      try (Jedis direct = redis.server(on).client()) {
        assertThat(reply(direct, "CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes"))
            .isNotEqualTo("0");
      }
      Thread.sleep(200); // the proxy sees its connection closed
      // queued by the proxy now, and both INCRs run at EXEC, none of them twice
      assertThat(reply(jedis, "INCR", "{t}.k")).isEqualTo("QUEUED");
      assertThat(reply(jedis, "EXEC")).isEqualTo("[1, 2]");
      assertThat(jedis.get("{t}.k")).isEqualTo("2");
    }
  }

  @Test
  void aWatchWhoseConnectionWasLost_makesExecAnswerNil() throws Exception {
    try (Jedis jedis = client()) {
      jedis.set("{t}.w", "0");
      assertThat(reply(jedis, "WATCH", "{t}.w")).isEqualTo("OK");
      for (int id = 0; id < 3; id++) {
        try (Jedis direct = redis.server(id).client()) {
          reply(direct, "CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes");
        }
      }
      Thread.sleep(200);
      assertThat(reply(jedis, "MULTI")).isEqualTo("OK");
      assertThat(reply(jedis, "INCR", "{t}.w")).isEqualTo("QUEUED");
      // the new connection watches nothing: as if the key had changed
      assertThat(reply(jedis, "EXEC")).isEqualTo("null");
      assertThat(jedis.get("{t}.w")).isEqualTo("0");
    }
  }

  @Test
  void execThatUnblocksMoreClientsThanThePoolKeepsIdle_isAnswered() throws Exception {
    // more than the idle connections the two workers keep per backend
    int blocked = 2 * BlockingPool.IDLE_PER_BACKEND + 10;
    List<Jedis> poppers = new java.util.ArrayList<>();
    List<CompletableFuture<List<String>>> pops = new java.util.ArrayList<>();
    try (Jedis jedis = client()) {
      for (int i = 0; i < blocked; i++) {
        Jedis p = new Jedis("127.0.0.1", proxy.get().port(), 30_000);
        poppers.add(p);
        pops.add(CompletableFuture.supplyAsync(() -> p.blpop(0, "{t}.jobs")));
      }
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (!reply(jedis, "INFO", "clients").contains("blocked_clients:" + blocked)
          && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      assertThat(reply(jedis, "MULTI")).isEqualTo("OK");
      String[] push = new String[blocked + 2];
      push[0] = "RPUSH";
      push[1] = "{t}.jobs";
      for (int i = 0; i < blocked; i++) {
        push[i + 2] = "job" + i;
      }
      assertThat(reply(jedis, push)).isEqualTo("QUEUED");
      // its connection is given back once the blocked clients' ones went back idle
      assertThat(reply(jedis, "EXEC")).isEqualTo("[" + blocked + "]");
      for (CompletableFuture<List<String>> pop : pops) {
        assertThat(pop.get(10, TimeUnit.SECONDS)).hasSize(2);
      }
    } finally {
      poppers.forEach(Jedis::close);
    }
  }

  @Test
  void aClientThatLeavesInsideMulti_leavesNoTransactionOpen() {
    try (Jedis jedis = client()) {
      reply(jedis, "MULTI");
      assertThat(reply(jedis, "SET", "{t}.left", "1")).isEqualTo("QUEUED");
    }
    try (Jedis jedis = client()) {
      // the next transactions on the same backend run whole, and nothing of the first one ran
      for (int i = 0; i < 3; i++) {
        assertThat(reply(jedis, "MULTI")).isEqualTo("OK");
        assertThat(reply(jedis, "INCR", "{t}.count")).isEqualTo("QUEUED");
        assertThat(reply(jedis, "EXEC")).isEqualTo("[" + (i + 1) + "]");
      }
      assertThat(jedis.exists("{t}.left")).isFalse();
    }
  }

  private static String ring(Jedis admin, String... args) {
    String[] all = new String[args.length + 1];
    all[0] = "RING";
    System.arraycopy(args, 0, all, 1, args.length);
    return reply(admin, all);
  }

  @Test
  void aRingChangeBetweenTheFirstCommandAndExec_runsTheTransactionWholeOnTheNewOwner()
      throws Exception {
    int n = 40; // transactions on as many tags: some of them move to the backend that joins
    try (ProxyServer two = ProxyServer.start(ProxyFixtures.config(redis.servers(), 2).build());
        Jedis watching = new Jedis("127.0.0.1", two.port(), 30_000);
        Jedis admin = new Jedis("127.0.0.1", two.port(), 60_000)) {
      List<Jedis> clients = new java.util.ArrayList<>();
      try {
        assertThat(reply(watching, "WATCH", "{r0}.n")).isEqualTo("OK");
        assertThat(reply(watching, "MULTI")).isEqualTo("OK");
        assertThat(reply(watching, "INCR", "{r0}.n")).isEqualTo("QUEUED");
        for (int i = 0; i < n; i++) {
          Jedis c = new Jedis("127.0.0.1", two.port(), 30_000);
          clients.add(c);
          assertThat(reply(c, "MULTI")).isEqualTo("OK");
          // the transaction opens on the backend of its tag
          assertThat(reply(c, "INCR", "{r" + i + "}.n")).isEqualTo("QUEUED");
        }
        // label 9: the ring gives it a quarter of these tags (labels 2 to 5 get none of them)
        assertThat(ring(admin, "ADD", "9", redis.server(2).address())).isEqualTo("OK");
        for (int i = 0; i < n; i++) {
          Jedis c = clients.get(i);
          assertThat(reply(c, "INCR", "{r" + i + "}.n")).isEqualTo("QUEUED");
          assertThat(reply(c, "EXEC")).isEqualTo("[1, 2]");
        }
        // a watched transaction opened before the change answers nil, as if its key had changed
        assertThat(reply(watching, "EXEC")).isEqualTo("null");
      } finally {
        clients.forEach(Jedis::close);
      }
      int[] holders = new int[3];
      for (int i = 0; i < n; i++) {
        int on = 0;
        for (int id = 0; id < 3; id++) {
          try (Jedis direct = redis.server(id).client()) {
            if ("2".equals(direct.get("{r" + i + "}.n"))) {
              on++;
              holders[id]++;
            }
          }
        }
        assertThat(on).as("backends holding {r%d}.n = 2", i).isEqualTo(1);
        assertThat(admin.get("{r" + i + "}.n")).as("{r%d}.n through the proxy", i).isEqualTo("2");
      }
      assertThat(holders[2]).as("transactions whose keys moved to the new backend").isPositive();
    }
  }
}
