package io.ringlb.server.embedded;

import io.ringlb.core.HashRing;
import io.ringlb.server.ClientLibrariesContract;
import io.ringlb.server.RespServer;
import io.ringlb.server.ServerConfig;

/** Lettuce and Jedis, in RESP2 and RESP3, against a real embedded server on loopback. */
class EmbeddedClientLibrariesTest extends ClientLibrariesContract {

  private RespServer server;

  @Override
  protected int startServer() throws Exception {
    server =
        RespServer.start(
            ServerConfig.defaults().withPort(0), EmbeddedBackend.create(HashRing.seed(), 0, 1, 2));
    return server.address().getPort();
  }

  @Override
  protected boolean servesLists() {
    return false;
  }

  @Override
  protected void stopServer() {
    server.close();
  }
}
