package io.ringlb.placement;

import io.ringlb.core.Placement;
import java.util.Arrays;
import java.util.TreeMap;

/**
 * Fixed hash slots with a balancing claim: the hash space is cut into {@code S} equal slots (a
 * power of two; a key's slot is the top bits of its hash) and a table gives each slot's server.
 * This is the partitioning of Dynamo's strategy 3 (DeCandia et al., 2007: "Q/S tokens per node,
 * equal-sized partitions"), of Redis Cluster's 16384 slots and of Riak's ring, with the claim made
 * deterministic.
 *
 * <p>Each server's target is its weighted share {@code S * w / sum(w)} of the slots. A joining
 * server takes its target, slot by slot from whichever server is then furthest above its own target
 * (ties to the lower id), each donor giving up its highest-numbered slots; a leaving server's slots
 * are counted out the same way to the servers furthest below their targets and handed over in
 * ascending runs. So a change moves keys only to the joining server or only from the leaving one,
 * as many as its share and no more, every server stays within one slot of its target, and a lookup
 * is one array read. Every slot is one hash range and moved slots stay in few contiguous runs, so a
 * change is reported as few ranges (about one per other server).
 *
 * <p>The table depends on the order of past changes, not only on the current servers (as with
 * {@link MementoPlacement}): replaying the same additions and removals rebuilds it exactly, and a
 * process that restarts must do that (or keep the table) rather than add its servers afresh.
 */
final class SlotPlacement implements Placement {

  /**
   * The default slot count: 4 times Redis Cluster's, within one slot of balance up to ~6500
   * servers.
   */
  static final int DEFAULT_SLOTS = 65_536;

  private final int slots;
  private final int shift;

  /** The server of each slot; replaced, never changed in place, so a reader sees one version. */
  private int[] table;

  /** Server id to its member record, ascending ids. */
  private final TreeMap<Integer, Member> members = new TreeMap<>();

  private long totalWeight;

  SlotPlacement(int slots) {
    if (slots < 2 || slots > (1 << 24) || Integer.bitCount(slots) != 1) {
      throw new IllegalArgumentException(
          "slot count must be a power of two between 2 and 16777216: " + slots);
    }
    this.slots = slots;
    this.shift = 32 - Integer.numberOfTrailingZeros(slots);
    this.table = new int[slots];
    Arrays.fill(table, -1);
  }

  @Override
  public String name() {
    return "slots:" + slots;
  }

  @Override
  public int hashKey(byte[] key, int offset, int length) {
    return Hash64.xxh3Keys().hash(key, offset, length);
  }

  @Override
  public int serverFor(int keyHash) {
    return table[keyHash >>> shift];
  }

  /** Returns the slot of {@code keyHash}. */
  int slotOf(int keyHash) {
    return keyHash >>> shift;
  }

  /** Returns the number of slots. */
  int slotCount() {
    return slots;
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
    Member m = members.get(serverId);
    return m == null ? 0 : m.count;
  }

  @Override
  public double share(int serverId) {
    return (double) points(serverId) / slots;
  }

  @Override
  public void addServer(int serverId, int weight, MoveListener moves) {
    Require.newServer(serverId, weight, contains(serverId));
    if (members.size() >= slots) {
      throw new IllegalArgumentException(
          "a table of " + slots + " slots cannot hold " + (members.size() + 1) + " servers");
    }
    Member joining = new Member(serverId, weight);
    if (members.isEmpty()) {
      int[] table = new int[slots];
      Arrays.fill(table, serverId);
      this.table = table;
      joining.count = slots;
      members.put(serverId, joining);
      totalWeight = weight;
      return;
    }
    Member[] donors = members.values().toArray(new Member[0]);
    totalWeight += weight;
    double perWeight = (double) slots / totalWeight;
    long target = Math.max(1, Math.round(weight * perWeight));
    // how many slots each donor gives: one at a time from the donor furthest above its new
    // target that can spare one, ties to the lower id
    for (long k = 0; k < target; k++) {
      Member donor = null;
      double excess = Double.NEGATIVE_INFINITY;
      for (Member m : donors) {
        double e = m.count - m.give - m.weight * perWeight;
        if (m.count - m.give > 1 && e > excess) {
          excess = e;
          donor = m;
        }
      }
      if (donor == null) {
        break;
      }
      donor.give++;
    }
    // each donor gives its highest slots, which keeps the moved slots in few contiguous runs
    int[] before = table;
    int[] table = before.clone();
    java.util.Map<Integer, Member> byId = new java.util.HashMap<>();
    for (Member m : donors) {
      byId.put(m.id, m);
    }
    for (int s = slots - 1; s >= 0; s--) {
      Member m = byId.get(table[s]);
      if (m.give > 0) {
        m.give--;
        m.count--;
        table[s] = serverId;
        joining.count++;
      }
    }
    members.put(serverId, joining);
    this.table = table;
    report(before, moves);
  }

  @Override
  public void removeServer(int serverId, MoveListener moves) {
    Member leaving = members.remove(serverId);
    Require.present(serverId, leaving != null);
    totalWeight -= leaving.weight;
    if (members.isEmpty()) {
      int[] table = new int[slots];
      Arrays.fill(table, -1);
      this.table = table;
      totalWeight = 0;
      return;
    }
    Member[] heirs = members.values().toArray(new Member[0]);
    double perWeight = (double) slots / totalWeight;
    // how many slots each heir takes: one at a time to the heir furthest below its new target,
    // ties to the lower id
    for (int k = 0; k < leaving.count; k++) {
      Member heir = heirs[0];
      double deficit = Double.NEGATIVE_INFINITY;
      for (Member m : heirs) {
        double d = m.weight * perWeight - (m.count + m.give);
        if (d > deficit) {
          deficit = d;
          heir = m;
        }
      }
      heir.give++;
    }
    // the leaving server's slots, in ascending order, go to the heirs in id order, in runs
    int[] before = table;
    int[] table = before.clone();
    int h = 0;
    for (int s = 0; s < slots; s++) {
      if (table[s] == serverId) {
        while (heirs[h].give == 0) {
          h++;
        }
        heirs[h].give--;
        heirs[h].count++;
        table[s] = heirs[h].id;
      }
    }
    this.table = table;
    report(before, moves);
  }

  /** Reports each run of adjacent slots that changed between the same two servers as a range. */
  private void report(int[] before, MoveListener moves) {
    int s = 0;
    while (s < slots) {
      if (before[s] == table[s]) {
        s++;
        continue;
      }
      int from = before[s];
      int to = table[s];
      int end = s + 1;
      while (end < slots && before[end] == from && table[end] == to) {
        end++;
      }
      int lo = s << shift;
      int hi = end == slots ? -1 : (end << shift) - 1;
      moves.moved(from, to, lo, hi);
      s = end;
    }
  }

  @Override
  public String toString() {
    return "slots (" + members.size() + " servers, " + slots + " slots)";
  }

  /** A server's weight, its slot count and, during a change, the slots it gives or takes. */
  private static final class Member {
    final int id;
    final int weight;
    int count;
    int give;

    Member(int id, int weight) {
      this.id = id;
      this.weight = weight;
    }
  }
}
