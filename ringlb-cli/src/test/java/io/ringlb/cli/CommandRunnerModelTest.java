package io.ringlb.cli;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static org.assertj.core.api.Assertions.assertThat;

import io.ringlb.core.Hashes;
import io.ringlb.core.LoadBalancer;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * The runner against a plain model of SPEC.md, on inputs of several megabytes (several of the
 * reader's chunks), in the common forms and in every odd form the parser accepts or rejects, read
 * in reads of random sizes.
 */
class CommandRunnerModelTest {

  @Test
  void run_randomFiles_matchTheModel() throws IOException {
    for (long seed = 1; seed <= 3; seed++) {
      byte[] input = commands(new Random(seed), 60_000);
      assertThat(input.length).isGreaterThan(2 << 20);
      Model model = new Model();
      byte[] expected = model.run(input);
      for (boolean hashAhead : new boolean[] {true, false}) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        CommandRunner runner =
            new CommandRunner(
                LoadBalancer.seed(),
                out,
                new PrintStream(err, true, ISO_8859_1),
                "model",
                hashAhead ? Hashes.djb2() : null);
        int status = runner.run(new ChoppyStream(input, new Random(seed)));
        assertThat(new String(out.toByteArray(), ISO_8859_1))
            .as("seed %d", seed)
            .isEqualTo(new String(expected, ISO_8859_1));
        assertThat(err.toString(ISO_8859_1).lines().count()).isEqualTo(model.rejected);
        assertThat(status).isEqualTo(model.rejected > 0 ? 1 : 0);
      }
    }
  }

  @Test
  void run_lineLongerThanSeveralChunks() throws IOException {
    String value = "v".repeat(3 << 20);
    byte[] input =
        ("add_server 4\nstore \"big\" \"" + value + "\"\r\nretrieve \"big\"").getBytes(ISO_8859_1);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    CommandRunner runner =
        new CommandRunner(LoadBalancer.seed(), out, System.err, "long", Hashes.djb2());
    assertThat(runner.run(new ChoppyStream(input, new Random(9)))).isZero();
    assertThat(out.toString(ISO_8859_1))
        .isEqualTo("Stored " + value + " on server 4.\nRetrieved " + value + " from server 4.\n");
  }

  @Test
  void run_readFailsMidway_linesBeforeRunThenFailure() {
    byte[] good =
        "add_server 1\nstore \"a\" \"b\"\nretrieve \"a\"\nstore \"c\"".getBytes(ISO_8859_1);
    InputStream failing =
        new InputStream() {
          int next;

          @Override
          public int read() throws IOException {
            if (next == good.length) {
              throw new IOException("disk on fire");
            }
            return good[next++];
          }
        };
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    CommandRunner runner =
        new CommandRunner(LoadBalancer.seed(), out, System.err, "x", Hashes.djb2());
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> runner.run(failing))
        .isInstanceOf(IOException.class)
        .hasMessage("disk on fire");
    runner.flushQuietly();
    // the complete lines ran; the unfinished last line did not
    assertThat(out.toString(ISO_8859_1))
        .isEqualTo("Stored b on server 1.\nRetrieved b from server 1.\n");
  }

  /** A random command file: mostly canonical lines, with every variant the parser meets. */
  private static byte[] commands(Random random, int lines) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    List<String> keys = new ArrayList<>();
    TreeSet<Integer> servers = new TreeSet<>();
    for (int i = 0; i < lines; i++) {
      String eol = random.nextInt(50) == 0 ? "\r\n" : "\n";
      int kind = random.nextInt(100);
      String line;
      if (kind < 2 || servers.isEmpty() && kind < 10) {
        int id = random.nextInt(random.nextInt(10) == 0 ? 20 : 100_000);
        line = (random.nextInt(20) == 0 ? "add_server 000" : "add_server ") + id;
        servers.add(id);
      } else if (kind < 3) {
        int id =
            servers.isEmpty() || random.nextInt(4) == 0
                ? random.nextInt(100_000)
                : new ArrayList<>(servers).get(random.nextInt(servers.size()));
        line = "remove_server " + id;
        servers.remove(id);
      } else if (kind < 45) {
        String key = keys.isEmpty() || random.nextInt(3) > 0 ? key(random) : pick(random, keys);
        keys.add(key);
        String value = value(random);
        switch (random.nextInt(40)) {
          case 0 -> line = "store \"" + key + "\" \"" + value + "\"  trailing";
          case 1 -> line = "  store \"" + key + "\"\t\"" + value + "\"";
          case 2 -> line = "store \"" + key + "\" \"" + value;
          case 3 -> line = "store\t\"" + key + "\" \"" + value + "\"";
          case 4 -> line = "store \"" + key + "\" \"a \"quoted\" " + value + "\"";
          case 5 -> line = "store \"" + key + "\"";
          default -> line = "store \"" + key + "\" \"" + value + "\"";
        }
      } else if (kind < 95) {
        String key = keys.isEmpty() || random.nextInt(7) == 0 ? key(random) : pick(random, keys);
        switch (random.nextInt(40)) {
          case 0 -> line = "retrieve \"" + key;
          case 1 ->
              line =
                  "retrieve \""
                      + key.substring(0, key.length() / 2)
                      + "\""
                      + key.substring(key.length() / 2)
                      + "\"";
          case 2 -> line = "retrieve \"" + key + "\" ";
          case 3 -> line = " retrieve \"" + key + "\"";
          case 4 -> line = "retrieve " + key;
          default -> line = "retrieve \"" + key + "\"";
        }
      } else if (kind < 97) {
        line = random.nextBoolean() ? "" : " \t ";
      } else {
        line = random.nextBoolean() ? "frobnicate \"x\"" : "add_server " + key(random);
      }
      out.writeBytes((line + eol).getBytes(ISO_8859_1));
    }
    return out.toByteArray();
  }

  private static String key(Random random) {
    StringBuilder key = new StringBuilder();
    int length = random.nextInt(10) == 0 ? random.nextInt(4) : 32;
    for (int i = 0; i < length; i++) {
      key.append(
          random.nextInt(30) == 0
              ? (char) (0x80 + random.nextInt(128))
              : "0123456789abcdef".charAt(random.nextInt(16)));
    }
    return key.toString();
  }

  private static String value(Random random) {
    String[] words = {"Acme", "Wireless", "Keyboard", "Nova", "Steel", "Mug", "é", ""};
    StringBuilder value = new StringBuilder();
    for (int i = random.nextInt(4); i >= 0; i--) {
      value.append(words[random.nextInt(words.length)]).append(i > 0 ? " " : "");
    }
    return value.toString();
  }

  private static String pick(Random random, List<String> keys) {
    return keys.get(random.nextInt(keys.size()));
  }

  /** Serves the bytes in reads of random sizes, as pipes do. */
  private static final class ChoppyStream extends FilterInputStream {
    private final Random random;

    ChoppyStream(byte[] bytes, Random random) {
      super(new ByteArrayInputStream(bytes));
      this.random = random;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      return super.read(b, off, Math.min(len, 1 + random.nextInt(300_000)));
    }
  }

  /**
   * SPEC.md written as plainly as possible: the ring as a sorted set of (position, id), the data as
   * one map (an owner is a function of the hash, and nothing is ever dropped).
   */
  private static final class Model {
    final TreeSet<long[]> ring =
        new TreeSet<>((a, b) -> a[0] != b[0] ? Long.compare(a[0], b[0]) : Long.compare(a[1], b[1]));
    final Map<String, String> data = new HashMap<>();
    long rejected;

    byte[] run(byte[] input) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      String text = new String(input, ISO_8859_1);
      String[] lines = text.split("\n", -1);
      int count = text.endsWith("\n") ? lines.length - 1 : lines.length;
      for (int i = 0; i < count; i++) {
        String line =
            lines[i].endsWith("\r") ? lines[i].substring(0, lines[i].length() - 1) : lines[i];
        String reply = line(line);
        if (reply != null) {
          out.writeBytes(reply.getBytes(ISO_8859_1));
        }
      }
      return out.toByteArray();
    }

    private String line(String line) {
      String trimmed = line.replaceAll("^[ \t]+", "");
      if (trimmed.isEmpty()) {
        return null;
      }
      String[] words = trimmed.split("[ \t]+");
      switch (words[0]) {
        case "store" -> {
          int q1 = line.indexOf('"');
          int q2 = q1 < 0 ? -1 : line.indexOf('"', q1 + 1);
          int q3 = q2 < 0 ? -1 : line.indexOf('"', q2 + 1);
          int last = line.lastIndexOf('"');
          if (q3 < 0 || last <= q3 || ring.isEmpty()) {
            rejected++;
            return null;
          }
          String key = line.substring(q1 + 1, q2);
          String value = line.substring(q3 + 1, last);
          data.put(key, value);
          return "Stored " + value + " on server " + owner(key) + ".\n";
        }
        case "retrieve" -> {
          int q1 = line.indexOf('"');
          if (q1 < 0 || ring.isEmpty()) {
            rejected++;
            return null;
          }
          String key = line.substring(q1 + 1).replace("\"", "");
          String value = data.get(key);
          return value == null
              ? "Key " + key + " not present.\n"
              : "Retrieved " + value + " from server " + owner(key) + ".\n";
        }
        case "add_server", "remove_server" -> {
          if (words.length != 2
              || !words[1].matches("[0-9]+")
              || words[1].length() > 9
              || Integer.parseInt(words[1]) > 99_999) {
            rejected++;
            return null;
          }
          int id = Integer.parseInt(words[1]);
          boolean present = ring.contains(new long[] {Hashes.seedLabel(id) & 0xFFFFFFFFL, id});
          boolean add = words[0].equals("add_server");
          if (add == present || !add && ring.size() == 3 && holdsKeys(id)) {
            rejected++;
            return null;
          }
          for (int r = 0; r < 3; r++) {
            long[] label = {Hashes.seedLabel(r * 100_000 + id) & 0xFFFFFFFFL, id};
            if (add) {
              ring.add(label);
            } else {
              ring.remove(label);
            }
          }
          return null;
        }
        default -> {
          rejected++;
          return null;
        }
      }
    }

    private boolean holdsKeys(int id) {
      return data.keySet().stream().anyMatch(k -> owner(k) == id);
    }

    private long owner(String key) {
      byte[] bytes = key.getBytes(ISO_8859_1);
      long hash = Hashes.djb2(bytes, 0, bytes.length) & 0xFFFFFFFFL;
      long[] label = ring.ceiling(new long[] {hash, -1});
      return (label != null ? label : ring.first())[1];
    }
  }
}
