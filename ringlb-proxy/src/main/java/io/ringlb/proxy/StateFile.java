package io.ringlb.proxy;

import io.ringlb.core.HashTag;
import io.ringlb.placement.Placements;
import java.io.IOException;
import java.io.Reader;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.IntFunction;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.YAMLException;

/**
 * The ring as it stands and the migration under way, kept in a small YAML file so that a restarted
 * proxy routes exactly as the stopped one did and finishes its migration.
 *
 * <p>The file is replaced atomically (written beside, forced to disk, renamed), before a migration
 * starts moving keys and again after it ends; see {@code docs/ARCHITECTURE.md} for what that
 * guarantees.
 */
final class StateFile {

  /**
   * What the file records. {@code hashTag} is null when keys are routed on all their bytes; {@code
   * previous} and {@code migration} are null when none runs; {@code undone} is null unless the
   * migration undoes an aborted change, when it is the history that change led to (and {@code
   * history} the one before it).
   */
  record State(
      String placement,
      HashTag hashTag,
      Map<Integer, BackendSpec> backends,
      int[] ring,
      int[] previous,
      String migrationKind,
      int migrationServer,
      List<Integer> history,
      List<Integer> undone) {

    /** A state without a migration undoing an aborted change. */
    State(
        String placement,
        HashTag hashTag,
        Map<Integer, BackendSpec> backends,
        int[] ring,
        int[] previous,
        String migrationKind,
        int migrationServer,
        List<Integer> history) {
      this(
          placement,
          hashTag,
          backends,
          ring,
          previous,
          migrationKind,
          migrationServer,
          history,
          null);
    }

    /**
     * What the file records for history {@code h} with {@code m} (its last change) running, or
     * none; {@code specs} gives the address of each backend named.
     */
    static State of(RingHistory h, Migration m, IntFunction<BackendSpec> specs) {
      return of(h, m, null, specs);
    }

    /**
     * What the file records for history {@code h} with {@code m} running: the last change of {@code
     * h}, or, when {@code undone} is not null, the undoing of the change that led to {@code
     * undone}.
     */
    static State of(
        RingHistory h, Migration m, RingHistory undone, IntFunction<BackendSpec> specs) {
      int[] ring = h.ids();
      int[] previous = m == null ? null : undone != null ? undone.ids() : h.beforeLast().ids();
      Map<Integer, BackendSpec> backends = new TreeMap<>();
      for (int id : ring) {
        backends.put(id, specs.apply(id));
      }
      if (previous != null) {
        for (int id : previous) {
          backends.put(id, specs.apply(id));
        }
      }
      if (m != null) {
        backends.put(m.server(), m.backend().spec());
      }
      return new State(
          h.placementName(),
          h.hashTag(),
          backends,
          ring,
          previous,
          m == null ? null : m.kind().word(),
          m == null ? -1 : m.server(),
          new ArrayList<>(h.ops()),
          m == null || undone == null ? null : new ArrayList<>(undone.ops()));
    }
  }

  /** The ring's changes in order: {@code id} for an addition, {@code ~id} for a removal. */
  static List<Integer> parseHistory(Object value) {
    List<Integer> out = new ArrayList<>();
    for (Object item : (List<?>) value) {
      String text = String.valueOf(item).trim();
      int id = BackendSpec.parseId(text.substring(1), "history");
      if (text.charAt(0) == '+') {
        out.add(id);
      } else if (text.charAt(0) == '-') {
        out.add(~id);
      } else {
        throw new IllegalArgumentException("history entries are +ID or -ID, not '" + text + "'");
      }
    }
    return out;
  }

  private final Path path;

  StateFile(Path path) {
    this.path = path;
  }

  Path path() {
    return path;
  }

  /** Returns the recorded state, or null when the file does not exist. */
  State read() throws IOException {
    if (!Files.exists(path)) {
      return null;
    }
    try (Reader reader = Files.newBufferedReader(path, StandardCharsets.UTF_8)) {
      Object root = new Yaml(new SafeConstructor(new LoaderOptions())).load(reader);
      return parseRoot(root, path.toString());
    } catch (YAMLException e) {
      throw new IOException(path + ": not a ringlb state file: " + e.getMessage());
    }
  }

  /** Reads a state from {@code text} (as {@link #format} writes it); {@code where} names it. */
  static State parse(String text, String where) throws IOException {
    try {
      Object root = new Yaml(new SafeConstructor(new LoaderOptions())).load(text);
      return parseRoot(root, where);
    } catch (YAMLException e) {
      throw new IOException(where + ": not a ringlb state: " + e.getMessage());
    }
  }

  private static State parseRoot(Object root, String where) throws IOException {
    String path = where;
    try {
      Map<?, ?> map = (Map<?, ?>) root;
      String placement = String.valueOf(map.get("placement"));
      Placements.forStore(placement);
      // Files written before hash tags existed routed every key on all of its bytes.
      HashTag hashTag =
          map.containsKey("hash-tag") ? HashTag.parse(String.valueOf(map.get("hash-tag"))) : null;
      Map<Integer, BackendSpec> backends = new TreeMap<>();
      for (Map.Entry<?, ?> e : ((Map<?, ?>) map.get("backends")).entrySet()) {
        int id = BackendSpec.parseId(String.valueOf(e.getKey()), path.toString());
        backends.put(
            id, BackendSpec.parse(id, String.valueOf(e.getValue()), path + ": backend " + id));
      }
      int[] ring = ints(map.get("ring"));
      List<Integer> history = new ArrayList<>();
      if (map.get("history") != null) {
        history = parseHistory(map.get("history"));
      } else {
        for (int id : ring) {
          history.add(id);
        }
      }
      int[] previous = null;
      String kind = null;
      int server = -1;
      List<Integer> undone = null;
      Object migration = map.get("migration");
      if (migration != null) {
        Map<?, ?> m = (Map<?, ?>) migration;
        kind = String.valueOf(m.get("kind"));
        server = ((Number) m.get("server")).intValue();
        previous = ints(m.get("previous"));
        if (!kind.equals("add") && !kind.equals("remove")) {
          throw new IllegalArgumentException("migration kind must be add or remove: " + kind);
        }
        if (m.get("undoes") != null) {
          undone = parseHistory(m.get("undoes"));
        }
      }
      for (int id : concat(ring, previous)) {
        if (!backends.containsKey(id)) {
          throw new IllegalArgumentException("server " + id + " has no address");
        }
      }
      return new State(placement, hashTag, backends, ring, previous, kind, server, history, undone);
    } catch (ClassCastException | NullPointerException | IllegalArgumentException e) {
      throw new IOException(path + ": not a ringlb state file: " + e.getMessage());
    }
  }

  /** Replaces the file with {@code state}, atomically and durably. */
  void write(State state) throws IOException {
    String text =
        "# ringlb proxy state: the ring and any migration under way. Written by ringlb.\n"
            + format(state);
    Path dir = path.toAbsolutePath().getParent();
    Files.createDirectories(dir);
    // A fresh temporary file of a unique name, created (never opened) and readable by the owner
    // only: a symlink or file planted under any name is neither followed nor overwritten.
    Path tmp = createPrivate(dir, path.getFileName() + ".");
    try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
      ByteBuffer buf = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
      while (buf.hasRemaining()) {
        ch.write(buf);
      }
      ch.force(true);
    } catch (IOException | RuntimeException e) {
      Files.deleteIfExists(tmp);
      throw e;
    }
    Files.move(tmp, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
      d.force(true);
    } catch (IOException ignored) {
      // some file systems cannot sync a directory; the rename itself is atomic
    }
  }

  /** The YAML text of {@code state}: what the file holds, and the ring's value in etcd. */
  static String format(State state) {
    Map<String, Object> root = new LinkedHashMap<>();
    root.put("placement", state.placement());
    root.put("hash-tag", state.hashTag() == null ? "none" : state.hashTag().toString());
    Map<Integer, String> backends = new TreeMap<>();
    state.backends().forEach((id, spec) -> backends.put(id, spec.address()));
    root.put("backends", backends);
    root.put("ring", list(state.ring()));
    List<String> history = ops(state.history());
    // The order of changes matters to placements whose layout depends on it (slots).
    root.put("history", history);
    if (state.previous() != null) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("kind", state.migrationKind());
      m.put("server", state.migrationServer());
      m.put("previous", list(state.previous()));
      if (state.undone() != null) {
        // RING ABORT: the keys move back from the ring this history led to.
        m.put("undoes", ops(state.undone()));
      }
      root.put("migration", m);
    }
    DumperOptions options = new DumperOptions();
    options.setDefaultFlowStyle(DumperOptions.FlowStyle.BLOCK);
    return new Yaml(options).dump(root);
  }

  /**
   * Creates an empty file of a unique name starting with {@code prefix} in {@code dir}, mode 0600
   * where the file system has POSIX permissions; creation fails rather than follow a symlink.
   */
  private static Path createPrivate(Path dir, String prefix) throws IOException {
    if (dir.getFileSystem().supportedFileAttributeViews().contains("posix")) {
      return Files.createTempFile(
          dir,
          prefix,
          ".tmp",
          PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    }
    return Files.createTempFile(dir, prefix, ".tmp");
  }

  private static List<String> ops(List<Integer> history) {
    List<String> out = new ArrayList<>();
    for (int op : history) {
      out.add(op >= 0 ? "+" + op : "-" + ~op);
    }
    return out;
  }

  private static List<Integer> list(int[] ids) {
    List<Integer> out = new ArrayList<>();
    for (int id : ids) {
      out.add(id);
    }
    return out;
  }

  private static int[] ints(Object value) {
    List<?> list = (List<?>) value;
    int[] out = new int[list.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = ((Number) list.get(i)).intValue();
    }
    Arrays.sort(out);
    return out;
  }

  private static int[] concat(int[] a, int[] b) {
    if (b == null) {
      return a;
    }
    int[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
