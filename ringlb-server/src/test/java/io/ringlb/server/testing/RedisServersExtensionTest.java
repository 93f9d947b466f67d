package io.ringlb.server.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisConnectionException;

/** Real redis-servers for a class: started, flushed, killed, restarted, frozen, stopped. */
@Timeout(60)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RedisServersExtensionTest {

  @RegisterExtension
  static final RedisServersExtension redis = RedisServersExtension.servers(2).flushBeforeEachTest();

  /** What the front saw when it started, and how often it was closed. */
  private static final AtomicInteger closed = new AtomicInteger();

  private static final Supplier<Front> front = redis.front(Front::over);

  private static List<RedisServer> first;

  /** Stands for a proxy: started over the servers, closed before they stop. */
  record Front(List<String> addresses) implements AutoCloseable {
    static Front over(List<RedisServer> servers) {
      return new Front(servers.stream().map(RedisServer::address).toList());
    }

    @Override
    public void close() {
      closed.incrementAndGet();
    }
  }

  @BeforeAll
  static void runningBeforeTheClassStarts() {
    first = List.copyOf(redis.servers());
    assertThat(first).hasSize(2).allMatch(RedisServer::isAlive);
    assertThat(front.get().addresses())
        .containsExactly(first.get(0).address(), first.get(1).address());
  }

  @AfterAll
  static void stillRunningInAfterAll() {
    assertThat(redis.servers()).allMatch(RedisServer::isAlive);
    assertThat(closed).hasValue(0);
  }

  @Test
  @Order(1)
  void servers_answerOnLoopbackAndPersistNothing() {
    for (RedisServer server : redis.servers()) {
      try (Jedis jedis = server.client()) {
        assertThat(jedis.ping()).isEqualTo("PONG");
        assertThat(jedis.configGet("save")).containsEntry("save", "");
        assertThat(jedis.configGet("appendonly")).containsEntry("appendonly", "no");
        assertThat(jedis.configGet("bind").get("bind")).isEqualTo("127.0.0.1");
        jedis.set("left-behind", "v");
      }
    }
    assertThat(redis.server(0).port()).isNotEqualTo(redis.server(1).port());
  }

  @Test
  @Order(2)
  void flushBeforeEachTest_emptiesEveryServer() {
    assertThat(redis.servers()).allSatisfy(s -> assertThat(s.dbsize()).isZero());
  }

  @Test
  @Order(3)
  void restart_killsAndStartsAnEmptyServerOnThePort() throws Exception {
    RedisServer old = redis.server(1);
    try (Jedis jedis = old.client()) {
      jedis.set("k", "v");
    }
    RedisServer fresh = redis.restart(old);
    assertThat(old.isAlive()).isFalse();
    assertThat(fresh.port()).isEqualTo(old.port());
    assertThat(fresh.dbsize()).isZero();
    assertThat(redis.server(1)).isSameAs(fresh);
    assertThatThrownBy(() -> redis.restart(old))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("not one of these servers");
  }

  @Test
  @Order(4)
  void pause_freezesUntilResumed() throws Exception {
    RedisServer server = redis.server(0);
    server.pause();
    try {
      assertThatThrownBy(
              () -> {
                try (Jedis jedis = new Jedis("127.0.0.1", server.port(), 300)) {
                  jedis.ping();
                }
              })
          .isInstanceOf(JedisConnectionException.class);
    } finally {
      server.resume();
    }
    assertThat(server.dbsize()).isZero();
  }

  @Test
  @Order(5)
  void start_addsOneMoreStoppedWithTheOthers() throws Exception {
    RedisServer extra = redis.start();
    assertThat(redis.servers()).hasSize(3).endsWith(extra);
    assertThat(extra.dbsize()).isZero();
    assertThatThrownBy(() -> RedisServersExtension.servers(0))
        .hasMessage("count must be positive: 0");
  }
}
