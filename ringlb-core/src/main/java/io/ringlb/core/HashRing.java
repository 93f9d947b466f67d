package io.ringlb.core;

import java.util.Arrays;
import java.util.Objects;
import java.util.TreeMap;

/**
 * A consistent-hashing ring: each server has labels at positions on a 32-bit circle, and a key is
 * owned by the first label at or after its hash, wrapping to the first label of the ring.
 *
 * <p>Label positions live in one sorted {@code int[]} (sign bit flipped, so a signed comparison
 * orders them as unsigned) beside a parallel {@code int[]} of server ids; the owner of a hash is
 * found through a lookup index (below), falling back to binary search. Labels are ordered by
 * (position, server id), so two servers landing on the same position are ordered deterministically.
 * Adding or removing a server merges or removes its labels in one pass over the arrays, without
 * sorting the rest again, and reports the arcs that changed owner as hash ranges.
 */
public final class HashRing implements Placement {

  /*
   * Lookup index. The circle is cut into 2^b equal buckets, 2^b being the first power of two at
   * or above the label count, and index[k] holds the first label whose position is at or after
   * the start of bucket k (index[2^b] = label count). The owner of a hash in bucket k is then
   * among labels index[k] .. index[k + 1], and that span holds about one label: a lookup is two
   * reads of the index and a scan of a label or two, with no data-dependent branches to
   * mispredict as a binary search over the whole ring has. A bucket holding many labels (when
   * positions cluster) is searched by bisection. The index is rebuilt, in O(buckets + labels),
   * whenever the labels change.
   */
  private static final int MAX_INDEX_BITS = 22;
  private static final int LINEAR_SPAN = 8;

  /** The largest server id of the original design: labels are {@code r * 100000 + id}. */
  public static final int SEED_MAX_SERVER_ID = 99_999;

  /** The number of labels per server of the original design. */
  public static final int SEED_LABELS = 3;

  private static final int FLIP = Integer.MIN_VALUE;

  private final String name;
  private final KeyHash keyHash;
  private final PointFunction pointFunction;

  /** Server id to its [weight, label count]. */
  private final TreeMap<Integer, int[]> members = new TreeMap<>();

  /** Label positions, ascending, each xor {@link #FLIP}. */
  private int[] positions = new int[0];

  /** Server id of each label. */
  private int[] owners = new int[0];

  /** The lookup index: first label at or after the start of each bucket, then the count. */
  private int[] index = {0, 0};

  /** 32 minus the number of index bits: a hash's bucket is {@code hash >>> indexShift}. */
  private int indexShift = 31;

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
    int index = labelIndexFor(keyHash);
    return index < 0 ? -1 : owners[index];
  }

  /**
   * Returns the index of the label owning {@code keyHash}: the first label whose position is at or
   * after it, or label 0 when there is none; -1 when the ring is empty.
   */
  public int labelIndexFor(int keyHash) {
    final int[] positions = this.positions;
    final int[] index = this.index;
    int n = positions.length;
    if (n == 0) {
      return -1;
    }
    int bucket = keyHash >>> indexShift;
    int lo = index[bucket];
    int hi = index[bucket + 1];
    int key = keyHash ^ FLIP;
    if (hi - lo <= LINEAR_SPAN) {
      while (lo < hi && positions[lo] < key) {
        lo++;
      }
    } else {
      while (lo < hi) {
        int mid = (lo + hi) >>> 1;
        if (positions[mid] < key) {
          lo = mid + 1;
        } else {
          hi = mid;
        }
      }
    }
    return lo == n ? 0 : lo;
  }

  /** Rebuilds the lookup index over the current labels. */
  private void rebuildIndex() {
    final int[] positions = this.positions;
    int n = positions.length;
    int bits = 1;
    while (bits < MAX_INDEX_BITS && (1 << bits) < n) {
      bits++;
    }
    int buckets = 1 << bits;
    int shift = 32 - bits;
    int[] index = new int[buckets + 1];
    int label = 0;
    for (int k = 0; k < buckets; k++) {
      while (label < n && ((positions[label] ^ FLIP) >>> shift) < k) {
        label++;
      }
      index[k] = label;
    }
    index[buckets] = n;
    this.index = index;
    this.indexShift = shift;
  }

  /** Returns the number of labels on the ring. */
  public int labelCount() {
    return positions.length;
  }

  /** Returns the unsigned position of label {@code index}, in ring order. */
  public int positionAt(int index) {
    return positions[index] ^ FLIP;
  }

  /** Returns the server id of label {@code index}, in ring order. */
  public int serverAt(int index) {
    return owners[index];
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
    int[] member = members.get(serverId);
    return member == null ? 0 : member[1];
  }

  @Override
  public double share(int serverId) {
    if (!members.containsKey(serverId)) {
      return 0;
    }
    long owned = 0;
    for (int i = 0; i < owners.length; i++) {
      if (owners[i] == serverId) {
        owned += arcLength(i);
      }
    }
    return owned / 4294967296.0;
  }

  /** Returns how many hashes label {@code index} owns. */
  private long arcLength(int index) {
    int n = positions.length;
    long here = Integer.toUnsignedLong(positions[index] ^ FLIP);
    if (index == 0) {
      long last = Integer.toUnsignedLong(positions[n - 1] ^ FLIP);
      return last == here ? 1L << 32 : (1L << 32) - last + here;
    }
    return here - Integer.toUnsignedLong(positions[index - 1] ^ FLIP);
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
    int[] points = pointFunction.points(serverId, weight).clone();
    if (points.length == 0) {
      throw new IllegalArgumentException("server " + serverId + " has no labels");
    }
    for (int i = 0; i < points.length; i++) {
      points[i] ^= FLIP;
    }
    Arrays.sort(points);

    // Merge the new labels into the sorted arrays in one pass; ties go by server id.
    int[] oldPositions = positions;
    int[] oldOwners = owners;
    int n = oldPositions.length;
    int k = points.length;
    int[] newPositions = new int[n + k];
    int[] newOwners = new int[n + k];
    boolean[] added = new boolean[n + k];
    int i = 0;
    int j = 0;
    int out = 0;
    while (i < n || j < k) {
      boolean takeNew =
          i == n
              || (j < k
                  && (points[j] < oldPositions[i]
                      || (points[j] == oldPositions[i] && serverId < oldOwners[i])));
      if (takeNew) {
        newPositions[out] = points[j++];
        newOwners[out] = serverId;
        added[out++] = true;
      } else {
        newPositions[out] = oldPositions[i];
        newOwners[out++] = oldOwners[i++];
      }
    }
    positions = newPositions;
    owners = newOwners;
    rebuildIndex();
    members.put(serverId, new int[] {weight, k});
    if (n > 0) {
      reportArcs(added, false, moves);
    }
  }

  @Override
  public void removeServer(int serverId, MoveListener moves) {
    int[] member = members.get(serverId);
    if (member == null) {
      throw new IllegalArgumentException("server " + serverId + " is not present");
    }
    int n = positions.length;
    boolean[] removed = new boolean[n];
    for (int i = 0; i < n; i++) {
      removed[i] = owners[i] == serverId;
    }
    // Arcs are computed on the ring before the change, then reported after it.
    Move[] pending = members.size() > 1 ? collectArcs(removed, true) : new Move[0];
    int m = n - member[1];
    int[] newPositions = new int[m];
    int[] newOwners = new int[m];
    for (int i = 0, out = 0; i < n; i++) {
      if (!removed[i]) {
        newPositions[out] = positions[i];
        newOwners[out++] = owners[i];
      }
    }
    positions = newPositions;
    owners = newOwners;
    rebuildIndex();
    members.remove(serverId);
    for (Move move : pending) {
      moves.moved(move.from, move.to, move.lo, move.hi);
    }
  }

  private void reportArcs(boolean[] changed, boolean leaving, MoveListener moves) {
    for (Move move : collectArcs(changed, leaving)) {
      moves.moved(move.from, move.to, move.lo, move.hi);
    }
  }

  /**
   * Collects the arcs of the {@code changed} labels with the server on the other side of the move:
   * for labels joining, the keys come from the next label that did not join; for labels leaving,
   * they go to the next label that does not leave. Adjacent arcs with the same endpoints merge.
   */
  private Move[] collectArcs(boolean[] changed, boolean leaving) {
    int n = positions.length;
    Move[] out = new Move[8];
    int count = 0;
    for (int i = 0; i < n; i++) {
      if (!changed[i]) {
        continue;
      }
      int next = (i + 1) % n;
      while (changed[next]) {
        next = (next + 1) % n;
      }
      int from = leaving ? owners[i] : owners[next];
      int to = leaving ? owners[next] : owners[i];
      int here = positions[i] ^ FLIP;
      int[][] ranges;
      if (i == 0) {
        int last = positions[n - 1] ^ FLIP;
        if (last == here) {
          ranges = new int[][] {{0, -1}};
        } else if (last == -1) {
          ranges = new int[][] {{0, here}};
        } else {
          ranges = new int[][] {{last + 1, -1}, {0, here}};
        }
      } else {
        int previous = positions[i - 1] ^ FLIP;
        if (previous == here) {
          continue;
        }
        ranges = new int[][] {{previous + 1, here}};
      }
      for (int[] range : ranges) {
        if (count > 0) {
          Move last = out[count - 1];
          if (last.from == from && last.to == to && last.hi + 1 == range[0] && last.hi != -1) {
            out[count - 1] = new Move(from, to, last.lo, range[1]);
            continue;
          }
        }
        if (count == out.length) {
          out = Arrays.copyOf(out, count * 2);
        }
        out[count++] = new Move(from, to, range[0], range[1]);
      }
    }
    return Arrays.copyOf(out, count);
  }

  @Override
  public String toString() {
    return name + " ring (" + members.size() + " servers, " + positions.length + " labels)";
  }

  private record Move(int from, int to, int lo, int hi) {}

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
