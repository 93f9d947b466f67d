package io.ringlb.server.embedded;

import io.ringlb.core.HashRing;
import io.ringlb.server.RespServer;
import io.ringlb.server.ServerConfig;
import io.ringlb.server.testing.UnreadReplies;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Clients that pipeline GETs of a large value and never read, against the embedded server over real
 * sockets with a small {@code maxmemory-clients}.
 */
@Timeout(120)
class ClientMemoryTest {

  private RespServer server;

  @BeforeEach
  void start() throws Exception {
    server =
        RespServer.start(
            ServerConfig.defaults().withPort(0).withMaxMemoryClients(UnreadReplies.LIMIT),
            EmbeddedBackend.create(HashRing.seed(), 0, 1, 2));
  }

  @AfterEach
  void stop() {
    server.close();
  }

  @Test
  void overTheLimit_theLargestIsDisconnectedFirst_othersServed_memoryGivenBack() throws Exception {
    UnreadReplies.largestIsDisconnectedFirst(server.address().getPort());
  }

  @Test
  void noEvictClient_isLeftOut_theOtherIsDisconnected() throws Exception {
    UnreadReplies.noEvictClientIsLeftOut(server.address().getPort());
  }

  @Test
  void aClientThatDoesNotRead_itsRequestsWaitUntilItReads() throws Exception {
    UnreadReplies.requestsWaitForAClientThatDoesNotRead(server.address().getPort());
  }

  @Test
  void eightClientsThatNeverRead_boundedTogether_othersServed() throws Exception {
    UnreadReplies.manyNonReadingClients(server.address().getPort(), 8);
  }
}
