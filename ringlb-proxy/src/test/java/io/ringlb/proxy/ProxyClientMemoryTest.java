package io.ringlb.proxy;

import io.ringlb.server.testing.RedisServersExtension;
import io.ringlb.server.testing.UnreadReplies;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Clients that pipeline GETs of a large value and never read, against the proxy over real
 * redis-servers with a small {@code maxmemory-clients}: the proxy fetches the replies from its
 * backends and holds them for the clients.
 */
@Timeout(120)
class ProxyClientMemoryTest {

  @RegisterExtension
  static final RedisServersExtension redis = RedisServersExtension.servers(2).flushBeforeEachTest();

  private static ProxyServer start() throws Exception {
    // A request timeout no loaded machine reaches: every GET gets its value, none an error.
    return ProxyServer.start(
        ProxyFixtures.config(redis.servers(), 2)
            .requestTimeout(Duration.ofSeconds(120))
            .maxMemoryClients(UnreadReplies.LIMIT)
            .build());
  }

  @Test
  void overTheLimit_theLargestIsDisconnectedFirst_othersServed_memoryGivenBack() throws Exception {
    try (ProxyServer proxy = start()) {
      UnreadReplies.largestIsDisconnectedFirst(proxy.port());
    }
  }

  @Test
  void aClientThatDoesNotRead_itsRequestsAreNotSentUntilItReads() throws Exception {
    try (ProxyServer proxy = start()) {
      UnreadReplies.requestsWaitForAClientThatDoesNotRead(proxy.port());
    }
  }

  @Test
  void eightClientsThatNeverRead_boundedTogether_othersServed() throws Exception {
    try (ProxyServer proxy = start()) {
      UnreadReplies.manyNonReadingClients(proxy.port(), 8);
    }
  }
}
