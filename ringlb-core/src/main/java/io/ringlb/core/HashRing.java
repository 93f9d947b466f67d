package io.ringlb.core;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.TreeMap;

/**
 * A consistent-hashing ring: each server has labels at positions on a 32-bit circle, and a key is
 * owned by the first label at or after its hash, wrapping to the first label of the ring.
 *
 * <p>Labels are ordered by (position, server id), so two servers landing on the same position are
 * ordered deterministically. They live in a {@link LabelTable}, in buckets by position: the owner
 * of a hash is found by reading one bucket, and adding or removing a server changes the buckets of
 * its own labels and their neighbours only, in O(1) expected per label with positions spread as a
 * hash spreads them, then reports the arcs that changed owner as hash ranges. The methods that take
 * a label's index in ring order list the labels once after each change.
 */
public final class HashRing implements Placement {

  /** The largest server id of the original design: labels are {@code r * 100000 + id}. */
  public static final int SEED_MAX_SERVER_ID = 99_999;

  /** The number of labels per server of the original design. */
  public static final int SEED_LABELS = 3;

  private static final int FLIP = Integer.MIN_VALUE;

  private final String name;
  private final KeyHash keyHash;
  private final PointFunction pointFunction;

  /** Server id to its weight and its labels' cells, ascending. */
  private final TreeMap<Integer, Member> members = new TreeMap<>();

  /** The labels, in buckets by position: what lookups and topology changes read and change. */
  private final LabelTable labels = new LabelTable();

  /**
   * The labels in ring order, positions xor {@link #FLIP} and server ids side by side, for the
   * methods that take a label's index; built when first needed after a change, null until then.
   */
  private int[] positions;

  private int[] owners;

  private HashRing(String name, KeyHash keyHash, PointFunction pointFunction) {
    this.name = Objects.requireNonNull(name, "name");
    this.keyHash = Objects.requireNonNull(keyHash, "keyHash");
    this.pointFunction = Objects.requireNonNull(pointFunction, "pointFunction");
  }

  /** Returns the ring of the original design: three labels per server, djb2 keys, ids 0..99999. */
  public static HashRing seed() {
    return seed(SEED_LABELS, Hashes.djb2(), Hashes.seedLabel());
  }

  /**
   * Returns a ring labelled as the original design ({@code r * 100000 + id} for {@code r < labels},
   * positions by {@code labelHash}) with the given number of labels per server.
   */
  public static HashRing seed(int labels, KeyHash keyHash, LabelHash labelHash) {
    if (labels <= 0) {
      throw new IllegalArgumentException("labels per server must be positive: " + labels);
    }
    Objects.requireNonNull(labelHash, "labelHash");
    return new HashRing("seed", keyHash, new SeedPoints(labels, labelHash));
  }

  /** Returns a ring whose servers are placed at the positions {@code points} gives them. */
  public static HashRing create(String name, KeyHash keyHash, PointFunction points) {
    return new HashRing(name, keyHash, points);
  }

  /** Gives the ring positions of a server's labels. */
  @FunctionalInterface
  public interface PointFunction {

    /**
     * Returns the unsigned 32-bit positions of the labels of {@code serverId} with {@code weight}.
     *
     * @throws IllegalArgumentException if the id or weight is not supported
     */
    int[] points(int serverId, int weight);
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public int hashKey(byte[] key, int offset, int length) {
    return keyHash.hash(key, offset, length);
  }

  @Override
  public int serverFor(int keyHash) {
    long cell = labels.ceiling(keyHash);
    return cell == LabelTable.NONE ? -1 : LabelTable.server(cell);
  }

  /**
   * Returns the index of the label owning {@code keyHash}: the first label whose position is at or
   * after it, or label 0 when there is none; -1 when the ring is empty. The first call after a
   * change lists the labels in ring order, in O(labels).
   */
  public int labelIndexFor(int keyHash) {
    final int[] positions = ringOrder();
    int n = positions.length;
    if (n == 0) {
      return -1;
    }
    int key = keyHash ^ FLIP;
    int lo = 0;
    int hi = n;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (positions[mid] < key) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo == n ? 0 : lo;
  }

  /** Returns the positions in ring order (xor FLIP), listing the labels after a change. */
  private int[] ringOrder() {
    int[] positions = this.positions;
    if (positions == null) {
      long[] cells = labels.toArray();
      positions = new int[cells.length];
      int[] owners = new int[cells.length];
      for (int i = 0; i < cells.length; i++) {
        positions[i] = LabelTable.position(cells[i]) ^ FLIP;
        owners[i] = LabelTable.server(cells[i]);
      }
      this.owners = owners;
      this.positions = positions;
    }
    return positions;
  }

  /** Returns the number of labels on the ring. */
  public int labelCount() {
    return labels.size();
  }

  /** Returns the unsigned position of label {@code index}, in ring order. */
  public int positionAt(int index) {
    return ringOrder()[index] ^ FLIP;
  }

  /** Returns the server id of label {@code index}, in ring order. */
  public int serverAt(int index) {
    ringOrder();
    return owners[index];
  }

  /** Returns the index work done by topology changes so far, for tests: see {@link LabelTable}. */
  long indexWork() {
    return labels.work();
  }

  /** Returns the label table, for tests. */
  LabelTable labelTable() {
    return labels;
  }

  @Override
  public boolean contains(int serverId) {
    return members.containsKey(serverId);
  }

  @Override
  public int size() {
    return members.size();
  }

  @Override
  public int[] servers() {
    return members.keySet().stream().mapToInt(Integer::intValue).toArray();
  }

  @Override
  public int points(int serverId) {
    Member member = members.get(serverId);
    return member == null ? 0 : member.cells.length;
  }

  @Override
  public double share(int serverId) {
    Member member = members.get(serverId);
    if (member == null) {
      return 0;
    }
    long owned = 0;
    boolean[] wrapped = new boolean[1];
    long[] cells = member.cells;
    for (int i = 0; i < cells.length; i++) {
      if (i > 0 && cells[i] == cells[i - 1]) {
        continue; // a repeated label owns nothing: the one before it has the arc
      }
      long here = Integer.toUnsignedLong(LabelTable.position(cells[i]));
      long before =
          Integer.toUnsignedLong(LabelTable.position(labels.predecessor(cells[i], wrapped)));
      if (wrapped[0]) {
        owned += before == here ? 1L << 32 : (1L << 32) - before + here;
      } else {
        owned += here - before;
      }
    }
    return owned / 4294967296.0;
  }

  @Override
  public void addServer(int serverId, int weight, MoveListener moves) {
    if (serverId < 0) {
      throw new IllegalArgumentException("server id must not be negative: " + serverId);
    }
    if (members.containsKey(serverId)) {
      throw new IllegalArgumentException("server " + serverId + " is already present");
    }
    if (weight <= 0) {
      throw new IllegalArgumentException("weight must be positive: " + weight);
    }
    int[] points = pointFunction.points(serverId, weight);
    if (points.length == 0) {
      throw new IllegalArgumentException("server " + serverId + " has no labels");
    }
    long[] cells = new long[points.length];
    for (int i = 0; i < points.length; i++) {
      cells[i] = LabelTable.cell(points[i], serverId);
    }
    Arrays.sort(cells);
    boolean others = labels.size() > 0;
    for (long cell : cells) {
      labels.insert(cell);
    }
    positions = null;
    owners = null;
    members.put(serverId, new Member(weight, cells));
    if (others) {
      reportArcs(serverId, cells, false, moves);
    }
  }

  @Override
  public void removeServer(int serverId, MoveListener moves) {
    Member member = members.get(serverId);
    if (member == null) {
      throw new IllegalArgumentException("server " + serverId + " is not present");
    }
    // Arcs are computed on the ring before the change, then reported after it.
    List<Move> pending = members.size() > 1 ? collectArcs(serverId, member.cells, true) : List.of();
    for (long cell : member.cells) {
      labels.remove(cell);
    }
    positions = null;
    owners = null;
    members.remove(serverId);
    for (Move move : pending) {
      moves.moved(move.from, move.to, move.lo, move.hi);
    }
  }

  private void reportArcs(int serverId, long[] cells, boolean leaving, MoveListener moves) {
    for (Move move : collectArcs(serverId, cells, leaving)) {
      moves.moved(move.from, move.to, move.lo, move.hi);
    }
  }

  /**
   * Collects the arcs of the server's labels ({@code cells}, ascending, on the ring) with the
   * server on the other side of the move, in ring order: for labels joining, the keys come from the
   * next label of another server; for labels leaving, they go to it. Adjacent arcs with the same
   * endpoints merge.
   */
  private List<Move> collectArcs(int serverId, long[] cells, boolean leaving) {
    List<Move> out = new ArrayList<>();
    boolean[] wrapped = new boolean[1];
    for (int c = 0; c < cells.length; c++) {
      long cell = cells[c];
      if (c > 0 && cell == cells[c - 1]) {
        continue; // a repeated label owns nothing
      }
      int other = LabelTable.server(labels.nextOfOtherServer(cell, serverId));
      int from = leaving ? serverId : other;
      int to = leaving ? other : serverId;
      int here = LabelTable.position(cell);
      int before = LabelTable.position(labels.predecessor(cell, wrapped));
      int[][] ranges;
      if (wrapped[0]) {
        if (before == here) {
          ranges = new int[][] {{0, -1}};
        } else if (before == -1) {
          ranges = new int[][] {{0, here}};
        } else {
          ranges = new int[][] {{before + 1, -1}, {0, here}};
        }
      } else {
        if (before == here) {
          continue;
        }
        ranges = new int[][] {{before + 1, here}};
      }
      for (int[] range : ranges) {
        if (!out.isEmpty()) {
          Move last = out.get(out.size() - 1);
          if (last.from == from && last.to == to && last.hi + 1 == range[0] && last.hi != -1) {
            out.set(out.size() - 1, new Move(from, to, last.lo, range[1]));
            continue;
          }
        }
        out.add(new Move(from, to, range[0], range[1]));
      }
    }
    return out;
  }

  @Override
  public String toString() {
    return name + " ring (" + members.size() + " servers, " + labels.size() + " labels)";
  }

  private record Move(int from, int to, int lo, int hi) {}

  /** A server's weight and the cells of its labels, ascending. */
  private record Member(int weight, long[] cells) {}

  /** The label scheme of the original design. */
  private static final class SeedPoints implements PointFunction {
    private final int labels;
    private final LabelHash labelHash;

    SeedPoints(int labels, LabelHash labelHash) {
      this.labels = labels;
      this.labelHash = labelHash;
    }

    @Override
    public int[] points(int serverId, int weight) {
      if (serverId > SEED_MAX_SERVER_ID) {
        throw new IllegalArgumentException(
            "server id must be between 0 and " + SEED_MAX_SERVER_ID + ": " + serverId);
      }
      if (weight != 1) {
        throw new IllegalArgumentException("the seed ring does not support weights: " + weight);
      }
      int[] points = new int[labels];
      for (int r = 0; r < labels; r++) {
        points[r] = labelHash.hash(r * 100_000 + serverId);
      }
      return points;
    }
  }
}
