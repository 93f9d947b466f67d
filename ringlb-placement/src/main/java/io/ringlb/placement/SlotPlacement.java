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
 * server takes its target one slot at a time from the server furthest above its own target (ties
 * to the lower id), each donor giving its most recently received slot; a leaving server's slots go
 * one at a time to the server furthest below its target. So a change moves keys only to the
 * joining server or only from the leaving one, as many as its share and no more, every server
 * stays within one slot of its target, and a lookup is one array read. Every slot is one hash
 * range, so changes are reported as ranges.
 *
 * <p>The table depends on the order of past changes, not only on the current servers (as with
 * {@link MementoPlacement}): replaying the same additions and removals rebuilds it exactly, and
 * a process that restarts must do that (or keep the table) rather than add its servers afresh.
 */
final class SlotPlacement implements Placement {

  /** The default slot count: 4 times Redis Cluster's, within one slot of balance up to ~6500 servers. */
  static final int DEFAULT_SLOTS = 65_536;

  private final int slots;
  private final int shift;
  private final int[] table;
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
      for (int s = 0; s < slots; s++) {
        table[s] = serverId;
        joining.push(s);
      }
      members.put(serverId, joining);
      totalWeight = weight;
      return;
    }
    Member[] donors = members.values().toArray(new Member[0]);
    totalWeight += weight;
    double perWeight = (double) slots / totalWeight;
    long target = Math.max(1, Math.round(weight * perWeight));
    int[] moved = new int[(int) target];
    int[] from = new int[(int) target];
    for (int k = 0; k < target; k++) {
      // the donor furthest above its new target that can spare a slot; ties to the lower id
      Member donor = null;
      double excess = Double.NEGATIVE_INFINITY;
      for (Member m : donors) {
        double e = m.count - m.weight * perWeight;
        if (m.count > 1 && e > excess) {
          excess = e;
          donor = m;
        }
      }
      if (donor == null) {
        break;
      }
      int slot = donor.pop();
      table[slot] = serverId;
      joining.push(slot);
      moved[k] = slot;
      from[k] = donor.id;
    }
    members.put(serverId, joining);
    report(moved, from, null, joining.count, serverId, moves);
  }

  @Override
  public void removeServer(int serverId, MoveListener moves) {
    Member leaving = members.remove(serverId);
    Require.present(serverId, leaving != null);
    totalWeight -= leaving.weight;
    if (members.isEmpty()) {
      Arrays.fill(table, -1);
      totalWeight = 0;
      return;
    }
    Member[] heirs = members.values().toArray(new Member[0]);
    double perWeight = (double) slots / totalWeight;
    int count = leaving.count;
    int[] moved = new int[count];
    int[] to = new int[count];
    for (int k = 0; k < count; k++) {
      // the heir furthest below its new target; ties to the lower id
      Member heir = heirs[0];
      double deficit = Double.NEGATIVE_INFINITY;
      for (Member m : heirs) {
        double d = m.weight * perWeight - m.count;
        if (d > deficit) {
          deficit = d;
          heir = m;
        }
      }
      int slot = leaving.pop();
      table[slot] = heir.id;
      heir.push(slot);
      moved[k] = slot;
      to[k] = heir.id;
    }
    report(moved, null, to, count, serverId, moves);
  }

  /**
   * Reports moved slots as ranges, merging runs of adjacent slots with the same endpoints. Exactly
   * one of {@code from} and {@code to} is given; the other side is {@code other}.
   */
  private void report(int[] moved, int[] from, int[] to, int count, int other, MoveListener moves) {
    // sort the move indexes by slot so that runs of adjacent slots merge
    long[] keyed = new long[count];
    for (int k = 0; k < count; k++) {
      keyed[k] = ((long) moved[k] << 32) | k;
    }
    Arrays.sort(keyed);
    int k = 0;
    while (k < count) {
      int first = (int) (keyed[k] >>> 32);
      int index = (int) keyed[k];
      int src = from != null ? from[index] : other;
      int dst = to != null ? to[index] : other;
      int last = first;
      int next = k + 1;
      while (next < count) {
        int slot = (int) (keyed[next] >>> 32);
        int idx = (int) keyed[next];
        int s = from != null ? from[idx] : other;
        int d = to != null ? to[idx] : other;
        if (slot != last + 1 || s != src || d != dst) {
          break;
        }
        last = slot;
        next++;
      }
      int lo = first << shift;
      int hi = ((last + 1) << shift) - 1;
      if (last == slots - 1) {
        hi = -1;
      }
      moves.moved(src, dst, lo, hi);
      k = next;
    }
  }

  @Override
  public String toString() {
    return "slots (" + members.size() + " servers, " + slots + " slots)";
  }

  /** A server's weight and its slots, as a stack in the order received. */
  private static final class Member {
    final int id;
    final int weight;
    int[] owned = new int[16];
    int count;

    Member(int id, int weight) {
      this.id = id;
      this.weight = weight;
    }

    void push(int slot) {
      if (count == owned.length) {
        owned = Arrays.copyOf(owned, count * 2);
      }
      owned[count++] = slot;
    }

    int pop() {
      return owned[--count];
    }
  }
}
