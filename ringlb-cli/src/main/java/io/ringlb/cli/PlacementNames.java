package io.ringlb.cli;

import io.ringlb.core.HashRing;
import io.ringlb.core.Placement;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The one place where a {@code --placement} name becomes a {@link Placement}; a new strategy is
 * one more line in {@link #FACTORIES}.
 */
final class PlacementNames {

  /** Default placement of {@code ringlb serve} and {@code ringlb run}. */
  static final String DEFAULT = "seed";

  private static final Map<String, Supplier<Placement>> FACTORIES = new LinkedHashMap<>();

  static {
    FACTORIES.put("seed", HashRing::seed);
  }

  private PlacementNames() {}

  /**
   * Returns a new, empty placement named {@code name}.
   *
   * @throws IllegalArgumentException naming the input and the known names when it is unknown
   */
  static Placement create(String name) {
    Supplier<Placement> factory = FACTORIES.get(name);
    if (factory == null) {
      throw new IllegalArgumentException("unknown placement '" + name + "' (known: "
          + String.join(", ", FACTORIES.keySet()) + ")");
    }
    return factory.get();
  }
}
