package io.ringlb.placement;

import io.ringlb.core.Placement;
import java.util.Arrays;

/**
 * Maglev hashing (Eisenbud et al., NSDI 2016): a lookup table of prime size {@code M} filled by
 * letting the servers take turns claiming their next free entry along their own permutation {@code
 * (offset + j * skip) mod M}; a key reads one entry.
 *
 * <p>Near-perfect balance (each server holds {@code M/N} entries, give or take one) and constant
 * lookup time. The table is a function of the server set alone, rebuilt on every change; that
 * rebuild also moves some entries between servers that stayed (more than the minimum, the
 * disruption the paper trades for balance). Keys map to entries by multiply-shift, so every entry
 * owns one contiguous hash range and changes are reported as ranges. Weights give a server that
 * many claims per turn.
 */
final class MaglevPlacement implements Placement {

  /** The table size of the paper's evaluation. */
  static final int DEFAULT_TABLE_SIZE = 65_537;

  private final int tableSize;
  private int[] ids = new int[0];
  private int[] weights = new int[0];
  private int[] table;

  MaglevPlacement(int tableSize) {
    if (tableSize < 3 || !isPrime(tableSize)) {
      throw new IllegalArgumentException("maglev table size must be a prime >= 3: " + tableSize);
    }
    this.tableSize = tableSize;
    this.table = new int[tableSize];
    Arrays.fill(table, -1);
  }

  static boolean isPrime(int n) {
    if (n < 2) {
      return false;
    }
    for (int d = 2; (long) d * d <= n; d++) {
      if (n % d == 0) {
        return false;
      }
    }
    return true;
  }

  @Override
  public String name() {
    return "maglev:" + tableSize;
  }

  @Override
  public int hashKey(byte[] key, int offset, int length) {
    return Hash64.xxh3Keys().hash(key, offset, length);
  }

  @Override
  public int serverFor(int keyHash) {
    return table[Hash64.scale(keyHash, tableSize)];
  }

  @Override
  public boolean contains(int serverId) {
    return Arrays.binarySearch(ids, serverId) >= 0;
  }

  @Override
  public int size() {
    return ids.length;
  }

  @Override
  public int[] servers() {
    return ids.clone();
  }

  @Override
  public int points(int serverId) {
    if (!contains(serverId)) {
      return 0;
    }
    int count = 0;
    for (int owner : table) {
      count += owner == serverId ? 1 : 0;
    }
    return count;
  }

  @Override
  public double share(int serverId) {
    return (double) points(serverId) / tableSize;
  }

  @Override
  public void addServer(int serverId, int weight, MoveListener moves) {
    int i = Arrays.binarySearch(ids, serverId);
    Require.newServer(serverId, weight, i >= 0);
    if (ids.length + 1 > tableSize) {
      throw new IllegalArgumentException(
          "maglev table of " + tableSize + " entries cannot hold " + (ids.length + 1) + " servers");
    }
    int at = -i - 1;
    int n = ids.length;
    int[] newIds = new int[n + 1];
    int[] newWeights = new int[n + 1];
    System.arraycopy(ids, 0, newIds, 0, at);
    System.arraycopy(weights, 0, newWeights, 0, at);
    newIds[at] = serverId;
    newWeights[at] = weight;
    System.arraycopy(ids, at, newIds, at + 1, n - at);
    System.arraycopy(weights, at, newWeights, at + 1, n - at);
    rebuild(newIds, newWeights, moves);
  }

  @Override
  public void removeServer(int serverId, MoveListener moves) {
    int at = Arrays.binarySearch(ids, serverId);
    Require.present(serverId, at >= 0);
    int n = ids.length;
    int[] newIds = new int[n - 1];
    int[] newWeights = new int[n - 1];
    System.arraycopy(ids, 0, newIds, 0, at);
    System.arraycopy(weights, 0, newWeights, 0, at);
    System.arraycopy(ids, at + 1, newIds, at, n - at - 1);
    System.arraycopy(weights, at + 1, newWeights, at, n - at - 1);
    rebuild(newIds, newWeights, moves);
  }

  private void rebuild(int[] newIds, int[] newWeights, MoveListener moves) {
    int[] old = table;
    int[] fresh = populate(newIds, newWeights, tableSize);
    ids = newIds;
    weights = newWeights;
    table = fresh;
    if (newIds.length > 0) {
      reportChanges(old, fresh, tableSize, moves);
    }
  }

  /** Fills a table as in the paper's Pseudocode 1, servers taking turns in id order. */
  static int[] populate(int[] ids, int[] weights, int m) {
    int[] table = new int[m];
    Arrays.fill(table, -1);
    int n = ids.length;
    if (n == 0) {
      return table;
    }
    long[] position = new long[n];
    long[] skip = new long[n];
    for (int i = 0; i < n; i++) {
      long h = Hash64.XXH3.hashInt(ids[i]);
      position[i] = Long.remainderUnsigned(h, m);
      skip[i] = Long.remainderUnsigned(Hash64.pair(ids[i], 0x6d61676c), m - 1) + 1;
    }
    int filled = 0;
    while (true) {
      for (int i = 0; i < n; i++) {
        for (int turn = 0; turn < weights[i]; turn++) {
          long c = position[i];
          while (table[(int) c] >= 0) {
            c += skip[i];
            if (c >= m) {
              c -= m;
            }
          }
          table[(int) c] = ids[i];
          c += skip[i];
          position[i] = c >= m ? c - m : c;
          if (++filled == m) {
            return table;
          }
        }
      }
    }
  }

  /** Reports each run of entries that changed owner, as the hash range the run covers. */
  static void reportChanges(int[] old, int[] fresh, int m, MoveListener moves) {
    int i = 0;
    while (i < m) {
      if (old[i] == fresh[i] || old[i] < 0) {
        i++;
        continue;
      }
      int from = old[i];
      int to = fresh[i];
      int j = i + 1;
      while (j < m && old[j] == from && fresh[j] == to) {
        j++;
      }
      moves.moved(from, to, Hash64.firstHashOf(i, m), Hash64.firstHashOf(j, m) - 1);
      i = j;
    }
  }

  @Override
  public String toString() {
    return "maglev (" + ids.length + " servers, table " + tableSize + ")";
  }
}
