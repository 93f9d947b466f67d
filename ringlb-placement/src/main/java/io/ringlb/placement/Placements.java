package io.ringlb.placement;

import io.ringlb.core.HashRing;
import io.ringlb.core.Placement;
import java.math.BigDecimal;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.function.IntFunction;

/**
 * Creates placement strategies from the specs the command line takes, such as {@code ring:160} or
 * {@code bounded:0.25}.
 *
 * <p>A spec is a strategy name, optionally followed by {@code :} and parameters:
 *
 * <table>
 *   <caption>Strategies</caption>
 *   <tr><th>spec</th><th>strategy</th></tr>
 *   <tr><td>{@code seed}</td><td>the original ring: 3 labels, djb2 keys (ids 0..99999)</td></tr>
 *   <tr><td>{@code ring[:labels]}</td><td>ring with 64-bit XXH3 label positions, default 160</td></tr>
 *   <tr><td>{@code ketama[:libketama|twemproxy]}</td><td>MD5 ketama, 160 points per server</td></tr>
 *   <tr><td>{@code jump}</td><td>jump consistent hash (simulator only)</td></tr>
 *   <tr><td>{@code rendezvous}</td><td>highest random weight</td></tr>
 *   <tr><td>{@code maglev[:size]}</td><td>Maglev lookup table of prime size, default 65537</td></tr>
 *   <tr><td>{@code bounded[:epsilon[:labels]]}</td><td>bounded loads, default 0.25 (simulator
 *       only)</td></tr>
 *   <tr><td>{@code multiprobe[:probes]}</td><td>multi-probe, default 21 probes</td></tr>
 *   <tr><td>{@code memento}</td><td>MementoHash</td></tr>
 *   <tr><td>{@code slots[:count]}</td><td>fixed hash slots with a balancing claim, default
 *       65536</td></tr>
 * </table>
 */
public final class Placements {

  /** The strategy names, in the order the simulator shows them by default. */
  private static final List<String> NAMES =
      List.of(
          "seed",
          "ring",
          "ketama",
          "jump",
          "rendezvous",
          "maglev",
          "bounded",
          "multiprobe",
          "memento",
          "slots");

  /** The default labels per server of {@code ring}. */
  static final int DEFAULT_RING_LABELS = 160;

  private static final String SPECS =
      "seed, ring[:labels], ketama[:libketama|twemproxy], jump, rendezvous, maglev[:prime table"
          + " size], bounded[:epsilon[:labels]], multiprobe[:probes], memento, slots[:power of two]";

  private Placements() {}

  /** Returns the strategy names, in the simulator's default order. */
  public static List<String> names() {
    return NAMES;
  }

  /** Returns a one-line summary of every spec the factory accepts, for help and error texts. */
  public static String specs() {
    return SPECS;
  }

  /**
   * Returns a new, empty placement for {@code spec}; ketama names servers by their decimal id.
   *
   * @throws IllegalArgumentException naming the spec and the valid ones if it is not valid
   */
  public static Placement byName(String spec) {
    return byName(spec, String::valueOf);
  }

  /**
   * Returns a new, empty placement for {@code spec}, with ketama naming each server by {@code
   * serverNames} (e.g. {@code host:port}, to place keys as twemproxy or a memcached client would).
   *
   * @throws IllegalArgumentException naming the spec and the valid ones if it is not valid
   */
  public static Placement byName(String spec, IntFunction<String> serverNames) {
    Objects.requireNonNull(serverNames, "serverNames");
    if (spec == null || spec.isBlank()) {
      throw new IllegalArgumentException("placement must not be empty; valid: " + SPECS);
    }
    String[] parts = spec.trim().split(":", -1);
    String name = parts[0].toLowerCase(Locale.ROOT);
    try {
      switch (name) {
        case "seed":
          arity(spec, parts, 0);
          return HashRing.seed();
        case "ring":
          arity(spec, parts, 1);
          return ring(parts.length > 1 ? integer(parts[1], "labels") : DEFAULT_RING_LABELS);
        case "ketama":
          arity(spec, parts, 1);
          return new KetamaPlacement(ketamaFlavor(parts), serverNames);
        case "jump":
          arity(spec, parts, 0);
          return new JumpPlacement();
        case "rendezvous":
          arity(spec, parts, 0);
          return new RendezvousPlacement();
        case "maglev":
          arity(spec, parts, 1);
          return new MaglevPlacement(
              parts.length > 1
                  ? integer(parts[1], "table size")
                  : MaglevPlacement.DEFAULT_TABLE_SIZE);
        case "bounded":
          arity(spec, parts, 2);
          return new BoundedLoadPlacement(
              parts.length > 1
                  ? decimal(parts[1], "epsilon")
                  : BoundedLoadPlacement.DEFAULT_EPSILON,
              parts.length > 2 ? integer(parts[2], "labels") : BoundedLoadPlacement.DEFAULT_LABELS);
        case "multiprobe":
          arity(spec, parts, 1);
          return new MultiProbePlacement(
              parts.length > 1 ? integer(parts[1], "probes") : MultiProbePlacement.DEFAULT_PROBES);
        case "memento":
          arity(spec, parts, 0);
          return new MementoPlacement();
        case "slots":
          arity(spec, parts, 1);
          return new SlotPlacement(
              parts.length > 1 ? integer(parts[1], "slot count") : SlotPlacement.DEFAULT_SLOTS);
        default:
          throw new IllegalArgumentException(
              "unknown placement '" + spec.trim() + "'; valid: " + SPECS);
      }
    } catch (IllegalArgumentException e) {
      if (e.getMessage() != null && e.getMessage().startsWith("unknown placement")) {
        throw e;
      }
      throw new IllegalArgumentException(
          "invalid placement '" + spec.trim() + "': " + e.getMessage(), e);
    }
  }

  /**
   * Returns the placement for {@code spec} if it can hold a store ({@code ringlb run}, {@code
   * ringlb serve}): every key's owner a function of its hash, and any server removable.
   *
   * @throws IllegalArgumentException if the spec is invalid, or names {@code jump} or {@code
   *     bounded}, with a message saying why
   */
  public static Placement forStore(String spec, IntFunction<String> serverNames) {
    Placement placement = byName(spec, serverNames);
    if (placement instanceof JumpPlacement) {
      throw new IllegalArgumentException(
          "placement 'jump' cannot hold a store: jump hashing can only remove the most recently"
              + " added server, so any other server could never leave; compare it with 'ringlb"
              + " simulate', or use memento (jump's speed with arbitrary removals)");
    }
    if (placement instanceof BoundedLoadPlacement) {
      throw new IllegalArgumentException(
          "placement '"
              + spec.trim()
              + "' cannot hold a store: with bounded loads a key's server depends on the load of"
              + " every server when the key arrived, not on the key alone; compare it with 'ringlb"
              + " simulate'");
    }
    return placement;
  }

  /** Returns {@link #forStore(String, IntFunction)} with servers named by their decimal id. */
  public static Placement forStore(String spec) {
    return forStore(spec, String::valueOf);
  }

  /**
   * Returns a ketama placement (160 points per unit of weight) naming servers with {@code
   * serverNames}, e.g. {@code id -> "10.0.1." + id + ":11211"}.
   */
  public static Placement ketama(IntFunction<String> serverNames) {
    return new KetamaPlacement(KetamaPlacement.Flavor.FIXED, serverNames);
  }

  /**
   * Returns the name twemproxy gives a server {@code host:port:weight} without an explicit name,
   * for ketama: {@code host:port}, or {@code host} alone when the port is 11211 (libmemcached's
   * convention).
   */
  public static String twemproxyName(String host, int port) {
    Objects.requireNonNull(host, "host");
    return port == 11211 ? host : host + ":" + port;
  }

  /** Returns a ring of {@code labels} labels per unit of weight at 64-bit XXH3 positions. */
  public static Placement ring(int labels) {
    if (labels < 1 || labels > 100_000) {
      throw new IllegalArgumentException("ring labels must be between 1 and 100000: " + labels);
    }
    return ringOf("ring:" + labels, labels);
  }

  /** Returns a ring whose label {@code r} of server {@code s} is at the high half of XXH3(s, r). */
  static HashRing ringOf(String name, int labels) {
    return HashRing.create(
        name,
        Hash64.xxh3Keys(),
        (serverId, weight) -> {
          long count = (long) labels * weight;
          if (count > 10_000_000) {
            throw new IllegalArgumentException(
                "labels times weight must not exceed 10000000: " + labels + " * " + weight);
          }
          int[] points = new int[(int) count];
          for (int r = 0; r < count; r++) {
            points[r] = Hash64.high(Hash64.pair(serverId, r));
          }
          return points;
        });
  }

  private static KetamaPlacement.Flavor ketamaFlavor(String[] parts) {
    if (parts.length == 1) {
      return KetamaPlacement.Flavor.FIXED;
    }
    switch (parts[1].toLowerCase(Locale.ROOT)) {
      case "libketama":
        return KetamaPlacement.Flavor.LIBKETAMA;
      case "twemproxy":
        return KetamaPlacement.Flavor.TWEMPROXY;
      default:
        throw new IllegalArgumentException(
            "ketama flavor must be libketama or twemproxy: '" + parts[1] + "'");
    }
  }

  private static void arity(String spec, String[] parts, int maxParameters) {
    if (parts.length - 1 > maxParameters) {
      throw new IllegalArgumentException(
          parts[0]
              + (maxParameters == 0
                  ? " takes no parameter"
                  : " takes at most " + maxParameters + " parameter(s)"));
    }
  }

  private static int integer(String text, String what) {
    try {
      return Integer.parseInt(text.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(what + " must be an integer: '" + text + "'");
    }
  }

  private static double decimal(String text, String what) {
    try {
      double value = Double.parseDouble(text.trim());
      if (Double.isNaN(value) || Double.isInfinite(value)) {
        throw new NumberFormatException();
      }
      return value;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(what + " must be a number: '" + text + "'");
    }
  }

  /** Formats a decimal without exponent or trailing zeros, for canonical specs. */
  static String decimal(double value) {
    return BigDecimal.valueOf(value).stripTrailingZeros().toPlainString();
  }

  /**
   * Looks up every hash of {@code hashes} {@code repeat} times through a loop bound to {@code p}'s
   * own class, so that a measurement times that strategy's lookup and not a call site shared by
   * several; returns the sum of the owners, for the caller to consume.
   */
  public static long lookupLoop(Placement p, int[] hashes, int repeat) {
    return LookupLoops.run(p, hashes, repeat);
  }

  /**
   * Returns whether {@code p} can hold a store ({@code ringlb run}, {@code serve}): it reports the
   * hash ranges or servers whose keys move when a server joins or leaves.
   */
  public static boolean canHoldStore(Placement p) {
    return !(p instanceof JumpPlacement || p instanceof BoundedLoadPlacement);
  }
}
