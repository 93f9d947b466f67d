package io.ringlb.core;

import java.util.List;

/**
 * Observes a {@link LoadBalancer}'s topology changes and the keys each one moved, told once per
 * change after its keys have moved; a balancer without a listener counts nothing more than it
 * returns.
 */
public interface TopologyListener {

  /** Server {@code serverId} joined; {@code flows} are the keys that changed owner. */
  void serverAdded(int serverId, List<Flow> flows);

  /** Server {@code serverId} left; {@code flows} are the keys that changed owner. */
  void serverRemoved(int serverId, List<Flow> flows);

  /**
   * {@code keys} keys (at least one) moved from {@code fromServer} to {@code toServer} in one
   * change; a change lists each pair of servers once, ordered by {@code fromServer} then {@code
   * toServer}.
   */
  record Flow(int fromServer, int toServer, long keys) {

    /** Checks that the flow moves keys between two servers. */
    public Flow {
      if (keys <= 0) {
        throw new IllegalArgumentException("a flow moves at least one key: " + keys);
      }
      if (fromServer == toServer) {
        throw new IllegalArgumentException("a flow moves keys between two servers: " + fromServer);
      }
    }
  }
}
