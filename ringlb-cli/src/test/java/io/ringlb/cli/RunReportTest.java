package io.ringlb.cli;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.ringlb.core.HashRing;
import io.ringlb.core.Placement;
import io.ringlb.placement.Placements;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;
import org.jsoup.parser.Parser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

/**
 * {@code ringlb run --report}: the page parses as HTML without an error, needs nothing from the
 * network, and shows the servers, their keys and every change's moves as an independent replay of
 * the file over a placement of its own computes them; the run's output is unchanged.
 */
class RunReportTest {

  private static final Path SHOP = Path.of("../examples/shop.txt");

  @TempDir Path dir;

  @Test
  void shop_everyServerWithItsKeys() throws IOException {
    Path report = dir.resolve("ring.html");
    Result result = run(SHOP.toString(), new byte[0], report, "seed");
    assertThat(result.status).isZero();
    Document page = parse(report);
    assertThat(keysPerServer(page)).isEqualTo(Map.of(0, 1L, 1, 3L, 7, 0L));
    assertThat(keysPerServer(page))
        .isEqualTo(replay(Files.readAllBytes(SHOP), HashRing::seed).keys);
    assertThat(page.select("#ring path.arc[data-server], #ring circle.arc[data-server]"))
        .extracting(arc -> arc.attr("data-server"))
        .containsOnly("0", "1", "7");
    assertThat(page.select("#ring circle.label")).hasSize(9);
    for (int server : new int[] {0, 1, 7}) {
      assertThat(page.select("#ring circle.label[data-server=" + server + "]")).hasSize(3);
      assertThat(page.select("#ring circle.label[data-server=" + server + "] title").text())
          .contains("label " + server)
          .contains("label " + (100_000 + server))
          .contains("label " + (200_000 + server));
    }
    assertThat(changes(page))
        .containsExactly(
            "1 add_server 0: 0 []",
            "2 add_server 1: 0 []",
            "3 add_server 2: 0 []",
            "10 add_server 7: 0 []",
            "12 remove_server 2: 2 [2 → 1: 2]");
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"seed", "maglev", "slots"})
  void randomFile_keysAndMovesAsAReplayComputesThem(String placement) throws IOException {
    byte[] input = randomFile(new Random(placement.hashCode()), 40, 400);
    Path report = dir.resolve(placement + ".html");
    Result result = run("random.txt", input, report, placement);
    assertThat(result.status).as(result.err()).isZero();
    Document page = parse(report);
    Replay replay = replay(input, () -> Placements.forStore(placement));
    assertThat(keysPerServer(page)).isEqualTo(replay.keys);
    assertThat(changes(page)).containsExactlyElementsOf(replay.changes);
    assertThat(replay.changes).anyMatch(change -> !change.endsWith("[]"));
    for (Element row : page.select("table.servers tbody tr[data-server]")) {
      int server = Integer.parseInt(row.attr("data-server"));
      assertThat(number(row.selectFirst("td.gained")))
          .isEqualTo(replay.gained.getOrDefault(server, 0L));
      assertThat(number(row.selectFirst("td.lost")))
          .isEqualTo(replay.lost.getOrDefault(server, 0L));
    }
  }

  @ParameterizedTest(name = "test{0}")
  @ValueSource(ints = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10})
  void conformanceCase_outputUnchangedByTheReport(int n) throws IOException {
    byte[] input = resource("conformance/test" + n + ".in");
    Result without = run("-", input, null, "seed");
    Path report = dir.resolve("test" + n + ".html");
    Result with = run("-", input, report, "seed");
    assertThat(with.stdout)
        .isEqualTo(without.stdout)
        .isEqualTo(resource("conformance/test" + n + ".ref"));
    assertThat(with.stderr).isEqualTo(without.stderr).isEmpty();
    assertThat(with.status).isEqualTo(without.status).isZero();
    assertThat(parse(report).select("table.servers")).hasSize(1);
  }

  @Test
  void rejectedLines_reportStillWritten_status1() throws IOException {
    Path report = dir.resolve("rejected.html");
    Result result =
        run("-", "add_server 1\nadd_server x\nstore \"k\" \"v\"\n".getBytes(UTF_8), report, "seed");
    assertThat(result.status).isEqualTo(Main.ExitCode.REJECTED);
    assertThat(result.out()).isEqualTo("Stored v on server 1.\n");
    assertThat(keysPerServer(parse(report))).isEqualTo(Map.of(1, 1L));
  }

  @Test
  void missingDirectory_toldBeforeTheRun_status3() {
    Path report = dir.resolve("no/such/dir/ring.html");
    Result result = run("-", "add_server 1\nstore \"k\" \"v\"\n".getBytes(UTF_8), report, "seed");
    assertThat(result.status).isEqualTo(Main.ExitCode.NO_REPORT);
    assertThat(result.err())
        .isEqualTo(
            "ringlb run: --report "
                + report
                + ": cannot write: no such directory "
                + report.getParent()
                + "\n");
    assertThat(result.stdout).as("nothing ran").isEmpty();
    assertThat(report.getParent()).doesNotExist();
  }

  @Test
  void directory_toldBeforeTheRun_status3() {
    Result result = run("-", "add_server 1\n".getBytes(UTF_8), dir, "seed");
    assertThat(result.status).isEqualTo(Main.ExitCode.NO_REPORT);
    assertThat(result.err()).contains(dir.toString()).contains("is a directory");
    assertThat(result.err().lines()).hasSize(1);
  }

  @Test
  void theCommandFileItself_refused() throws IOException {
    Path input = dir.resolve("commands.txt");
    Files.writeString(input, "add_server 1\n");
    Result result = run(input.toString(), "add_server 1\n".getBytes(UTF_8), input, "seed");
    assertThat(result.status).isEqualTo(Main.ExitCode.NO_REPORT);
    assertThat(result.err()).contains("is the command file");
    assertThat(input).hasContent("add_server 1\n");
  }

  /** /dev/full takes the open but refuses every write: the run has then printed all it prints. */
  @Test
  void writeFailsAfterTheRun_outputComplete_status3() {
    Path full = Path.of("/dev/full");
    assertThat(full).as("Linux's /dev/full").exists();
    byte[] input = "add_server 1\nstore \"k\" \"v\"\nretrieve \"k\"\n".getBytes(UTF_8);
    Result result = run("-", input, full, "seed");
    assertThat(result.out()).isEqualTo(run("-", input, null, "seed").out());
    assertThat(result.status).isEqualTo(Main.ExitCode.NO_REPORT);
    assertThat(result.err())
        .startsWith("ringlb run: --report /dev/full: cannot write: ")
        .doesNotContain("Exception")
        .doesNotContain("\tat ");
  }

  @Test
  void manyServersAndChanges_pageStaysSmall() throws IOException {
    int added = 2200;
    int removed = 0;
    StringBuilder input = new StringBuilder();
    for (int id = 0; id < added; id++) {
      input.append("add_server ").append(id).append('\n');
      if (id % 100 == 0) {
        input.append("store \"key").append(id).append("\" \"v\"\n");
      }
    }
    for (int id = 0; id < added; id += 22, removed++) {
      input.append("remove_server ").append(id).append('\n');
    }
    int left = added - removed;
    Path report = dir.resolve("many.html");
    Result result = run("many.txt", input.toString().getBytes(UTF_8), report, "seed");
    assertThat(result.status).as(result.err()).isZero();
    assertThat(Files.size(report)).isLessThan(4L << 20);
    Document page = parse(report);
    assertThat(page.select("table.servers tbody tr[data-server]")).hasSize(RunReport.SERVER_ROWS);
    assertThat(page.select("table.servers tr.gap").text())
        .startsWith((left - RunReport.SERVER_ROWS) + " more servers hold");
    assertThat(page.select("table.changes tr.change")).hasSize(2 * RunRecorder.LISTED);
    assertThat(page.select("table.changes tr.gap").text())
        .startsWith(Html.count(added + removed - 2 * RunRecorder.LISTED) + " more changes");
    assertThat(page.select(".timeline rect.hit").size()).isBetween(2, RunRecorder.BINS);
    assertThat(page.select("#ring .arc").size()).isBetween(2, RingPicture.SAMPLES);
    assertThat(page.select("#ring circle.label")).isEmpty();
    assertThat(page.select("#ring text.id")).isEmpty();
    assertThat(page.select("#ring figcaption").text())
        .contains(Html.count(3L * left) + " labels are too many");
  }

  @Test
  void emptyRun_pageSaysSo() throws IOException {
    Path report = dir.resolve("empty.html");
    assertThat(run("-", new byte[0], report, "seed").status).isZero();
    Document page = parse(report);
    assertThat(page.select("#servers p").text()).contains("No server");
    assertThat(page.select("#changes p").text()).contains("No server was added or removed");
  }

  @Test
  void fileName_escaped() throws IOException {
    Path report = dir.resolve("escaped.html");
    assertThat(run("<b>&amp;.txt", "add_server 5\n".getBytes(UTF_8), report, "seed").status)
        .isZero();
    Document page = parse(report);
    assertThat(page.select("h1 code").text()).isEqualTo(dir.resolve("<b>&amp;.txt").toString());
    assertThat(page.select("h1 b")).isEmpty();
  }

  @Test
  void help_namesTheOption() {
    StringWriter out = new StringWriter();
    CommandLine commandLine = Main.commandLine();
    commandLine.setOut(new PrintWriter(out));
    assertThat(commandLine.execute("run", "--help")).isZero();
    assertThat(out.toString()).contains("--report=HTML").contains("3 when");
  }

  /** Parses the page, which must need no network and raise no HTML5 parse error. */
  private static Document parse(Path report) throws IOException {
    String html = Files.readString(report, UTF_8);
    Parser parser = Parser.htmlParser().setTrackErrors(20);
    Document page = Jsoup.parse(html, "", parser);
    assertThat(parser.getErrors()).as("HTML parse errors").isEmpty();
    assertThat(html).startsWith("<!DOCTYPE html>");
    assertThat(page.select("script[src], link[href], img[src], iframe, [style*=url(]")).isEmpty();
    assertThat(html).doesNotContain("http:", "https:");
    assertThat(page.select("style")).hasSize(1);
    assertThat(page.select("script")).hasSize(1);
    return page;
  }

  private static Map<Integer, Long> keysPerServer(Document page) {
    Map<Integer, Long> keys = new TreeMap<>();
    for (Element row : page.select("table.servers tbody tr[data-server]")) {
      keys.put(Integer.parseInt(row.attr("data-server")), number(row.selectFirst("td.keys")));
    }
    return keys;
  }

  /** Each listed change as "LINE COMMAND SERVER: KEYS [FROM → TO: KEYS, ...]". */
  private static List<String> changes(Document page) {
    return page.select("table.changes tr.change").stream()
        .map(
            row ->
                row.child(1).text()
                    + " "
                    + row.selectFirst("td.command").text()
                    + ": "
                    + row.selectFirst("td.keys").text()
                    + " ["
                    + row.selectFirst("td.flows").text()
                    + "]")
        .collect(Collectors.toList());
  }

  private static long number(Element cell) {
    return Long.parseLong(cell.text().replace(",", ""));
  }

  /** Adds, removes and stores, with each server present when removed and never the last. */
  private static byte[] randomFile(Random random, int servers, int keys) {
    StringBuilder file = new StringBuilder();
    TreeSet<Integer> present = new TreeSet<>();
    int stored = 0;
    for (int step = 0; step < 120; step++) {
      int op = random.nextInt(5);
      if (op == 0 || present.size() < 2) {
        int id = random.nextInt(servers);
        if (present.add(id)) {
          file.append("add_server ").append(id).append('\n');
        }
      } else if (op == 1) {
        int id = present.stream().skip(random.nextInt(present.size())).findFirst().orElseThrow();
        present.remove(id);
        file.append("remove_server ").append(id).append('\n');
      } else if (stored < keys) {
        for (int i = 0; i < 8; i++, stored++) {
          file.append("store \"user:").append(random.nextInt(1 << 20)).append("\" \"v\"\n");
        }
      }
    }
    return file.toString().getBytes(UTF_8);
  }

  /**
   * The keys per server and each change's moves, from the owner of every stored key before and
   * after each change, as a placement of its own tells them.
   */
  private record Replay(
      Map<Integer, Long> keys,
      List<String> changes,
      Map<Integer, Long> gained,
      Map<Integer, Long> lost) {}

  private static Replay replay(byte[] input, Supplier<Placement> placements) {
    Placement placement = placements.get();
    Map<String, Boolean> stored = new LinkedHashMap<>();
    List<String> changes = new ArrayList<>();
    Map<Integer, Long> gained = new TreeMap<>();
    Map<Integer, Long> lost = new TreeMap<>();
    String[] lines = new String(input, UTF_8).split("\n", -1);
    for (int n = 1; n <= lines.length; n++) {
      String[] words = lines[n - 1].trim().split(" ");
      if (words[0].equals("store")) {
        stored.put(lines[n - 1].split("\"")[1], true);
      } else if (words[0].equals("add_server") || words[0].equals("remove_server")) {
        int id = Integer.parseInt(words[1]);
        Map<String, Integer> before = owners(placement, stored.keySet());
        if (words[0].equals("add_server")) {
          placement.addServer(id, Placement.MoveListener.NONE);
        } else {
          placement.removeServer(id, Placement.MoveListener.NONE);
        }
        Map<String, Integer> after = owners(placement, stored.keySet());
        TreeMap<Long, Long> flows = new TreeMap<>();
        long moved = 0;
        for (Map.Entry<String, Integer> owner : before.entrySet()) {
          int from = owner.getValue();
          int to = after.get(owner.getKey());
          if (from != to) {
            flows.merge(((long) from << 32) | to, 1L, Long::sum);
            gained.merge(to, 1L, Long::sum);
            lost.merge(from, 1L, Long::sum);
            moved++;
          }
        }
        // beyond RunRecorder.FLOWS_KEPT pairs, the page shows the largest and counts the others
        List<Map.Entry<Long, Long>> shown = new ArrayList<>(flows.entrySet());
        if (shown.size() > RunRecorder.FLOWS_KEPT) {
          shown.sort(Map.Entry.<Long, Long>comparingByValue().reversed());
          shown = shown.subList(0, RunRecorder.FLOWS_KEPT);
        }
        long shownKeys = shown.stream().mapToLong(Map.Entry::getValue).sum();
        int others = flows.size() - shown.size();
        String text =
            shown.stream()
                    .map(
                        f ->
                            (f.getKey() >>> 32)
                                + " → "
                                + (int) (long) f.getKey()
                                + ": "
                                + f.getValue())
                    .collect(Collectors.joining(", "))
                + (others == 0
                    ? ""
                    : " and "
                        + Html.count(others, "more pair")
                        + " ("
                        + Html.count(moved - shownKeys, "key")
                        + ")");
        changes.add(n + " " + words[0] + " " + id + ": " + moved + " [" + text + "]");
      }
    }
    Map<Integer, Long> keys = new TreeMap<>();
    for (int server : placement.servers()) {
      keys.put(server, 0L);
    }
    owners(placement, stored.keySet())
        .values()
        .forEach(server -> keys.merge(server, 1L, Long::sum));
    return new Replay(keys, changes, gained, lost);
  }

  private static Map<String, Integer> owners(Placement placement, Iterable<String> keys) {
    Map<String, Integer> owners = new LinkedHashMap<>();
    if (placement.size() > 0) {
      for (String key : keys) {
        owners.put(key, placement.serverFor(placement.hashKey(key.getBytes(UTF_8))));
      }
    }
    return owners;
  }

  /** Runs {@code input} given as stdin, or as a file named {@code file} unless that is "-". */
  private Result run(String file, byte[] input, Path report, String placement) {
    String name = file;
    if (!file.equals("-") && !Path.of(file).equals(SHOP)) {
      try {
        name = Files.write(dir.resolve(file), input).toString();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status =
        RunCommand.run(
            name,
            false,
            placement,
            report,
            new ByteArrayInputStream(input),
            out,
            new PrintStream(err, true, UTF_8));
    return new Result(status, out.toByteArray(), err.toByteArray());
  }

  private static byte[] resource(String name) throws IOException {
    try (InputStream in = RunReportTest.class.getClassLoader().getResourceAsStream(name)) {
      assertThat(in).as(name).isNotNull();
      return in.readAllBytes();
    }
  }

  private record Result(int status, byte[] stdout, byte[] stderr) {
    String out() {
      return new String(stdout, UTF_8);
    }

    String err() {
      return new String(stderr, UTF_8);
    }
  }
}
