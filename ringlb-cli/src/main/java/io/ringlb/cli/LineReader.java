package io.ringlb.cli;

import io.ringlb.core.KeyHash;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * Reads a command file on a thread of its own, ahead of the {@link CommandRunner}: cuts the input
 * into chunks of whole lines and, for lines in the two common forms, finds the key and the value
 * and hashes the key, so that the runner's thread only executes them.
 *
 * <p>The forms are {@code store "K" "V"} and {@code retrieve "K"} (no quote inside K) at the very
 * start of the line, one space after the command; for them the offsets found are exactly those the
 * runner's general parser would find. Every other line is marked {@link #OTHER} and parsed by the
 * runner. Three chunks circulate between the two threads, so the reader stays at most two chunks
 * ahead and memory does not grow with the file. A line longer than the limit is not buffered: the
 * reader keeps its first bytes, skips the rest up to its newline and marks it {@link #TOO_LONG}.
 */
final class LineReader implements Runnable {

  /** A line the runner parses itself. */
  static final byte OTHER = 0;

  /** {@code store "K" "V..."}: key and value located. */
  static final byte STORE = 1;

  /** {@code retrieve "K"}: key located. */
  static final byte RETRIEVE = 2;

  /** A line longer than the limit, skipped: only its first bytes are kept. */
  static final byte TOO_LONG = 3;

  /** The bytes kept of a line too long. */
  static final int KEPT_OF_TOO_LONG = 64;

  /** The longest line a byte array can hold with its newline, in a JVM's largest array. */
  static final int MAX_LINE_LIMIT = Integer.MAX_VALUE - 16;

  private static final int CHUNK_BYTES = 1 << 20;
  private static final int CHUNKS = 3;

  /** Whole lines of the input, with what the reader found in each. */
  static final class Chunk {
    byte[] bytes = new byte[CHUNK_BYTES];
    int count;

    /** Line {@code i} is {@code bytes[starts[i], ends[i])}, without its newline. */
    int[] starts = new int[8192];

    int[] ends = new int[8192];
    byte[] kinds = new byte[8192];
    int[] keyOffsets = new int[8192];
    int[] keyLengths = new int[8192];
    int[] valueOffsets = new int[8192];
    int[] valueLengths = new int[8192];

    /** The key's hash, when the reader was given a hash function. */
    int[] hashes = new int[8192];

    /** No chunk follows. */
    boolean last;

    /** Reading failed after the lines of this chunk; the run reports it. */
    Throwable failure;

    private void grow() {
      int n = starts.length * 2;
      starts = Arrays.copyOf(starts, n);
      ends = Arrays.copyOf(ends, n);
      kinds = Arrays.copyOf(kinds, n);
      keyOffsets = Arrays.copyOf(keyOffsets, n);
      keyLengths = Arrays.copyOf(keyLengths, n);
      valueOffsets = Arrays.copyOf(valueOffsets, n);
      valueLengths = Arrays.copyOf(valueLengths, n);
      hashes = Arrays.copyOf(hashes, n);
    }
  }

  private final InputStream input;
  private final KeyHash keyHash;
  private final int maxLine;
  private final BlockingQueue<Chunk> free = new ArrayBlockingQueue<>(CHUNKS);
  private final BlockingQueue<Chunk> full = new ArrayBlockingQueue<>(CHUNKS);

  /**
   * Creates a reader of {@code input}; {@code keyHash}, when not null, hashes the keys it locates
   * and must be safe to call from the reader's thread; lines longer than {@code maxLine} bytes
   * (newline excluded) are skipped.
   */
  LineReader(InputStream input, KeyHash keyHash, int maxLine) {
    if (maxLine < KEPT_OF_TOO_LONG || maxLine > MAX_LINE_LIMIT) {
      throw new IllegalArgumentException(
          "line limit must be between "
              + KEPT_OF_TOO_LONG
              + " and "
              + MAX_LINE_LIMIT
              + ": "
              + maxLine);
    }
    this.input = input;
    this.keyHash = keyHash;
    this.maxLine = maxLine;
    for (int i = 0; i < CHUNKS; i++) {
      free.add(new Chunk());
    }
  }

  /** Returns the next chunk, waiting for it. */
  Chunk next() throws InterruptedException {
    return full.take();
  }

  /** Gives back a chunk whose lines have all been run. */
  void recycle(Chunk chunk) {
    free.add(chunk);
  }

  @Override
  public void run() {
    Chunk chunk;
    try {
      chunk = free.take();
    } catch (InterruptedException e) {
      return;
    }
    int length = 0;
    int from = 0;
    boolean skipping = false;
    try {
      while (true) {
        boolean eof = false;
        while (length < chunk.bytes.length) {
          int n = input.read(chunk.bytes, length, chunk.bytes.length - length);
          if (n < 0) {
            eof = true;
            break;
          }
          length += n;
        }
        int cut = cut(chunk, from, length, eof);
        from = 0;
        if (eof) {
          chunk.last = true;
          full.put(chunk);
          return;
        }
        if (cut == 0) {
          if (length > maxLine) {
            // the line so far fills the buffer and is already too long: skip it
            skipping = true;
            length = skipLine(chunk, length);
            skipping = false;
            if (length < 0) {
              chunk.last = true;
              full.put(chunk);
              return;
            }
            from = KEPT_OF_TOO_LONG;
          } else {
            // not one whole line in a full buffer: make room for a longer line, up to the limit
            long grown = Math.min(chunk.bytes.length * 2L, maxLine + 1L);
            chunk.bytes = Arrays.copyOf(chunk.bytes, (int) grown);
          }
          continue;
        }
        Chunk next = free.take();
        reset(next);
        int tail = length - cut;
        if (next.bytes.length < tail) {
          next.bytes = new byte[chunk.bytes.length];
        }
        System.arraycopy(chunk.bytes, cut, next.bytes, 0, tail);
        full.put(chunk);
        chunk = next;
        length = tail;
      }
    } catch (InterruptedException e) {
      // the run is over
    } catch (Throwable failure) {
      // the whole lines read before the failure still run, then the run reports it
      if (!skipping) {
        cut(chunk, from, length, false);
      }
      chunk.failure = failure;
      chunk.last = true;
      full.add(chunk);
    }
  }

  /**
   * Skips the rest of a line too long whose first {@code length} bytes fill the buffer, reading up
   * to its newline through the same buffer, and records it as the chunk's first line, {@link
   * #TOO_LONG}, its first bytes kept. Returns where the bytes read after the newline end (they
   * follow the kept bytes), or -1 when the input ended within the line.
   */
  private int skipLine(Chunk chunk, int length) throws IOException {
    final byte[] bytes = chunk.bytes;
    final int kept = KEPT_OF_TOO_LONG;
    reset(chunk);
    add(chunk, 0, kept);
    chunk.kinds[0] = TOO_LONG;
    int end = length;
    int scan = kept;
    while (true) {
      for (int i = scan; i < end; i++) {
        if (bytes[i] == '\n') {
          System.arraycopy(bytes, i + 1, bytes, kept, end - (i + 1));
          return kept + end - (i + 1);
        }
      }
      int n = input.read(bytes, kept, bytes.length - kept);
      if (n < 0) {
        return -1;
      }
      scan = kept;
      end = kept + n;
    }
  }

  private static void reset(Chunk chunk) {
    chunk.count = 0;
    chunk.last = false;
    chunk.failure = null;
  }

  /**
   * Records the whole lines of {@code bytes[from, length)} after those already recorded (and, at
   * the end of the input, a last line without newline); returns the offset just after the last
   * newline, or {@code from} when there is none.
   */
  private int cut(Chunk chunk, int from, int length, boolean eof) {
    final byte[] bytes = chunk.bytes;
    int start = from;
    for (int i = from; i < length; i++) {
      if (bytes[i] == '\n') {
        add(chunk, start, i);
        start = i + 1;
      }
    }
    if (eof && start < length) {
      add(chunk, start, length);
      return length;
    }
    return start;
  }

  private void add(Chunk chunk, int from, int to) {
    int i = chunk.count;
    if (i == chunk.starts.length) {
      chunk.grow();
    }
    chunk.count = i + 1;
    chunk.starts[i] = from;
    chunk.ends[i] = to;
    chunk.kinds[i] = OTHER;
    if (to - from > maxLine) {
      chunk.kinds[i] = TOO_LONG;
      chunk.ends[i] = from + KEPT_OF_TOO_LONG;
      return;
    }
    final byte[] b = chunk.bytes;
    if (to > from && b[to - 1] == '\r') {
      to--;
    }
    int n = to - from;
    if (n >= 7
        && b[from] == 's'
        && b[from + 1] == 't'
        && b[from + 2] == 'o'
        && b[from + 3] == 'r'
        && b[from + 4] == 'e'
        && b[from + 5] == ' '
        && b[from + 6] == '"') {
      // the general rule: key between the 1st and 2nd quote, value from after the 3rd quote to
      // the last quote of the line
      int q2 = indexOf(b, from + 7, to);
      int q3 = q2 < 0 ? -1 : indexOf(b, q2 + 1, to);
      if (q3 < 0) {
        return;
      }
      int last = to - 1;
      while (last > q3 && b[last] != '"') {
        last--;
      }
      if (last == q3) {
        return;
      }
      chunk.kinds[i] = STORE;
      chunk.keyOffsets[i] = from + 7;
      chunk.keyLengths[i] = q2 - (from + 7);
      chunk.valueOffsets[i] = q3 + 1;
      chunk.valueLengths[i] = last - (q3 + 1);
    } else if (n >= 10
        && b[from] == 'r'
        && b[from + 1] == 'e'
        && b[from + 2] == 't'
        && b[from + 3] == 'r'
        && b[from + 4] == 'i'
        && b[from + 5] == 'e'
        && b[from + 6] == 'v'
        && b[from + 7] == 'e'
        && b[from + 8] == ' '
        && b[from + 9] == '"') {
      // the key is what follows the first quote, every quote removed: here at most a last one
      int q = indexOf(b, from + 10, to);
      if (q >= 0 && q != to - 1) {
        return;
      }
      chunk.kinds[i] = RETRIEVE;
      chunk.keyOffsets[i] = from + 10;
      chunk.keyLengths[i] = (q < 0 ? to : q) - (from + 10);
    } else {
      return;
    }
    if (keyHash != null) {
      chunk.hashes[i] = keyHash.hash(b, chunk.keyOffsets[i], chunk.keyLengths[i]);
    }
  }

  private static int indexOf(byte[] bytes, int from, int to) {
    for (int i = from; i < to; i++) {
      if (bytes[i] == '"') {
        return i;
      }
    }
    return -1;
  }
}
