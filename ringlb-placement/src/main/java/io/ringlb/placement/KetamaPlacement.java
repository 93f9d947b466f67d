package io.ringlb.placement;

import io.ringlb.core.HashRing;
import io.ringlb.core.KeyHash;
import io.ringlb.core.Placement;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.function.IntFunction;

/**
 * Ketama (libketama, Last.fm 2007), the ring of most memcached and Redis clients and proxies: each
 * server named {@code NAME} gets the points of the MD5 digests of {@code "NAME-0"}, {@code
 * "NAME-1"}, ..., four little-endian 32-bit points per digest, and a key hashes to the first four
 * bytes of its own MD5 digest, little-endian.
 *
 * <p>Names come from a function of the server id (for a proxy, {@code host:port} as the other
 * implementations write it). How many digests a server gets is where implementations differ:
 *
 * <ul>
 *   <li>{@link Flavor#FIXED} ({@code ketama}): 40 per unit of weight, 160 points for weight 1, as
 *       spymemcached without weights, and as libketama and twemproxy whenever their float
 *       arithmetic gives 40 (most server counts with equal weights). A change never alters the
 *       points of servers that stay.
 *   <li>{@link Flavor#LIBKETAMA}: {@code floorf(pct * 40.0 * n)} with {@code pct} the server's
 *       share of the total weight as a C float, exactly as libketama computes it.
 *   <li>{@link Flavor#TWEMPROXY}: {@code floorf((float) (pct * 160 / 4 * n) + 1e-10)} in float
 *       arithmetic, as twemproxy (and spymemcached with weights). With 25, 50 or 100 equally
 *       weighted servers this gives 39 digests (156 points), not 40.
 * </ul>
 *
 * <p>In the last two, adding or removing a server can change the point count of every other server
 * (that is how those implementations behave); the ring is then rebuilt and the arcs that changed
 * owner are reported, including moves between servers that stayed.
 */
final class KetamaPlacement implements Placement {

  /** How many MD5 digests each server gets. */
  enum Flavor {
    FIXED("ketama"),
    LIBKETAMA("ketama:libketama"),
    TWEMPROXY("ketama:twemproxy");

    final String spec;

    Flavor(String spec) {
      this.spec = spec;
    }

    /**
     * Returns the digest count of a server with {@code weight} among {@code n} of {@code total}.
     */
    int digests(int weight, long total, int n) {
      switch (this) {
        case FIXED:
          return 40 * weight;
        case LIBKETAMA:
          {
            float pct = (float) weight / (float) total;
            return (int) Math.floor((float) ((double) pct * 40.0 * (double) (float) n));
          }
        case TWEMPROXY:
          {
            float pct = (float) weight / (float) total;
            float points = pct * 160f / 4f * (float) n;
            return (int) Math.floor((float) (points + 0.0000000001));
          }
        default:
          throw new AssertionError(this);
      }
    }
  }

  private final Flavor flavor;
  private final IntFunction<String> names;
  private final TreeMap<Integer, Integer> weights = new TreeMap<>();
  private Map<Integer, Integer> digests = new HashMap<>();
  private HashRing ring;

  KetamaPlacement(Flavor flavor, IntFunction<String> names) {
    this.flavor = Objects.requireNonNull(flavor, "flavor");
    this.names = Objects.requireNonNull(names, "names");
    this.ring = newRing();
  }

  private HashRing newRing() {
    return HashRing.create(flavor.spec, Md5Keys.INSTANCE, this::pointsOf);
  }

  private int[] pointsOf(int serverId, int weight) {
    Integer count = digests.get(serverId);
    String name = names.apply(serverId);
    if (name == null || name.isEmpty()) {
      throw new IllegalArgumentException("server " + serverId + " has no ketama name");
    }
    if (count == null || count <= 0) {
      throw new IllegalArgumentException(
          "server " + name + " would get no ketama points (weight " + weight + " is too small)");
    }
    return points(name, count);
  }

  /** Returns the {@code 4 * digests} points of the server called {@code name}. */
  static int[] points(String name, int digests) {
    int[] points = new int[digests * 4];
    MessageDigest md5 = Md5Keys.md5();
    for (int k = 0; k < digests; k++) {
      byte[] d = md5.digest((name + "-" + k).getBytes(StandardCharsets.UTF_8));
      for (int h = 0; h < 4; h++) {
        points[k * 4 + h] = littleEndian(d, h * 4);
      }
    }
    return points;
  }

  static int littleEndian(byte[] d, int at) {
    return (d[at] & 0xFF)
        | (d[at + 1] & 0xFF) << 8
        | (d[at + 2] & 0xFF) << 16
        | (d[at + 3] & 0xFF) << 24;
  }

  /** Returns the routing ring, for callers that want label positions. */
  HashRing ring() {
    return ring;
  }

  @Override
  public String name() {
    return flavor.spec;
  }

  @Override
  public int hashKey(byte[] key, int offset, int length) {
    return Md5Keys.INSTANCE.hash(key, offset, length);
  }

  @Override
  public int serverFor(int keyHash) {
    return ring.serverFor(keyHash);
  }

  @Override
  public boolean contains(int serverId) {
    return weights.containsKey(serverId);
  }

  @Override
  public int size() {
    return weights.size();
  }

  @Override
  public int[] servers() {
    return ring.servers();
  }

  @Override
  public int points(int serverId) {
    return ring.points(serverId);
  }

  @Override
  public double share(int serverId) {
    return ring.share(serverId);
  }

  @Override
  public void addServer(int serverId, int weight, MoveListener moves) {
    Require.newServer(serverId, weight, contains(serverId));
    TreeMap<Integer, Integer> next = new TreeMap<>(weights);
    next.put(serverId, weight);
    apply(next, serverId, true, moves);
  }

  @Override
  public void removeServer(int serverId, MoveListener moves) {
    Require.present(serverId, contains(serverId));
    TreeMap<Integer, Integer> next = new TreeMap<>(weights);
    next.remove(serverId);
    apply(next, serverId, false, moves);
  }

  private void apply(
      TreeMap<Integer, Integer> next, int changed, boolean adding, MoveListener moves) {
    Map<Integer, Integer> plan = plan(next);
    boolean othersKeep = true;
    for (Map.Entry<Integer, Integer> e : plan.entrySet()) {
      if (e.getKey() != changed && !e.getValue().equals(digests.get(e.getKey()))) {
        othersKeep = false;
        break;
      }
    }
    Map<Integer, Integer> before = digests;
    if (othersKeep) {
      digests = plan;
      try {
        if (adding) {
          ring.addServer(changed, next.get(changed), moves);
        } else {
          ring.removeServer(changed, moves);
        }
      } catch (RuntimeException e) {
        digests = before;
        throw e;
      }
    } else {
      digests = plan;
      HashRing rebuilt = newRing();
      try {
        for (Map.Entry<Integer, Integer> e : next.entrySet()) {
          rebuilt.addServer(e.getKey(), e.getValue(), MoveListener.NONE);
        }
      } catch (RuntimeException e) {
        digests = before;
        throw e;
      }
      HashRing old = ring;
      ring = rebuilt;
      RingDiff.report(old, rebuilt, moves);
    }
    weights.clear();
    weights.putAll(next);
  }

  private Map<Integer, Integer> plan(TreeMap<Integer, Integer> members) {
    long total = 0;
    for (int w : members.values()) {
      total += w;
    }
    int n = members.size();
    Map<Integer, Integer> plan = new HashMap<>();
    for (Map.Entry<Integer, Integer> e : members.entrySet()) {
      plan.put(e.getKey(), flavor.digests(e.getValue(), total, n));
    }
    return plan;
  }

  @Override
  public String toString() {
    return flavor.spec + " (" + weights.size() + " servers, " + ring.labelCount() + " points)";
  }

  /** The ketama key hash: the first four bytes of the key's MD5 digest, little-endian. */
  enum Md5Keys implements KeyHash {
    INSTANCE;

    private static final ThreadLocal<MessageDigest> MD5 = ThreadLocal.withInitial(Md5Keys::create);

    static MessageDigest md5() {
      return MD5.get();
    }

    private static MessageDigest create() {
      try {
        return MessageDigest.getInstance("MD5");
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException("this JVM has no MD5", e);
      }
    }

    @Override
    public int hash(byte[] key, int offset, int length) {
      MessageDigest md5 = MD5.get();
      md5.update(key, offset, length);
      return littleEndian(md5.digest(), 0);
    }

    @Override
    public String toString() {
      return "ketama-md5";
    }
  }
}
