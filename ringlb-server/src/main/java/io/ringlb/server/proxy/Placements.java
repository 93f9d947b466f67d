package io.ringlb.server.proxy;

import io.ringlb.core.HashRing;
import io.ringlb.core.Placement;
import java.util.List;
import java.util.function.Supplier;

/** Makes empty placements by the names the configuration uses. */
final class Placements {

  private Placements() {}

  /** The names {@link #factory} knows. */
  static List<String> names() {
    return List.of("seed");
  }

  /**
   * Returns a factory of empty placements named {@code name}.
   *
   * @throws IllegalArgumentException naming the known placements when {@code name} is not one
   */
  static Supplier<Placement> factory(String name) {
    if ("seed".equals(name)) {
      return HashRing::seed;
    }
    throw new IllegalArgumentException(
        "unknown placement '" + name + "' (known: " + String.join(", ", names()) + ")");
  }

  /**
   * Returns a factory of empty placements named {@code name} from {@code byName} (the CLI's
   * placement lookup), checking the name once now.
   */
  static Supplier<Placement> factory(String name,
      java.util.function.Function<String, Placement> byName) {
    if (byName == null) {
      return factory(name);
    }
    Placement first = byName.apply(name);
    if (!first.supportsArbitraryRemoval()) {
      throw new IllegalArgumentException("placement '" + name
          + "' cannot remove any server, so it cannot hold a store's keys");
    }
    return () -> byName.apply(name);
  }
}
