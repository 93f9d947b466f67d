package io.ringlb.placement;

import io.ringlb.core.Placement;
import java.util.Arrays;
import net.openhft.hashing.LongHashFunction;

/**
 * Rendezvous or highest-random-weight hashing (Thaler and Ravishankar, 1996): every server scores
 * every key with a hash of the pair, and the highest score wins.
 *
 * <p>Optimal in balance and movement (a new server takes exactly the keys it now wins; a leaving
 * server's keys spread over all others) and needs no table, but a lookup costs one hash per server.
 * Weights use the logarithmic method (Schindler): the score of server {@code i} is {@code -w_i /
 * ln(u)} for the key's uniform {@code u} in (0, 1), which gives server {@code i} the share {@code
 * w_i / sum(w)} exactly.
 */
final class RendezvousPlacement implements Placement {

  private static final double TWO_POW_MINUS_53 = 0x1.0p-53;

  private int[] ids = new int[0];
  private int[] weights = new int[0];
  private LongHashFunction[] scorers = new LongHashFunction[0];
  private boolean weighted;

  @Override
  public String name() {
    return "rendezvous";
  }

  @Override
  public int hashKey(byte[] key, int offset, int length) {
    return Hash64.xxh3Keys().hash(key, offset, length);
  }

  @Override
  public int serverFor(int keyHash) {
    final LongHashFunction[] scorers = this.scorers;
    int n = scorers.length;
    if (n == 0) {
      return -1;
    }
    int best = 0;
    if (!weighted) {
      long bestScore = scorers[0].hashInt(keyHash);
      for (int i = 1; i < n; i++) {
        long score = scorers[i].hashInt(keyHash);
        if (Long.compareUnsigned(score, bestScore) > 0) {
          bestScore = score;
          best = i;
        }
      }
    } else {
      double bestScore = weightedScore(0, keyHash);
      for (int i = 1; i < n; i++) {
        double score = weightedScore(i, keyHash);
        if (score > bestScore) {
          bestScore = score;
          best = i;
        }
      }
    }
    return ids[best];
  }

  private double weightedScore(int index, int keyHash) {
    long h = scorers[index].hashInt(keyHash);
    double u = ((h >>> 11) + 0.5) * TWO_POW_MINUS_53; // uniform in (0, 1)
    return -weights[index] / Math.log(u);
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
    int i = Arrays.binarySearch(ids, serverId);
    return i < 0 ? 0 : weights[i];
  }

  @Override
  public double share(int serverId) {
    int i = Arrays.binarySearch(ids, serverId);
    if (i < 0) {
      return 0;
    }
    long total = 0;
    for (int w : weights) {
      total += w;
    }
    return (double) weights[i] / total;
  }

  @Override
  public void addServer(int serverId, int weight, MoveListener moves) {
    int i = Arrays.binarySearch(ids, serverId);
    Require.newServer(serverId, weight, i >= 0);
    int at = -i - 1;
    int n = ids.length;
    int[] newIds = new int[n + 1];
    int[] newWeights = new int[n + 1];
    LongHashFunction[] newScorers = new LongHashFunction[n + 1];
    System.arraycopy(ids, 0, newIds, 0, at);
    System.arraycopy(weights, 0, newWeights, 0, at);
    System.arraycopy(scorers, 0, newScorers, 0, at);
    newIds[at] = serverId;
    newWeights[at] = weight;
    newScorers[at] = LongHashFunction.xx3(Hash64.XXH3.hashInt(serverId));
    System.arraycopy(ids, at, newIds, at + 1, n - at);
    System.arraycopy(weights, at, newWeights, at + 1, n - at);
    System.arraycopy(scorers, at, newScorers, at + 1, n - at);
    install(newIds, newWeights, newScorers);
    if (n > 0) {
      moves.reassigned();
    }
  }

  @Override
  public void removeServer(int serverId, MoveListener moves) {
    int at = Arrays.binarySearch(ids, serverId);
    Require.present(serverId, at >= 0);
    int n = ids.length;
    int[] newIds = new int[n - 1];
    int[] newWeights = new int[n - 1];
    LongHashFunction[] newScorers = new LongHashFunction[n - 1];
    System.arraycopy(ids, 0, newIds, 0, at);
    System.arraycopy(weights, 0, newWeights, 0, at);
    System.arraycopy(scorers, 0, newScorers, 0, at);
    System.arraycopy(ids, at + 1, newIds, at, n - at - 1);
    System.arraycopy(weights, at + 1, newWeights, at, n - at - 1);
    System.arraycopy(scorers, at + 1, newScorers, at, n - at - 1);
    install(newIds, newWeights, newScorers);
    if (n > 1) {
      moves.reassigned();
    }
  }

  private void install(int[] newIds, int[] newWeights, LongHashFunction[] newScorers) {
    ids = newIds;
    weights = newWeights;
    scorers = newScorers;
    boolean any = false;
    for (int w : newWeights) {
      any |= w != 1;
    }
    weighted = any;
  }

  @Override
  public String toString() {
    return "rendezvous (" + ids.length + " servers)";
  }
}
