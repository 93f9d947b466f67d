package io.ringlb.proxy;

import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Where reads of one key go on Sentinel-managed shards: to the primary (the default), to a replica
 * Sentinel reports up when there is one ({@code replica-preferred}), or only to a replica ({@code
 * replica}); one mode for every shard, and per backend where one is given.
 *
 * @param all the mode of every Sentinel-managed shard without one of its own
 * @param backends the mode of the backends given one ({@code backends: {0: {master: shard0,
 *     read-from: replica}}})
 */
public record ReadFrom(Mode all, Map<Integer, Mode> backends) {

  /** The default: every read from the primary. */
  public static final ReadFrom PRIMARY = new ReadFrom(Mode.PRIMARY, Map.of());

  /** Where the reads of one shard go. */
  public enum Mode {
    /** Every command to the primary. */
    PRIMARY,
    /** Reads of one key to a replica that is up, else to the primary. */
    REPLICA_PREFERRED,
    /** Reads of one key to a replica that is up, else an error naming the shard. */
    REPLICA;

    /**
     * Parses {@code primary}, {@code replica-preferred} or {@code replica}, naming {@code what}.
     */
    public static Mode parse(String text, String what) {
      String t = text == null ? "" : text.trim().toLowerCase(Locale.ROOT);
      return switch (t) {
        case "primary" -> PRIMARY;
        case "replica-preferred" -> REPLICA_PREFERRED;
        case "replica" -> REPLICA;
        default ->
            throw new IllegalArgumentException(
                what + " must be primary, replica-preferred or replica, not '" + text + "'");
      };
    }

    @Override
    public String toString() {
      return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
  }

  /** Copies the per-backend modes. */
  public ReadFrom {
    Objects.requireNonNull(all, "read-from");
    backends = Map.copyOf(backends);
  }

  /** The mode of backend {@code id}. */
  public Mode of(int id) {
    return backends.getOrDefault(id, all);
  }

  /** Returns these settings with {@code m} for every shard without a mode of its own. */
  public ReadFrom withAll(Mode m) {
    return new ReadFrom(m, backends);
  }

  /** Returns these settings with {@code m} for backend {@code id}. */
  public ReadFrom withBackend(int id, Mode m) {
    Map<Integer, Mode> copy = new TreeMap<>(backends);
    copy.put(id, Objects.requireNonNull(m, "read-from"));
    return new ReadFrom(all, copy);
  }

  /** Returns these settings with {@code --read-from}'s {@code MODE} or {@code ID=MODE} applied. */
  public ReadFrom withOption(String text) {
    int eq = text.indexOf('=');
    if (eq < 0) {
      return withAll(Mode.parse(text, "--read-from"));
    }
    String where = "--read-from '" + text + "'";
    int id = BackendSpec.parseId(text.substring(0, eq), where);
    return withBackend(id, Mode.parse(text.substring(eq + 1), where));
  }

  /** Returns whether some shard reads from replicas. */
  public boolean fromReplicas() {
    return all != Mode.PRIMARY || backends.values().stream().anyMatch(m -> m != Mode.PRIMARY);
  }

  @Override
  public String toString() {
    return backends.isEmpty() ? all.toString() : all + " " + new TreeMap<>(backends);
  }
}
