package io.ringlb.cli;

import io.ringlb.core.HashRing;
import io.ringlb.core.Hashes;
import io.ringlb.core.LabelHash;
import io.ringlb.core.LoadBalancer;
import io.ringlb.core.Placement;
import io.ringlb.server.Version;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Locale;

/**
 * Renders the page of {@code ringlb run --report}: one self-contained HTML file (its style, script
 * and pictures inline, nothing fetched) with the ring after the run, the keys per server and every
 * server added or removed with the keys it moved. Every section stays readable and small however
 * many servers and changes there are: beyond {@link #SERVER_ROWS} servers the table lists those
 * holding the most keys, and the changes are listed in full at both ends of the run and drawn as a
 * timeline in between.
 */
final class RunReport {

  /** The most servers listed one per row. */
  static final int SERVER_ROWS = 2000;

  private RunReport() {}

  /** Returns the page for the run of {@code source} that left {@code balancer} as it is. */
  static String render(String source, LoadBalancer balancer, RunRecorder recorder) {
    Placement placement = balancer.placement();
    long keys = balancer.size();
    StringBuilder page = new StringBuilder(256 * 1024);
    page.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
        .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
        .append("<title>ringlb run ")
        .append(Html.escape(source))
        .append("</title>\n<style>\n")
        .append(resource("report.css"))
        .append("</style>\n</head>\n<body>\n<header>\n<h1>ringlb run <code>")
        .append(Html.escape(source))
        .append("</code></h1>\n<p class=\"facts\">placement <b>")
        .append(Html.escape(placement.name()))
        .append("</b> &#183; ")
        .append(Html.count(balancer.serverCount(), "server"))
        .append(
            placement instanceof HashRing ring
                ? " &#183; " + Html.count(ring.labelCount(), "label")
                : "")
        .append(" &#183; ")
        .append(Html.count(keys, "key"))
        .append(" &#183; ")
        .append(Html.count(recorder.changes(), "server"))
        .append(" added or removed &#183; ")
        .append(Html.count(recorder.keysByAdditions() + recorder.keysByRemovals(), "key"))
        .append(" moved</p>\n</header>\n<main>\n");
    RingPicture.Picture picture = RingPicture.of(placement, keys);
    page.append("<section id=\"ring\">\n<h2>The ring after the run</h2>\n<figure>")
        .append(picture.svg())
        .append("<figcaption>")
        .append(Html.escape(picture.caption()))
        .append("</figcaption></figure>\n</section>\n");
    servers(page, balancer, recorder);
    page.append(ChangesSection.render(recorder));
    page.append("</main>\n<footer>Written by ringlb ")
        .append(Html.escape(Version.current()))
        .append(" after the run; the page needs no network.</footer>\n<script>\n")
        .append(resource("report.js"))
        .append("</script>\n</body>\n</html>\n");
    return page.toString();
  }

  private static void servers(StringBuilder page, LoadBalancer balancer, RunRecorder recorder) {
    Placement placement = balancer.placement();
    int[] ids = balancer.servers();
    long total = balancer.size();
    page.append("<section id=\"servers\">\n<h2>Keys per server</h2>\n");
    if (ids.length == 0) {
      page.append("<p>No server is left at the end of the run.</p>\n</section>\n");
      return;
    }
    page.append("<p>").append(Html.escape(spread(balancer, ids))).append("</p>\n");
    Integer[] listed = Arrays.stream(ids).boxed().toArray(Integer[]::new);
    if (ids.length > SERVER_ROWS) {
      Arrays.sort(
          listed,
          Comparator.comparingInt((Integer id) -> balancer.keys(id))
              .reversed()
              .thenComparing(Comparator.naturalOrder()));
      listed = Arrays.copyOf(listed, SERVER_ROWS);
      page.append("<p>The ")
          .append(Html.count(SERVER_ROWS))
          .append(" servers holding the most keys, most first.</p>\n");
    }
    page.append("<table class=\"servers\">\n<thead><tr><th>server</th><th>labels</th>")
        .append("<th>keys</th><th>key share</th><th>ring share</th>")
        .append("<th title=\"keys moved to it by add_server and remove_server\">gained</th>")
        .append("<th title=\"keys moved away from it\">lost</th></tr></thead>\n<tbody>\n");
    LabelHash seedLabel = placement.name().equals("seed") ? Hashes.seedLabel() : null;
    long listedKeys = 0;
    for (int id : listed) {
      int keys = balancer.keys(id);
      listedKeys += keys;
      double share = total == 0 ? 0 : (double) keys / total;
      page.append("<tr id=\"server-")
          .append(id)
          .append("\" data-server=\"")
          .append(id)
          .append("\"><td class=\"id\"><span class=\"swatch\" style=\"background:")
          .append(Html.colour(id))
          .append("\"></span>")
          .append(id)
          .append("</td><td class=\"labels\">")
          .append(labels(placement, seedLabel, id))
          .append("</td><td class=\"keys\">")
          .append(Html.count(keys))
          .append("</td><td class=\"share\" style=\"--share:")
          .append(Html.fixed(100 * share, 1))
          .append("%\">")
          .append(Html.percent(share))
          .append("</td><td class=\"ring-share\">")
          .append(Html.percent(placement.share(id)))
          .append("</td><td class=\"gained\">")
          .append(Html.count(recorder.gained(id)))
          .append("</td><td class=\"lost\">")
          .append(Html.count(recorder.lost(id)))
          .append("</td></tr>\n");
    }
    if (listed.length < ids.length) {
      long rest = total - listedKeys;
      page.append("<tr class=\"gap\"><td colspan=\"7\">")
          .append(Html.count(ids.length - listed.length, "more server"))
          .append(
              rest == 0
                  ? " hold no key"
                  : " hold "
                      + Html.count(rest, "key")
                      + ", at most "
                      + Html.count(balancer.keys(listed[listed.length - 1]))
                      + " each")
          .append("</td></tr>\n");
    }
    page.append("</tbody>\n<tfoot><tr><td>total</td><td></td><td class=\"keys\">")
        .append(Html.count(total))
        .append("</td><td>100%</td><td></td><td></td><td></td></tr></tfoot>\n</table>\n")
        .append("</section>\n");
  }

  /** Says how evenly the keys are spread over the servers. */
  private static String spread(LoadBalancer balancer, int[] ids) {
    long total = balancer.size();
    if (total == 0) {
      return "No key is stored. An even spread would give each server "
          + Html.percent(1.0 / ids.length)
          + " of the keys.";
    }
    long fewest = Long.MAX_VALUE;
    long most = 0;
    double mean = (double) total / ids.length;
    double squares = 0;
    for (int id : ids) {
      long keys = balancer.keys(id);
      fewest = Math.min(fewest, keys);
      most = Math.max(most, keys);
      squares += (keys - mean) * (keys - mean);
    }
    double deviation = Math.sqrt(squares / ids.length);
    return String.format(
        Locale.ROOT,
        "Keys per server: fewest %s, most %s, mean %.2f; the busiest holds %.2f times the mean;"
            + " standard deviation %.2f (%.0f%% of the mean). An even spread would give each server"
            + " %s of the keys.",
        Html.count(fewest),
        Html.count(most),
        mean,
        most / mean,
        deviation,
        100 * deviation / mean,
        Html.percent(1.0 / ids.length));
  }

  /** The labels of a server: for the original ring their numbers and positions, else a count. */
  private static String labels(Placement placement, LabelHash seedLabel, int id) {
    int points = placement.points(id);
    if (seedLabel == null) {
      return Html.count(points);
    }
    StringBuilder labels = new StringBuilder();
    for (int r = 0; r < points; r++) {
      int label = r * 100_000 + id;
      labels
          .append(r == 0 ? "" : " ")
          .append("<span title=\"label ")
          .append(label)
          .append(" at ")
          .append(Integer.toUnsignedString(seedLabel.hash(label)))
          .append("\">")
          .append(Html.position(seedLabel.hash(label)))
          .append("</span>");
    }
    return labels.toString();
  }

  /** Returns the text of a resource of this package. */
  private static String resource(String name) {
    try (InputStream in = RunReport.class.getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException("missing resource " + name + " of the ringlb jar");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Returns why the report cannot be written at {@code path}, or null when it looks writable: told
   * before the run, so that a mistyped path costs no run. {@code input}, the command file or null
   * for stdin, is never overwritten.
   */
  static String problem(Path path, Path input) {
    if (Files.isDirectory(path)) {
      return "is a directory";
    }
    try {
      if (input != null && Files.exists(path) && Files.isSameFile(path, input)) {
        return "is the command file";
      }
    } catch (IOException e) {
      // the input cannot be read: the run says so
    }
    Path parent = path.toAbsolutePath().getParent();
    if (parent != null && !Files.isDirectory(parent)) {
      return "no such directory " + parent;
    }
    boolean writable = Files.exists(path) ? Files.isWritable(path) : Files.isWritable(parent);
    return writable ? null : "permission denied";
  }

  /** Writes the page to {@code path}, replacing any file there. */
  static void write(Path path, String page) throws IOException {
    Files.writeString(path, page, StandardCharsets.UTF_8);
  }
}
