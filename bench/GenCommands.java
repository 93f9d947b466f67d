import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;

/**
 * Writes a deterministic command file in the original design's format, for timing {@code ringlb
 * run} against other implementations of that design.
 *
 * <p>Run it as a single-file program through {@code bench/gen-commands}. The same options give the
 * same bytes on every JDK: the only source of randomness is {@link java.util.Random}, whose
 * algorithm is fixed by its specification.
 *
 * <p>Shape of the file for {@code --lines 1000000} (other sizes scale proportionally):
 *
 * <ul>
 *   <li>800 {@code add_server} lines first (distinct ids in 0..99999);
 *   <li>then 200 more {@code add_server} and 100 {@code remove_server} at random points: an add
 *       never names a present server, a remove always names a present one and never the last;
 *   <li>the rest, half {@code store}, half {@code retrieve}, chosen at random line by line;
 *   <li>keys are 32 lowercase hex characters; a third of the stores re-store an earlier key with a
 *       value different from its current one (or, with {@code --restore-value same}, with the
 *       same value: a file that implementations which append instead of replace also answer
 *       correctly); values are short product names;
 *   <li>about 15% of the retrieves ask for a key that is not stored at that point.
 * </ul>
 */
public final class GenCommands {

  private static final String USAGE =
      "usage: gen-commands [--lines N] [--seed S] [--initial-servers N] [--adds N] [--removes N]"
          + " OUTPUT\n"
          + "  writes a command file of N lines (default 1000000) to OUTPUT ('-' for stdout);\n"
          + "  by default 0.08% of the lines are initial add_server lines (800 per million), then\n"
          + "  0.02% later adds and 0.01% later removes; the seed defaults to 42.\n"
          + "  --restore-value same makes re-stores repeat the key's current value (the default,\n"
          + "  different, gives each re-store a new value); the file is otherwise the same.";

  private static final String[] BRANDS = {
    "Acme", "Zenith", "Nova", "Orion", "Apex", "Vertex", "Lumen", "Pioneer", "Summit", "Quasar",
    "Everest", "Nimbus", "Atlas", "Cobalt", "Falcon", "Horizon"
  };
  private static final String[] ADJECTIVES = {
    "Wireless", "Compact", "Steel", "Smart", "Pro", "Mini", "Classic", "Ultra", "Slim", "Digital",
    "Portable", "Cotton", "Leather", "Glass", "Bamboo", "Solar", "Ergo", "Silent", "Travel", "Eco"
  };
  private static final String[] NOUNS = {
    "Keyboard", "Headphones", "Router", "Laptop", "Mouse", "Monitor", "Speaker", "Charger",
    "Backpack", "Kettle", "Lamp", "Watch", "Camera", "Blender", "Jacket", "Sneakers", "Wallet",
    "Tablet", "Drone", "Toaster", "Mug", "Desk", "Chair", "Bottle", "Cable", "Tripod", "Scarf",
    "Printer", "Pillow", "Helmet", "Guitar", "Phone"
  };

  /** Number of distinct values: brand x (no adjective or one of them) x noun. */
  private static final int VALUES = BRANDS.length * (ADJECTIVES.length + 1) * NOUNS.length;

  private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

  private static final int MAX_SERVER_ID = 99_999;

  private final Random random;
  private final Out out;

  // servers present, in no particular order (swap-remove), and a presence bitmap
  private final int[] present = new int[MAX_SERVER_ID + 1];
  private int presentCount;
  private final boolean[] isPresent = new boolean[MAX_SERVER_ID + 1];

  // stored keys as two longs each, and the index of each key's current value
  private long[] keyHi = new long[1024];
  private long[] keyLo = new long[1024];
  private int[] valueOf = new int[1024];
  private int keyCount;
  private final Set<Key> everStored = new HashSet<>();

  long adds;
  long removes;
  long stores;
  long restores;
  long retrieves;
  long absentRetrieves;

  private final boolean restoreSameValue;

  private GenCommands(long seed, boolean restoreSameValue, OutputStream sink) {
    this.random = new Random(seed);
    this.restoreSameValue = restoreSameValue;
    this.out = new Out(sink);
  }

  public static void main(String[] args) {
    long lines = 1_000_000;
    long seed = 42;
    long initial = -1;
    long adds = -1;
    long removes = -1;
    boolean restoreSame = false;
    String output = null;
    try {
      for (int i = 0; i < args.length; i++) {
        String arg = args[i];
        switch (arg) {
          case "--lines" -> lines = parse(arg, args, ++i);
          case "--seed" -> seed = parse(arg, args, ++i);
          case "--initial-servers" -> initial = parse(arg, args, ++i);
          case "--adds" -> adds = parse(arg, args, ++i);
          case "--removes" -> removes = parse(arg, args, ++i);
          case "--restore-value" -> {
            String mode = ++i < args.length ? args[i] : "";
            if (!mode.equals("same") && !mode.equals("different")) {
              throw new IllegalArgumentException(
                  "--restore-value needs 'same' or 'different': '" + mode + "'");
            }
            restoreSame = mode.equals("same");
          }
          case "-h", "--help" -> {
            System.out.println(USAGE);
            return;
          }
          default -> {
            if (arg.startsWith("--") || output != null) {
              throw new IllegalArgumentException("unexpected argument '" + arg + "'");
            }
            output = arg;
          }
        }
      }
      if (output == null) {
        throw new IllegalArgumentException("missing OUTPUT");
      }
      if (lines < 1) {
        throw new IllegalArgumentException("--lines must be at least 1: " + lines);
      }
      if (initial < 0) {
        initial = Math.max(1, Math.min(lines, Math.round(lines * 0.0008)));
      }
      if (adds < 0) {
        adds = Math.round(lines * 0.0002);
      }
      if (removes < 0) {
        removes = Math.round(lines * 0.0001);
      }
      if (initial < 1) {
        throw new IllegalArgumentException("--initial-servers must be at least 1: " + initial);
      }
      if (initial + adds > MAX_SERVER_ID + 1 + removes) {
        throw new IllegalArgumentException(
            "too many servers: ids are limited to 0.." + MAX_SERVER_ID);
      }
      if (removes >= initial + adds) {
        throw new IllegalArgumentException(
            "--removes (" + removes + ") must be below the servers added (" + (initial + adds)
                + "): the last server is never removed");
      }
      if (initial + adds + removes > lines) {
        throw new IllegalArgumentException(
            "--lines (" + lines + ") is smaller than the topology lines ("
                + (initial + adds + removes) + ")");
      }
    } catch (IllegalArgumentException e) {
      System.err.println("gen-commands: " + e.getMessage());
      System.err.println(USAGE);
      System.exit(2);
      return;
    }

    try (OutputStream sink = "-".equals(output)
        ? System.out
        : Files.newOutputStream(Path.of(output))) {
      GenCommands gen = new GenCommands(seed, restoreSame, sink);
      gen.generate(lines, (int) initial, (int) adds, (int) removes);
      gen.out.flush();
      System.err.printf(
          "gen-commands: %d lines: %d add_server (%d initial), %d remove_server, %d store"
              + " (%d re-stores, %d distinct keys), %d retrieve (%d absent)%n",
          lines, gen.adds, initial, gen.removes, gen.stores, gen.restores, gen.keyCount,
          gen.retrieves, gen.absentRetrieves);
    } catch (IOException | UncheckedIOException e) {
      System.err.println("gen-commands: cannot write " + output + ": " + e.getMessage());
      System.exit(2);
    }
  }

  private static long parse(String option, String[] args, int i) {
    if (i >= args.length) {
      throw new IllegalArgumentException(option + " needs a value");
    }
    try {
      return Long.parseLong(args[i]);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(option + " needs a number: '" + args[i] + "'");
    }
  }

  private void generate(long lines, int initial, int laterAdds, int laterRemoves) {
    for (int i = 0; i < initial; i++) {
      addServer();
    }
    // the body: topology events spread at random among the data lines
    long body = lines - initial;
    long events = (long) laterAdds + laterRemoves;
    long[] eventAt = pickDistinctSorted(events, body);
    byte[] eventKind = new byte[(int) events];
    Arrays.fill(eventKind, 0, laterAdds, (byte) 1);
    shuffle(eventKind);
    int next = 0;
    for (long line = 0; line < body; line++) {
      if (next < eventAt.length && eventAt[next] == line) {
        if (eventKind[next] == 1 || presentCount == 1) {
          addServer();
        } else {
          removeServer();
        }
        next++;
      } else if (random.nextBoolean()) {
        store();
      } else {
        retrieve();
      }
    }
  }

  private void addServer() {
    int id;
    do {
      id = random.nextInt(MAX_SERVER_ID + 1);
    } while (isPresent[id]);
    isPresent[id] = true;
    present[presentCount++] = id;
    adds++;
    out.ascii("add_server ").number(id).newline();
  }

  private void removeServer() {
    int slot = random.nextInt(presentCount);
    int id = present[slot];
    present[slot] = present[--presentCount];
    isPresent[id] = false;
    removes++;
    out.ascii("remove_server ").number(id).newline();
  }

  private void store() {
    stores++;
    if (keyCount > 0 && random.nextInt(3) == 0) {
      restores++;
      int k = random.nextInt(keyCount);
      int value = random.nextInt(VALUES - 1);
      if (value >= valueOf[k]) {
        value++; // any value but the current one
      }
      if (!restoreSameValue) {
        valueOf[k] = value;
      }
      writeStore(k);
      return;
    }
    Key key = freshKey();
    everStored.add(key);
    if (keyCount == keyHi.length) {
      keyHi = Arrays.copyOf(keyHi, keyCount * 2);
      keyLo = Arrays.copyOf(keyLo, keyCount * 2);
      valueOf = Arrays.copyOf(valueOf, keyCount * 2);
    }
    keyHi[keyCount] = key.hi;
    keyLo[keyCount] = key.lo;
    valueOf[keyCount] = random.nextInt(VALUES);
    writeStore(keyCount++);
  }

  private void writeStore(int k) {
    out.ascii("store \"").hex(keyHi[k]).hex(keyLo[k]).ascii("\" \"");
    value(valueOf[k]);
    out.ascii("\"").newline();
  }

  private void retrieve() {
    retrieves++;
    if (keyCount == 0 || random.nextInt(100) < 15) {
      absentRetrieves++;
      Key key = freshKey();
      out.ascii("retrieve \"").hex(key.hi).hex(key.lo).ascii("\"").newline();
      return;
    }
    int k = random.nextInt(keyCount);
    out.ascii("retrieve \"").hex(keyHi[k]).hex(keyLo[k]).ascii("\"").newline();
  }

  /** Returns a key never stored so far. */
  private Key freshKey() {
    Key key;
    do {
      key = new Key(random.nextLong(), random.nextLong());
    } while (everStored.contains(key));
    return key;
  }

  private void value(int index) {
    int noun = index % NOUNS.length;
    index /= NOUNS.length;
    int adjective = index % (ADJECTIVES.length + 1);
    int brand = index / (ADJECTIVES.length + 1);
    out.ascii(BRANDS[brand]).ascii(" ");
    if (adjective < ADJECTIVES.length) {
      out.ascii(ADJECTIVES[adjective]).ascii(" ");
    }
    out.ascii(NOUNS[noun]);
  }

  /** Picks {@code count} distinct values in {@code [0, bound)}, ascending. */
  private long[] pickDistinctSorted(long count, long bound) {
    Set<Long> chosen = new HashSet<>();
    long[] picks = new long[(int) count];
    int n = 0;
    while (n < count) {
      long v = (long) (random.nextDouble() * bound);
      if (chosen.add(v)) {
        picks[n++] = v;
      }
    }
    Arrays.sort(picks);
    return picks;
  }

  private void shuffle(byte[] a) {
    for (int i = a.length - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      byte t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
  }

  private record Key(long hi, long lo) {}

  /** A small unsynchronized ASCII writer. */
  private static final class Out {
    private final OutputStream sink;
    private final byte[] buf = new byte[1 << 16];
    private int pos;

    Out(OutputStream sink) {
      this.sink = new BufferedOutputStream(sink, 1 << 16);
    }

    Out ascii(String s) {
      int n = s.length();
      ensure(n);
      for (int i = 0; i < n; i++) {
        buf[pos++] = (byte) s.charAt(i);
      }
      return this;
    }

    Out number(int v) {
      return ascii(Integer.toString(v));
    }

    Out hex(long v) {
      ensure(16);
      for (int shift = 60; shift >= 0; shift -= 4) {
        buf[pos++] = HEX[(int) (v >>> shift) & 0xF];
      }
      return this;
    }

    Out newline() {
      ensure(1);
      buf[pos++] = '\n';
      return this;
    }

    private void ensure(int n) {
      if (pos + n > buf.length) {
        drain();
      }
    }

    private void drain() {
      try {
        sink.write(buf, 0, pos);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      pos = 0;
    }

    void flush() {
      drain();
      try {
        sink.flush();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }
}
