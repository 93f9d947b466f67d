package io.ringlb.cli;

import io.ringlb.cli.RunRecorder.Change;
import io.ringlb.cli.RunRecorder.Timeline;
import io.ringlb.core.TopologyListener.Flow;
import java.util.List;

/**
 * Renders the run report's section on servers added and removed: totals, a timeline of the keys
 * moved over the run, and a table of the changes with the keys each moved from and to which
 * servers.
 */
final class ChangesSection {

  private static final int WIDTH = 900;
  private static final int HEIGHT = 180;
  private static final int LEFT = 8;
  private static final int RIGHT = 8;
  private static final int TOP = 22;
  private static final int BOTTOM = 22;

  private ChangesSection() {}

  /** Returns the section for what {@code recorder} recorded. */
  static String render(RunRecorder recorder) {
    StringBuilder page = new StringBuilder(128 * 1024);
    page.append("<section id=\"changes\">\n<h2>add_server and remove_server over the run</h2>\n");
    if (recorder.changes() == 0) {
      return page.append("<p>No server was added or removed.</p>\n</section>\n").toString();
    }
    page.append("<p>")
        .append(Html.count(recorder.additions(), "add_server"))
        .append(" moved ")
        .append(Html.count(recorder.keysByAdditions(), "key"))
        .append("; ")
        .append(Html.count(recorder.removals(), "remove_server"))
        .append(" moved ")
        .append(Html.count(recorder.keysByRemovals(), "key"))
        .append(". A server that joins takes keys from the servers after its labels; one that")
        .append(" leaves gives its keys to them.</p>\n");
    timeline(page, recorder.timeline(), recorder.changes());
    table(page, recorder);
    return page.append("</section>\n").toString();
  }

  private static void timeline(StringBuilder page, Timeline timeline, long changes) {
    int bins = timeline.bins();
    long most = 1;
    int servers = 1;
    for (int i = 0; i < bins; i++) {
      most = Math.max(most, timeline.addedKeys()[i] + timeline.removedKeys()[i]);
      servers = Math.max(servers, timeline.servers()[i]);
    }
    double plotWidth = WIDTH - LEFT - RIGHT;
    double plotHeight = HEIGHT - TOP - BOTTOM;
    double binWidth = plotWidth / bins;
    page.append("<figure class=\"timeline\"><svg viewBox=\"0 0 ")
        .append(WIDTH)
        .append(' ')
        .append(HEIGHT)
        .append("\" role=\"img\" aria-label=\"keys moved over the run\">");
    page.append("<rect class=\"plot\" x=\"")
        .append(LEFT)
        .append("\" y=\"")
        .append(TOP)
        .append("\" width=\"")
        .append(Html.coordinate(plotWidth))
        .append("\" height=\"")
        .append(Html.coordinate(plotHeight))
        .append("\"/>");
    StringBuilder line = new StringBuilder();
    for (int i = 0; i < bins; i++) {
      long added = timeline.addedKeys()[i];
      long removed = timeline.removedKeys()[i];
      double x = LEFT + i * binWidth;
      double addedHeight = plotHeight * added / most;
      double removedHeight = plotHeight * removed / most;
      double base = TOP + plotHeight;
      // bars at most 24 wide, in the middle of their bin, when there are few changes
      double barWidth = Math.min(binWidth, 24);
      double barX = x + (binWidth - barWidth) / 2;
      bar(page, "added", barX, base - addedHeight, barWidth, addedHeight);
      bar(page, "removed", barX, base - addedHeight - removedHeight, barWidth, removedHeight);
      double y = TOP + plotHeight - plotHeight * timeline.servers()[i] / servers;
      line.append(i == 0 ? "" : " ")
          .append(Html.coordinate(x + binWidth / 2))
          .append(',')
          .append(Html.coordinate(y));
      long from = i * timeline.width() + 1;
      long to = Math.min((i + 1) * timeline.width(), changes);
      page.append("<rect class=\"hit\" x=\"")
          .append(Html.coordinate(x))
          .append("\" y=\"")
          .append(TOP)
          .append("\" width=\"")
          .append(Html.coordinate(binWidth))
          .append("\" height=\"")
          .append(Html.coordinate(plotHeight))
          .append("\"><title>")
          .append(from == to ? "change " + Html.count(from) : "changes " + range(from, to))
          .append(": ")
          .append(Html.count(added, "key"))
          .append(" moved by add_server, ")
          .append(Html.count(removed))
          .append(" by remove_server; ")
          .append(Html.count(timeline.servers()[i], "server"))
          .append(" after</title></rect>");
    }
    page.append("<polyline class=\"servers\" points=\"").append(line).append("\"/>");
    axis(page, LEFT, TOP - 8, "start", "keys moved: " + Html.count(most) + " at the top");
    axis(page, WIDTH - RIGHT, TOP - 8, "end", "servers: " + Html.count(servers) + " at the top");
    axis(page, LEFT, HEIGHT - 6, "start", "change 1");
    axis(page, WIDTH - RIGHT, HEIGHT - 6, "end", "change " + Html.count(changes));
    page.append("</svg><figcaption><span class=\"key added\"></span> keys moved by add_server")
        .append(" <span class=\"key removed\"></span> by remove_server")
        .append(" <span class=\"key servers\"></span> servers after the change");
    if (timeline.width() > 1) {
      page.append("; each bar sums ").append(Html.count(timeline.width())).append(" changes");
    }
    page.append(".</figcaption></figure>\n");
  }

  private static String range(long from, long to) {
    return Html.count(from) + "&#8211;" + Html.count(to);
  }

  private static void bar(
      StringBuilder page, String kind, double x, double y, double width, double height) {
    if (height <= 0) {
      return;
    }
    page.append("<rect class=\"")
        .append(kind)
        .append("\" x=\"")
        .append(Html.coordinate(x))
        .append("\" y=\"")
        .append(Html.coordinate(y))
        .append("\" width=\"")
        .append(Html.coordinate(width))
        .append("\" height=\"")
        .append(Html.coordinate(height))
        .append("\"/>");
  }

  private static void axis(StringBuilder page, double x, double y, String anchor, String text) {
    page.append("<text class=\"axis\" x=\"")
        .append(Html.coordinate(x))
        .append("\" y=\"")
        .append(Html.coordinate(y))
        .append("\" text-anchor=\"")
        .append(anchor)
        .append("\">")
        .append(Html.escape(text))
        .append("</text>");
  }

  private static void table(StringBuilder page, RunRecorder recorder) {
    page.append("<table class=\"changes\">\n<thead><tr><th>#</th><th>line</th><th>command</th>")
        .append(
            "<th>servers after</th><th>keys moved</th><th>from &#8594; to: keys</th></tr></thead>\n")
        .append("<tbody>\n");
    List<Change> first = recorder.first();
    List<Change> last = recorder.last();
    long listedKeys = 0;
    for (Change change : first) {
      row(page, change);
      listedKeys += change.keys();
    }
    for (Change change : last) {
      listedKeys += change.keys();
    }
    long unlisted = recorder.changes() - first.size() - last.size();
    if (unlisted > 0) {
      long keys = recorder.keysByAdditions() + recorder.keysByRemovals() - listedKeys;
      page.append("<tr class=\"gap\"><td colspan=\"6\">")
          .append(Html.count(unlisted, "more change"))
          .append(", which moved ")
          .append(Html.count(keys, "key"))
          .append(", are in the timeline above</td></tr>\n");
    }
    for (Change change : last) {
      row(page, change);
    }
    page.append("</tbody>\n</table>\n");
  }

  private static void row(StringBuilder page, Change change) {
    String command = change.added() ? "add_server" : "remove_server";
    page.append("<tr class=\"change ")
        .append(change.added() ? "added" : "removed")
        .append("\" data-server=\"")
        .append(change.server())
        .append("\"><td>")
        .append(Html.count(change.number()))
        .append("</td><td>")
        .append(change.line())
        .append("</td><td class=\"command\"><span class=\"swatch\" style=\"background:")
        .append(Html.colour(change.server()))
        .append("\"></span>")
        .append(command)
        .append(' ')
        .append(change.server())
        .append("</td><td>")
        .append(Html.count(change.serversAfter()))
        .append("</td><td class=\"keys\">")
        .append(Html.count(change.keys()))
        .append("</td><td class=\"flows\">")
        .append(flows(change.flows()));
    if (change.flowsLeftOut() > 0) {
      long kept = change.flows().stream().mapToLong(Flow::keys).sum();
      page.append(" and ")
          .append(Html.count(change.flowsLeftOut(), "more pair"))
          .append(" (")
          .append(Html.count(change.keys() - kept, "key"))
          .append(')');
    }
    page.append("</td></tr>\n");
  }

  /** Returns flows as "2 → 7: 3, 5 → 7: 1". */
  static String flows(List<Flow> flows) {
    StringBuilder text = new StringBuilder();
    for (Flow flow : flows) {
      text.append(text.length() == 0 ? "" : ", ")
          .append(flow.fromServer())
          .append(" &#8594; ")
          .append(flow.toServer())
          .append(": ")
          .append(Html.count(flow.keys()));
    }
    return text.toString();
  }
}
