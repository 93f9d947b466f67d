package io.ringlb.core;

/**
 * A pair of delimiters that picks the part of a key a placement routes on, as Redis Cluster's
 * {@code {...}} hash tags do: keys sharing a tag have one owner.
 *
 * <p>The tag of a key is what lies between the first opening delimiter and the first closing
 * delimiter after it. A key with no opening delimiter, no closing one after it, or nothing between
 * the two is routed on all of its bytes: {@code {user1}.cart} and {@code {user1}.orders} share an
 * owner, while {@code {}.a} and {@code {}.b} are routed as whole keys.
 */
public final class HashTag {

  /** Redis Cluster's tag delimiters, {@code {}}. */
  public static final HashTag BRACES = new HashTag('{', '}');

  private final byte open;
  private final byte close;

  private HashTag(char open, char close) {
    this.open = (byte) open;
    this.close = (byte) close;
  }

  /**
   * Returns the tag delimited by {@code open} and {@code close}.
   *
   * @throws IllegalArgumentException if either is not a printable ASCII character
   */
  public static HashTag of(char open, char close) {
    if (open == '{' && close == '}') {
      return BRACES;
    }
    return new HashTag(printable(open, "opening"), printable(close, "closing"));
  }

  /**
   * Parses a tag written as its two delimiters, such as {@code {}}; {@code none} or an empty string
   * means no tag, for which this returns null.
   *
   * @throws IllegalArgumentException if {@code spec} is not two printable ASCII characters
   */
  public static HashTag parse(String spec) {
    if (spec.isEmpty() || spec.equalsIgnoreCase("none")) {
      return null;
    }
    if (spec.length() != 2) {
      throw new IllegalArgumentException(
          "a hash tag is two characters, an opening and a closing "
              + "delimiter such as {} (or none), not '"
              + spec
              + "'");
    }
    return of(spec.charAt(0), spec.charAt(1));
  }

  private static char printable(char c, String which) {
    if (c <= ' ' || c > '~') {
      throw new IllegalArgumentException(
          "the "
              + which
              + " delimiter of a hash tag must be a printable ASCII character, not "
              + (c < 128 ? "code " + (int) c : "'" + c + "'"));
    }
    return c;
  }

  /**
   * Returns the routing hash of {@code length} bytes of {@code key} under {@code placement}: the
   * hash of the key's tag when it has one, else of the whole key.
   */
  public int hashKey(Placement placement, byte[] key, int offset, int length) {
    int end = offset + length;
    for (int i = offset; i < end; i++) {
      if (key[i] == open) {
        for (int j = i + 1; j < end; j++) {
          if (key[j] == close) {
            return j > i + 1
                ? placement.hashKey(key, i + 1, j - i - 1)
                : placement.hashKey(key, offset, length);
          }
        }
        break;
      }
    }
    return placement.hashKey(key, offset, length);
  }

  /**
   * Returns a view of {@code placement} whose {@link Placement#hashKey} routes on this tag; every
   * other method, and every topology change, goes to {@code placement} itself.
   */
  public Placement on(Placement placement) {
    if (placement == null) {
      throw new NullPointerException("placement");
    }
    return new Tagged(this, placement);
  }

  /**
   * Returns the placement a view made by {@link #on} routes with, or {@code placement} itself when
   * it is no such view; for callers that need the strategy's own type (a ring's labels).
   */
  public static Placement unwrap(Placement placement) {
    return placement instanceof Tagged t ? t.placement : placement;
  }

  /** Returns the tag a view made by {@link #on} routes on, or null for any other placement. */
  public static HashTag tagOf(Placement placement) {
    return placement instanceof Tagged t ? t.tag : null;
  }

  /** Returns the two delimiters, e.g. {@code {}}. */
  @Override
  public String toString() {
    return "" + (char) open + (char) close;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof HashTag t && t.open == open && t.close == close;
  }

  @Override
  public int hashCode() {
    return open * 31 + close;
  }

  /** A placement routing on a hash tag. */
  private static final class Tagged implements Placement {
    private final HashTag tag;
    private final Placement placement;

    Tagged(HashTag tag, Placement placement) {
      this.tag = tag;
      this.placement = placement;
    }

    @Override
    public String name() {
      return placement.name();
    }

    @Override
    public int hashKey(byte[] key, int offset, int length) {
      return tag.hashKey(placement, key, offset, length);
    }

    @Override
    public int serverFor(int keyHash) {
      return placement.serverFor(keyHash);
    }

    @Override
    public boolean contains(int serverId) {
      return placement.contains(serverId);
    }

    @Override
    public int size() {
      return placement.size();
    }

    @Override
    public int[] servers() {
      return placement.servers();
    }

    @Override
    public int points(int serverId) {
      return placement.points(serverId);
    }

    @Override
    public double share(int serverId) {
      return placement.share(serverId);
    }

    @Override
    public void addServer(int serverId, int weight, MoveListener moves) {
      placement.addServer(serverId, weight, moves);
    }

    @Override
    public void addServer(int serverId, MoveListener moves) {
      placement.addServer(serverId, moves);
    }

    @Override
    public void removeServer(int serverId, MoveListener moves) {
      placement.removeServer(serverId, moves);
    }

    @Override
    public boolean supportsArbitraryRemoval() {
      return placement.supportsArbitraryRemoval();
    }

    @Override
    public String toString() {
      return placement + " tagged " + tag;
    }
  }
}
