package io.ringlb.proxy;

import io.ringlb.server.ClientLibrariesContract;
import io.ringlb.server.testing.RedisServersExtension;
import java.util.function.Supplier;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Lettuce and Jedis, in RESP2 and RESP3, through the proxy over three real redis-servers: a RESP3
 * client's requests go over backend connections that said HELLO 3, replies pass through as
 * redis-server wrote them, and a blocking pop holds a backend connection of its own.
 */
class ProxyClientLibrariesTest extends ClientLibrariesContract {

  @RegisterExtension static final RedisServersExtension redis = RedisServersExtension.servers(3);

  private static final Supplier<ProxyServer> proxy =
      redis.front(servers -> ProxyServer.start(ProxyFixtures.config(servers, 3).build()));

  @Override
  protected int startServer() {
    return proxy.get().port();
  }

  @Override
  protected boolean servesLists() {
    return true;
  }

  @Override
  protected void stopServer() {
    // the extension closes the proxy after the class
  }
}
