package io.ringlb.placement;

/** Preconditions shared by the strategies; each message names the value and the problem. */
final class Require {

  private Require() {}

  /** Checks an id and weight for {@code addServer}. */
  static void newServer(int serverId, int weight, boolean present) {
    if (serverId < 0) {
      throw new IllegalArgumentException("server id must not be negative: " + serverId);
    }
    if (present) {
      throw new IllegalArgumentException("server " + serverId + " is already present");
    }
    if (weight <= 0) {
      throw new IllegalArgumentException("weight must be positive: " + weight);
    }
  }

  /** Checks that a strategy without weights was given weight 1. */
  static void unweighted(String strategy, int weight) {
    if (weight != 1) {
      throw new IllegalArgumentException(
          strategy + " does not support server weights (weight " + weight + ", expected 1)");
    }
  }

  /** Checks that {@code serverId} is present, for {@code removeServer}. */
  static void present(int serverId, boolean present) {
    if (!present) {
      throw new IllegalArgumentException("server " + serverId + " is not present");
    }
  }
}
