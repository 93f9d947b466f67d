package io.ringlb.proxy;

import io.ringlb.core.HashTag;
import io.ringlb.core.Placement;
import io.ringlb.placement.Placements;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Supplier;

/**
 * The ring's changes in order ({@code id} added, {@code ~id} removed) with the placement and hash
 * tag keys are routed by: an immutable value that replays into the placement of any point of the
 * history (layouts such as slots depend on the order), and plans the next change.
 */
final class RingHistory {

  /**
   * A change planned on a history: the history it leads to, who owns each key before and after, the
   * old owners whose keys move, and per old owner the fraction of its hash space that moves.
   */
  record Change(
      RingHistory next, Placement previous, Placement current, int[] sources, double[] fractions) {}

  private final String placementName;

  /** The tag keys are routed on, or null when they are routed on all their bytes. */
  private final HashTag hashTag;

  private final Supplier<Placement> placements;
  private final List<Integer> ops;

  private RingHistory(
      String placementName, HashTag hashTag, Supplier<Placement> placements, List<Integer> ops) {
    this.placementName = placementName;
    this.hashTag = hashTag;
    this.placements = placements;
    this.ops = List.copyOf(ops);
  }

  /** Returns the history {@code ops} under placement {@code placementName} and {@code hashTag}. */
  static RingHistory of(String placementName, HashTag hashTag, List<Integer> ops) {
    // The configuration and the state file have checked the name; each call makes an empty one.
    Supplier<Placement> placements =
        hashTag == null
            ? () -> Placements.forStore(placementName)
            : () -> hashTag.on(Placements.forStore(placementName));
    return new RingHistory(placementName, hashTag, placements, ops);
  }

  /**
   * The history at startup: the one {@code state} records (read from {@code path}), or else the
   * configured backends, added in ascending order.
   *
   * @throws IOException if the configuration asks for another hash tag than the state records
   */
  static RingHistory startingFrom(ProxyConfig config, StateFile.State state, Path path)
      throws IOException {
    if (state == null) {
      String placement = config.placement() != null ? config.placement() : "seed";
      HashTag tag = config.hashTag() != null ? HashTag.parse(config.hashTag()) : HashTag.BRACES;
      return of(placement, tag, new ArrayList<>(config.backends().keySet()));
    }
    HashTag tag = state.hashTag();
    if (config.hashTag() != null && !Objects.equals(HashTag.parse(config.hashTag()), tag)) {
      throw new IOException(
          path
              + " records keys routed with hash tag "
              + describe(tag)
              + ", but the configuration asks for "
              + config.hashTag()
              + "; keys already stored would be looked for on the wrong backends. Set hash-tag to "
              + describe(tag)
              + " or leave it out");
    }
    return of(state.placement(), tag, state.history());
  }

  private static String describe(HashTag tag) {
    return tag == null ? "none" : tag.toString();
  }

  String placementName() {
    return placementName;
  }

  /** Returns the hash tag keys are routed on, or null. */
  HashTag hashTag() {
    return hashTag;
  }

  /** The changes in order, unmodifiable. */
  List<Integer> ops() {
    return ops;
  }

  /** Returns the ids present after every change, ascending. */
  int[] ids() {
    TreeSet<Integer> ids = new TreeSet<>();
    for (int op : ops) {
      if (op >= 0) {
        ids.add(op);
      } else {
        ids.remove(~op);
      }
    }
    return ids.stream().mapToInt(Integer::intValue).toArray();
  }

  /** Returns this history without its last change. */
  RingHistory beforeLast() {
    return with(ops.subList(0, ops.size() - 1));
  }

  /** Builds the placement by replaying the changes in order; a new one on every call. */
  Placement placement() {
    Placement p = placements.get();
    for (int op : ops) {
      if (op >= 0) {
        p.addServer(op, Placement.MoveListener.NONE);
      } else {
        p.removeServer(~op, Placement.MoveListener.NONE);
      }
    }
    return p;
  }

  /**
   * Plans adding backend {@code id}.
   *
   * @throws RingException if the placement would also move keys between other servers
   */
  Change adding(int id) {
    Placement previous = placement();
    Placement current = placement();
    Map<Integer, Double> moving = new TreeMap<>();
    boolean[] foreign = {false};
    current.addServer(
        id,
        new Placement.MoveListener() {
          @Override
          public void moved(int from, int to, int lo, int hi) {
            double width =
                (Integer.toUnsignedLong(hi) - Integer.toUnsignedLong(lo) + 1) / 4294967296.0;
            moving.merge(from, width, Double::sum);
            foreign[0] |= to != id;
          }

          @Override
          public void reassigned() {
            foreign[0] = true;
          }
        });
    if (foreign[0]) {
      throw RingException.rejected(notStarShaped("adding", id));
    }
    RingHistory next = plus(id);
    int members = next.ids().length;
    int[] sources = moving.keySet().stream().mapToInt(Integer::intValue).toArray();
    double[] fractions = new double[sources.length];
    for (int i = 0; i < sources.length; i++) {
      double width = moving.get(sources[i]);
      double share = previous.share(sources[i]);
      fractions[i] = Double.isNaN(width) || share <= 0 ? 1.0 / members : Math.min(1, width / share);
    }
    return new Change(next, previous, current, sources, fractions);
  }

  /**
   * Plans removing backend {@code id}: all of its keys move.
   *
   * @throws RingException if the placement would also move keys between the servers that stay
   */
  Change removing(int id) {
    Placement previous = placement();
    Placement current = placement();
    boolean[] foreign = {false};
    current.removeServer(
        id,
        new Placement.MoveListener() {
          @Override
          public void moved(int from, int to, int lo, int hi) {
            foreign[0] |= from != id;
          }

          @Override
          public void reassigned() {
            foreign[0] = true;
          }
        });
    if (foreign[0]) {
      throw RingException.rejected(notStarShaped("removing", id));
    }
    return new Change(plus(~id), previous, current, new int[] {id}, new double[] {1});
  }

  /**
   * The migration to {@code server} that the last change of this history started, planned again
   * after a restart; the fractions moving are estimated evenly.
   */
  Change resuming(Migration.Kind kind, int server) {
    RingHistory before = beforeLast();
    int[] sources = kind == Migration.Kind.REMOVE ? new int[] {server} : before.ids();
    double[] fractions = new double[sources.length];
    Arrays.fill(fractions, 1.0 / Math.max(1, ids().length));
    return new Change(this, before.placement(), placement(), sources, fractions);
  }

  /**
   * The migration that undoes the last change of {@code undone} (RING ABORT), this history being
   * {@code undone} without it, planned again after a restart: keys move from the owners under
   * {@code undone} back to those under this history.
   */
  Change resumingUndo(Migration.Kind kind, int server, RingHistory undone) {
    int[] sources =
        kind == Migration.Kind.REMOVE
            ? new int[] {server}
            : Arrays.stream(undone.ids()).filter(id -> id != server).toArray();
    double[] fractions = new double[sources.length];
    Arrays.fill(fractions, 1.0 / Math.max(1, ids().length));
    return new Change(this, undone.placement(), placement(), sources, fractions);
  }

  /** Returns the history {@code ops} under this one's placement and hash tag. */
  RingHistory withOps(List<Integer> changes) {
    return with(changes);
  }

  private RingHistory plus(int op) {
    List<Integer> next = new ArrayList<>(ops);
    next.add(op);
    return with(next);
  }

  private RingHistory with(List<Integer> changes) {
    return new RingHistory(placementName, hashTag, placements, changes);
  }

  /**
   * The proxy moves keys with MIGRATE, which blocks the source redis-server until the target
   * answers: two servers migrating to each other at once would wait for each other. A change whose
   * keys all go to the joining server (or all come from the leaving one) cannot form such a cycle;
   * the others are refused.
   */
  private String notStarShaped(String doing, int id) {
    return "placement '"
        + placementName
        + "' moves keys between other servers when "
        + doing
        + " backend "
        + id
        + "; the proxy only moves keys to a joining or from a leaving backend"
        + " (see docs/ARCHITECTURE.md)";
  }
}
