package io.ringlb.server;

/**
 * Redis's glob-style patterns ({@code *}, {@code ?}, {@code [a-z]}, {@code [^x]}, {@code \}
 * escapes) over bytes, as KEYS, SCAN MATCH and CONFIG GET use them; runs in O(pattern * subject)
 * without recursion.
 */
public final class Glob {

  private Glob() {}

  /** Returns whether {@code subject} matches {@code pattern}. */
  public static boolean matches(byte[] pattern, byte[] subject) {
    return matches(pattern, subject, 0, subject.length, false);
  }

  /**
   * Returns whether a slice of {@code subject} matches {@code pattern}, ignoring ASCII case when
   * {@code noCase}.
   */
  public static boolean matches(
      byte[] pattern, byte[] subject, int offset, int length, boolean noCase) {
    int p = 0;
    int s = offset;
    int end = offset + length;
    int starP = -1;
    int starS = -1;
    while (s < end) {
      if (p < pattern.length) {
        if (pattern[p] == '*') {
          while (p < pattern.length && pattern[p] == '*') {
            p++;
          }
          if (p == pattern.length) {
            return true;
          }
          starP = p;
          starS = s;
          continue;
        }
        int next = matchOne(pattern, p, subject[s], noCase);
        if (next >= 0) {
          p = next;
          s++;
          continue;
        }
      }
      if (starP < 0) {
        return false;
      }
      p = starP;
      s = ++starS;
    }
    while (p < pattern.length && pattern[p] == '*') {
      p++;
    }
    return p == pattern.length;
  }

  /**
   * Returns whether {@code name} holds a pattern's special character ({@code *}, {@code ?} or
   * {@code [}), as CONFIG GET tells a pattern from a name.
   */
  public static boolean isPattern(String name) {
    return name.indexOf('*') >= 0 || name.indexOf('?') >= 0 || name.indexOf('[') >= 0;
  }

  /** Returns whether the whole of {@code pattern} is the match-everything {@code *}. */
  public static boolean matchesEverything(byte[] pattern) {
    for (byte b : pattern) {
      if (b != '*') {
        return false;
      }
    }
    return pattern.length > 0;
  }

  /** Matches one pattern element at {@code p} against {@code c}; returns the next p or -1. */
  private static int matchOne(byte[] pattern, int p, byte c, boolean noCase) {
    byte pc = pattern[p];
    if (pc == '?') {
      return p + 1;
    }
    if (pc == '[') {
      return matchClass(pattern, p + 1, c, noCase);
    }
    if (pc == '\\' && p + 1 < pattern.length) {
      p++;
      pc = pattern[p];
    }
    return equal(pc, c, noCase) ? p + 1 : -1;
  }

  private static int matchClass(byte[] pattern, int p, byte c, boolean noCase) {
    boolean not = p < pattern.length && pattern[p] == '^';
    if (not) {
      p++;
    }
    boolean match = false;
    while (p < pattern.length && pattern[p] != ']') {
      if (pattern[p] == '\\' && p + 1 < pattern.length) {
        p++;
        match |= equal(pattern[p], c, noCase);
        p++;
      } else if (p + 2 < pattern.length && pattern[p + 1] == '-' && pattern[p + 2] != ']') {
        int lo = pattern[p] & 0xFF;
        int hi = pattern[p + 2] & 0xFF;
        if (lo > hi) {
          int t = lo;
          lo = hi;
          hi = t;
        }
        int v = c & 0xFF;
        match |= v >= lo && v <= hi;
        if (noCase) {
          int l = lower(v);
          match |= lower(lo) <= l && l <= lower(hi);
        }
        p += 3;
      } else {
        match |= equal(pattern[p], c, noCase);
        p++;
      }
    }
    if (p < pattern.length) {
      p++; // the closing bracket; an unterminated class ends with the pattern, as in Redis
    }
    return match != not ? p : -1;
  }

  private static boolean equal(byte a, byte b, boolean noCase) {
    return a == b || (noCase && lower(a & 0xFF) == lower(b & 0xFF));
  }

  private static int lower(int c) {
    return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
  }
}
