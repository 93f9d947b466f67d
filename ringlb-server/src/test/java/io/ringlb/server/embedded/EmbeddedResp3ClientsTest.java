package io.ringlb.server.embedded;

import io.ringlb.core.HashRing;
import io.ringlb.server.Resp3ClientsContract;
import io.ringlb.server.RespServer;
import io.ringlb.server.ServerConfig;

/** RESP3 clients (Lettuce, Jedis) against a real embedded server on loopback. */
class EmbeddedResp3ClientsTest extends Resp3ClientsContract {

  private RespServer server;

  @Override
  protected int startServer() throws Exception {
    server =
        RespServer.start(
            ServerConfig.defaults().withPort(0), EmbeddedBackend.create(HashRing.seed(), 0, 1, 2));
    return server.address().getPort();
  }

  @Override
  protected void stopServer() {
    server.close();
  }
}
