package io.ringlb.server;

import io.ringlb.server.testing.RedisServersExtension;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The client-library contract against a plain redis-server, the baseline: what the contract expects
 * of ringlb's data sides is what Redis answers these clients.
 */
class RedisServerClientLibrariesTest extends ClientLibrariesContract {

  @RegisterExtension
  static final RedisServersExtension redis = RedisServersExtension.servers(1).flushBeforeEachTest();

  @Override
  protected int startServer() {
    return redis.server(0).port();
  }

  @Override
  protected boolean servesLists() {
    return true;
  }

  @Override
  protected void stopServer() {
    // the extension stops the server after the class
  }
}
