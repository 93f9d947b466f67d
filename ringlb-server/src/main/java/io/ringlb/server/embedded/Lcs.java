package io.ringlb.server.embedded;

import java.util.ArrayList;
import java.util.List;

/**
 * The longest common subsequence of two byte strings by the classic dynamic-programming table,
 * walked back from the end the way Redis's LCS walks it, so that the matched ranges come out in the
 * same order (last first) and the same tie-breaking (up in {@code a} only when that keeps a longer
 * subsequence).
 */
final class Lcs {

  private final byte[] a;
  private final byte[] b;
  private final int[] table;
  private final int width;

  /** Builds the table; the caller has bounded {@code (a.length + 1) * (b.length + 1)}. */
  Lcs(byte[] a, byte[] b) {
    this.a = a;
    this.b = b;
    this.width = b.length + 1;
    this.table = new int[(a.length + 1) * width];
    for (int i = 1; i <= a.length; i++) {
      for (int j = 1; j <= b.length; j++) {
        table[i * width + j] =
            a[i - 1] == b[j - 1] ? at(i - 1, j - 1) + 1 : Math.max(at(i - 1, j), at(i, j - 1));
      }
    }
  }

  private int at(int i, int j) {
    return table[i * width + j];
  }

  /** Returns the length of the longest common subsequence. */
  int length() {
    return at(a.length, b.length);
  }

  /** Returns one longest common subsequence. */
  byte[] common() {
    byte[] out = new byte[length()];
    int k = out.length;
    int i = a.length;
    int j = b.length;
    while (i > 0 && j > 0) {
      if (a[i - 1] == b[j - 1]) {
        out[--k] = a[i - 1];
        i--;
        j--;
      } else if (at(i - 1, j) > at(i, j - 1)) {
        i--;
      } else {
        j--;
      }
    }
    return out;
  }

  /**
   * Returns the matched ranges, last first, each {@code {aStart, aEnd, bStart, bEnd}} (inclusive):
   * runs of consecutive matches along the walk back.
   */
  List<int[]> matches() {
    List<int[]> out = new ArrayList<>();
    int i = a.length;
    int j = b.length;
    int[] run = null;
    while (i > 0 && j > 0) {
      if (a[i - 1] == b[j - 1]) {
        if (run == null) {
          run = new int[] {i - 1, i - 1, j - 1, j - 1};
        } else {
          run[0] = i - 1;
          run[2] = j - 1;
        }
        i--;
        j--;
        if (run[0] == 0 || run[2] == 0) {
          out.add(run);
          run = null;
        }
      } else {
        if (at(i - 1, j) > at(i, j - 1)) {
          i--;
        } else {
          j--;
        }
        if (run != null) {
          out.add(run);
          run = null;
        }
      }
    }
    return out;
  }
}
