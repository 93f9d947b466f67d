package io.ringlb.cli;

import io.ringlb.core.KeyHash;
import io.ringlb.core.LoadBalancer;
import io.ringlb.core.ValueSink;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * Executes a command file of the original design against a {@link LoadBalancer}, reading and
 * writing bytes directly: lines are parsed in the input buffer and replies are formatted into an
 * output buffer, with no per-line allocation. Memory grows with the stored data, not the file.
 *
 * <p>A {@link LineReader} on a second thread reads the input ahead, cuts it into lines and locates
 * the key and value of the common store and retrieve lines; this thread executes the lines in order
 * and parses the others itself.
 */
final class CommandRunner implements ValueSink {

  private static final int WRITE_BUFFER = 1 << 20;

  /** The longest line run by default, in bytes, when the heap is large enough: 512 MiB. */
  static final int DEFAULT_LINE_LIMIT = 512 << 20;

  private static final int MAX_ID = 99_999;

  private static final byte[] STORED = RunCommand.ascii("Stored ");
  private static final byte[] ON_SERVER = RunCommand.ascii(" on server ");
  private static final byte[] RETRIEVED = RunCommand.ascii("Retrieved ");
  private static final byte[] FROM_SERVER = RunCommand.ascii(" from server ");
  private static final byte[] KEY = RunCommand.ascii("Key ");
  private static final byte[] NOT_PRESENT = RunCommand.ascii(" not present.\n");
  private static final byte[] DOT_NEWLINE = RunCommand.ascii(".\n");
  private static final byte[] STORE = RunCommand.ascii("store");
  private static final byte[] RETRIEVE = RunCommand.ascii("retrieve");
  private static final byte[] ADD_SERVER = RunCommand.ascii("add_server");
  private static final byte[] REMOVE_SERVER = RunCommand.ascii("remove_server");

  private final LoadBalancer balancer;
  private final OutputStream out;
  private final PrintStream err;
  private final String name;

  /** Hashes keys on the reader's thread when not null (it must be stateless). */
  private final KeyHash aheadHash;

  /** Lines longer than this, in bytes without the newline, are skipped. */
  private final int maxLine;

  private byte[] in;
  private final byte[] buffer = new byte[WRITE_BUFFER];
  private int buffered;

  /** Scratch for retrieve keys, whose quotes are dropped. */
  private byte[] scratch = new byte[256];

  private long lineNumber;

  /** Lines whose table memory is read ahead at a time. */
  private static final int AHEAD = 32;

  private final int[] aheadHashes = new int[AHEAD];
  private boolean rejected;
  private boolean found;

  CommandRunner(LoadBalancer balancer, OutputStream out, PrintStream err, String name) {
    this(balancer, out, err, name, null);
  }

  /**
   * Creates a runner whose reader thread hashes keys with {@code aheadHash} (which must be the
   * balancer's key hash and stateless), or leaves hashing to this thread when it is null.
   */
  CommandRunner(
      LoadBalancer balancer, OutputStream out, PrintStream err, String name, KeyHash aheadHash) {
    this(balancer, out, err, name, aheadHash, defaultLineLimit());
  }

  /** Creates a runner that skips, with a diagnostic, lines longer than {@code maxLine} bytes. */
  CommandRunner(
      LoadBalancer balancer,
      OutputStream out,
      PrintStream err,
      String name,
      KeyHash aheadHash,
      int maxLine) {
    this.balancer = balancer;
    this.out = out;
    this.err = err;
    this.name = name;
    this.aheadHash = aheadHash;
    this.maxLine = maxLine;
  }

  /**
   * Returns the default line limit: {@link #DEFAULT_LINE_LIMIT}, or an eighth of the largest heap
   * the JVM may use when that is less (a line is held in the read buffer, then stored), in whole
   * KiB and at least 64 KiB.
   */
  static int defaultLineLimit() {
    long eighth = Runtime.getRuntime().maxMemory() / 8;
    return (int) Math.max(64 << 10, Math.min(DEFAULT_LINE_LIMIT, eighth & ~1023L));
  }

  LoadBalancer balancer() {
    return balancer;
  }

  /** Returns the number of the line being run, or of the last line run (from 1). */
  long lineNumber() {
    return lineNumber;
  }

  /** Runs every line of {@code input}; returns 0 when all ran, 1 when any was rejected. */
  int run(InputStream input) throws IOException {
    LineReader reader = new LineReader(input, aheadHash, maxLine);
    Thread thread = new Thread(reader, "ringlb-reader");
    thread.setDaemon(true);
    thread.start();
    try {
      while (true) {
        LineReader.Chunk chunk = reader.next();
        in = chunk.bytes;
        run(chunk);
        if (chunk.failure != null) {
          throw rethrow(chunk.failure);
        }
        if (chunk.last) {
          break;
        }
        reader.recycle(chunk);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while reading " + name);
    } finally {
      thread.interrupt();
    }
    flush();
    return rejected ? Main.ExitCode.REJECTED : Main.ExitCode.OK;
  }

  /** Executes the lines of a chunk, in order. */
  private void run(LineReader.Chunk chunk) {
    final byte[] in = chunk.bytes;
    final int count = chunk.count;
    final byte[] kinds = chunk.kinds;
    for (int i = 0; i < count; i++) {
      if ((i & (AHEAD - 1)) == 0 && aheadHash != null) {
        prefetch(chunk, i, Math.min(count, i + AHEAD));
      }
      byte kind = kinds[i];
      if (kind == LineReader.STORE) {
        lineNumber++;
        int keyOffset = chunk.keyOffsets[i];
        int keyLength = chunk.keyLengths[i];
        int hash = aheadHash != null ? chunk.hashes[i] : balancer.hashKey(in, keyOffset, keyLength);
        store(in, keyOffset, keyLength, chunk.valueOffsets[i], chunk.valueLengths[i], hash);
      } else if (kind == LineReader.RETRIEVE) {
        lineNumber++;
        int keyOffset = chunk.keyOffsets[i];
        int keyLength = chunk.keyLengths[i];
        int hash = aheadHash != null ? chunk.hashes[i] : balancer.hashKey(in, keyOffset, keyLength);
        retrieve(in, keyOffset, keyLength, hash);
      } else if (kind == LineReader.TOO_LONG) {
        lineNumber++;
        reject(
            "line longer than "
                + maxLine
                + " bytes, the limit, skipped; it starts '"
                + text(in, chunk.starts[i], chunk.ends[i])
                + "'");
      } else {
        line(chunk.starts[i], chunk.ends[i]);
      }
    }
  }

  /**
   * Has the balancer read ahead the table memory that lines {@code from} to {@code to} of the chunk
   * will use, so that their cache misses overlap; their hashes are already known.
   */
  private void prefetch(LineReader.Chunk chunk, int from, int to) {
    if (balancer.serverCount() == 0) {
      return;
    }
    final int[] hashes = aheadHashes;
    int n = 0;
    for (int i = from; i < to; i++) {
      byte kind = chunk.kinds[i];
      if (kind == LineReader.STORE || kind == LineReader.RETRIEVE) {
        hashes[n++] = chunk.hashes[i];
      }
    }
    balancer.prefetch(hashes, n);
  }

  private static IOException rethrow(Throwable failure) {
    if (failure instanceof IOException io) {
      return io;
    }
    if (failure instanceof RuntimeException runtime) {
      throw runtime;
    }
    if (failure instanceof Error error) {
      throw error;
    }
    return new IOException(failure);
  }

  /** Executes the line held in {@code in[from, to)}, without its newline. */
  private void line(int from, int to) {
    lineNumber++;
    final byte[] in = this.in;
    if (to > from && in[to - 1] == '\r') {
      to--;
    }
    int p = from;
    while (p < to && isBlank(in[p])) {
      p++;
    }
    if (p == to) {
      return;
    }
    int wordEnd = p;
    while (wordEnd < to && !isBlank(in[wordEnd])) {
      wordEnd++;
    }
    int length = wordEnd - p;
    if (length == 5 && in[p] == 's' && matches(in, p, STORE)) {
      store(in, wordEnd, to);
    } else if (length == 8 && in[p] == 'r' && matches(in, p, RETRIEVE)) {
      retrieve(in, wordEnd, to);
    } else if (length == 10 && matches(in, p, ADD_SERVER)) {
      int id = serverId(in, wordEnd, to, "add_server");
      if (id >= 0) {
        addServer(id);
      }
    } else if (length == 13 && matches(in, p, REMOVE_SERVER)) {
      int id = serverId(in, wordEnd, to, "remove_server");
      if (id >= 0) {
        removeServer(id);
      }
    } else {
      reject("unknown command '" + text(in, p, wordEnd) + "'");
    }
  }

  private void store(byte[] in, int from, int to) {
    int q1 = indexOf(in, from, to, (byte) '"');
    int q2 = q1 < 0 ? -1 : indexOf(in, q1 + 1, to, (byte) '"');
    int q3 = q2 < 0 ? -1 : indexOf(in, q2 + 1, to, (byte) '"');
    int last = q3 < 0 ? -1 : lastIndexOf(in, q3 + 1, to, (byte) '"');
    if (last < 0) {
      int quotes = count(in, from, to, (byte) '"');
      reject(
          "store needs \"KEY\" \"VALUE\": found "
              + quotes
              + " quote"
              + (quotes == 1 ? "" : "s")
              + ", expected at least 4");
      return;
    }
    int keyOffset = q1 + 1;
    int keyLength = q2 - keyOffset;
    store(
        in,
        keyOffset,
        keyLength,
        q3 + 1,
        last - (q3 + 1),
        balancer.hashKey(in, keyOffset, keyLength));
  }

  /** Stores a located key and value; {@code hash} is the key's. */
  private void store(
      byte[] in, int keyOffset, int keyLength, int valueOffset, int valueLength, int hash) {
    if (balancer.serverCount() == 0) {
      reject("store: no server to store on (add_server first)");
      return;
    }
    int server = balancer.store(hash, in, keyOffset, keyLength, in, valueOffset, valueLength);
    write(STORED);
    write(in, valueOffset, valueLength);
    write(ON_SERVER);
    writeInt(server);
    write(DOT_NEWLINE);
  }

  private void retrieve(byte[] in, int from, int to) {
    int q1 = indexOf(in, from, to, (byte) '"');
    if (q1 < 0) {
      reject("retrieve needs \"KEY\": no quote found");
      return;
    }
    // The key is everything after the first quote, with every quote removed.
    byte[] key = in;
    int keyOffset = q1 + 1;
    int keyLength = to - keyOffset;
    int next = indexOf(in, keyOffset, to, (byte) '"');
    if (next >= 0) {
      if (scratch.length < keyLength) {
        scratch = new byte[Math.max(keyLength, scratch.length * 2)];
      }
      key = scratch;
      keyLength = 0;
      for (int i = keyOffset; i < to; i++) {
        if (in[i] != '"') {
          scratch[keyLength++] = in[i];
        }
      }
      keyOffset = 0;
    }
    retrieve(key, keyOffset, keyLength, balancer.hashKey(key, keyOffset, keyLength));
  }

  /** Retrieves a located key; {@code hash} is the key's. */
  private void retrieve(byte[] key, int keyOffset, int keyLength, int hash) {
    if (balancer.serverCount() == 0) {
      reject("retrieve: no server to retrieve from (add_server first)");
      return;
    }
    found = false;
    int server = balancer.retrieve(hash, key, keyOffset, keyLength, this);
    if (found) {
      write(FROM_SERVER);
      writeInt(server);
      write(DOT_NEWLINE);
    } else {
      write(KEY);
      write(key, keyOffset, keyLength);
      write(NOT_PRESENT);
    }
  }

  /** Receives a retrieved value: writes the start of the reply. */
  @Override
  public void accept(byte[] value, int offset, int length) {
    found = true;
    write(RETRIEVED);
    write(value, offset, length);
  }

  private void addServer(int id) {
    if (balancer.hasServer(id)) {
      reject("add_server: server " + id + " is already present");
      return;
    }
    balancer.addServer(id);
  }

  private void removeServer(int id) {
    if (!balancer.hasServer(id)) {
      reject("remove_server: server " + id + " is not present");
      return;
    }
    if (balancer.serverCount() == 1 && balancer.keys(id) > 0) {
      reject(
          "remove_server: server "
              + id
              + " is the last server and holds "
              + balancer.keys(id)
              + (balancer.keys(id) == 1 ? " key" : " keys")
              + ", which would have nowhere to go");
      return;
    }
    balancer.removeServer(id);
  }

  /** Parses the ID word after the command; returns -1 after rejecting the line. */
  private int serverId(byte[] in, int from, int to, String command) {
    int p = from;
    while (p < to && isBlank(in[p])) {
      p++;
    }
    if (p == to) {
      reject(command + ": missing server id");
      return -1;
    }
    int end = p;
    while (end < to && !isBlank(in[end])) {
      end++;
    }
    long value = 0;
    for (int i = p; i < end; i++) {
      byte b = in[i];
      if (b < '0' || b > '9') {
        reject(command + ": server id '" + text(in, p, end) + "' is not a number");
        return -1;
      }
      value = Math.min(value * 10 + (b - '0'), MAX_ID + 1L);
    }
    if (value > MAX_ID) {
      reject(command + ": server id " + text(in, p, end) + " is above " + MAX_ID);
      return -1;
    }
    int rest = end;
    while (rest < to && isBlank(in[rest])) {
      rest++;
    }
    if (rest < to) {
      int restEnd = rest;
      while (restEnd < to && !isBlank(in[restEnd])) {
        restEnd++;
      }
      reject(command + ": unexpected '" + text(in, rest, restEnd) + "' after the server id");
      return -1;
    }
    return (int) value;
  }

  private void reject(String problem) {
    rejected = true;
    err.println("ringlb run: " + name + ":" + lineNumber + ": " + problem);
  }

  private void write(byte[] bytes) {
    write(bytes, 0, bytes.length);
  }

  private void write(byte[] bytes, int offset, int length) {
    if (length > buffer.length - buffered) {
      flush();
      if (length > buffer.length) {
        try {
          out.write(bytes, offset, length);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
        return;
      }
    }
    System.arraycopy(bytes, offset, buffer, buffered, length);
    buffered += length;
  }

  private void writeInt(int value) {
    if (buffer.length - buffered < 11) {
      flush();
    }
    int end = buffered + decimalLength(value);
    int p = end;
    do {
      // value / 10 as a multiply and shift, exact for every non-negative int (no division)
      int quotient = (int) ((value * 3435973837L) >>> 35);
      buffer[--p] = (byte) ('0' + value - quotient * 10);
      value = quotient;
    } while (value != 0);
    buffered = end;
  }

  private static int decimalLength(int value) {
    int length = 1;
    for (long bound = 10; length < 10 && value >= bound; bound *= 10) {
      length++;
    }
    return length;
  }

  private void flush() {
    try {
      out.write(buffer, 0, buffered);
      out.flush();
      buffered = 0;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Writes what is buffered, ignoring a failing output, before reporting another failure. */
  void flushQuietly() {
    try {
      flush();
    } catch (UncheckedIOException ignored) {
      // the failure being reported matters more
    }
  }

  private static boolean isBlank(byte b) {
    return b == ' ' || b == '\t';
  }

  private static boolean matches(byte[] in, int p, byte[] word) {
    for (int i = 0; i < word.length; i++) {
      if (in[p + i] != word[i]) {
        return false;
      }
    }
    return true;
  }

  private static int indexOf(byte[] bytes, int from, int to, byte b) {
    for (int i = from; i < to; i++) {
      if (bytes[i] == b) {
        return i;
      }
    }
    return -1;
  }

  private static int lastIndexOf(byte[] bytes, int from, int to, byte b) {
    for (int i = to - 1; i >= from; i--) {
      if (bytes[i] == b) {
        return i;
      }
    }
    return -1;
  }

  private static int count(byte[] bytes, int from, int to, byte b) {
    int n = 0;
    for (int i = from; i < to; i++) {
      if (bytes[i] == b) {
        n++;
      }
    }
    return n;
  }

  /**
   * Renders input bytes for a diagnostic, shortened when long, with control characters (C0, DEL,
   * C1) and backslashes escaped so that no input byte reaches the terminal as a control.
   */
  static String text(byte[] bytes, int from, int to) {
    int shown = Math.min(to - from, 40);
    String s = new String(bytes, from, shown, StandardCharsets.UTF_8);
    StringBuilder out = new StringBuilder(s.length() + 8);
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '\\') {
        out.append("\\\\");
      } else if (c < 0x20 || c == 0x7f) {
        out.append(String.format("\\x%02x", (int) c));
      } else if (c >= 0x80 && c < 0xa0) {
        out.append(String.format("\\u%04x", (int) c));
      } else {
        out.append(c);
      }
    }
    return to - from > shown ? out + "..." : out.toString();
  }
}
