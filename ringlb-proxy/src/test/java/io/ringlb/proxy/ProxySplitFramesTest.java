package io.ringlb.proxy;

import io.ringlb.server.DataSide;
import io.ringlb.server.SplitFramesContract;
import io.ringlb.server.testing.RedisServersExtension;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The frame-splitting contract over the proxy's data side, on three real redis-servers: the proxy
 * answers once its backends have, on the connection's event loop.
 */
class ProxySplitFramesTest extends SplitFramesContract {

  @RegisterExtension static final RedisServersExtension redis = RedisServersExtension.servers(3);

  @Override
  protected DataSide newDataSide() {
    return new ProxyDataSide(ProxyFixtures.config(redis.servers(), 3).build());
  }

  @Override
  protected boolean onEventLoop() {
    return true;
  }
}
