package io.ringlb.proxy;

import io.ringlb.server.Resp3ClientsContract;
import io.ringlb.server.testing.RedisServersExtension;
import java.util.function.Supplier;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * RESP3 clients (Lettuce, Jedis) through the proxy over three real redis-servers: their requests go
 * over backend connections that said HELLO 3, and the replies pass through as redis-server wrote
 * them.
 */
class ProxyResp3ClientsTest extends Resp3ClientsContract {

  @RegisterExtension static final RedisServersExtension redis = RedisServersExtension.servers(3);

  private static final Supplier<ProxyServer> proxy =
      redis.front(servers -> ProxyServer.start(ProxyFixtures.config(servers, 3).build()));

  @Override
  protected int startServer() {
    return proxy.get().port();
  }

  @Override
  protected void stopServer() {
    // the extension closes the proxy after the class
  }
}
