package io.ringlb.simulator;

import java.util.List;
import java.util.Locale;

/** Renders a {@link Simulation} as one self-contained HTML page with inline SVG charts. */
final class SimulationReport {

  private static final String ADD_COLOR = "#2f6db5";
  private static final String REMOVE_COLOR = "#8a4fb0";
  private static final String STRAY_COLOR = "#d9534f";
  private static final String OK_COLOR = "#5b8fc7";
  private static final String HIGH_COLOR = "#e08a2e";
  private static final String LOW_COLOR = "#9bb7d6";

  /** Targets the summary table marks: balance, movement against optimal, lookup cost. */
  static final double TARGET_PEAK = 1.05;

  static final double TARGET_MOVE_RATIO = 1.1;
  static final double TARGET_LOOKUP_NS = 50;

  private SimulationReport() {}

  static String html(Simulation s) {
    StringBuilder out = new StringBuilder(64 * 1024);
    out.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
        .append("<title>ringlb simulate: ")
        .append(s.servers())
        .append(" servers, ")
        .append(s.keys())
        .append(" keys</title>\n<style>\n")
        .append(CSS)
        .append("</style>\n</head>\n<body>\n");
    out.append("<h1>Placement strategies compared</h1>\n");
    out.append(
        fmt(
            "<p class=\"lead\">%d servers, %,d keys (random 32-character hex strings, seed %d)."
                + " Each strategy places the same keys; then server %d joins, and, on a fresh"
                + " placement, server %d leaves.</p>\n",
            s.servers(),
            s.keys(),
            s.seed(),
            s.servers(),
            s.results().isEmpty() ? -1 : s.results().get(0).removedServer()));
    summary(out, s);
    out.append("<h2>Keys per server</h2>\n");
    out.append(
        "<p>Keys held by each server, as a multiple of the average (dashed line at 1). Bars above"
            + " +5% are orange; every chart has the same scale, and bars beyond it are cut with"
            + " their value written above.</p>\n<div class=\"grid\">\n");
    double top = loadScale(s.results());
    for (StrategyResult r : s.results()) {
      loadChart(out, r, s.keys(), top);
    }
    out.append("</div>\n");
    out.append("<h2>Keys moved</h2>\n");
    out.append(
        "<p>Keys that changed server when one server joined and when one left, as a percentage of"
            + " all keys. The black marks are the least that must move: 1/(N+1) on adding, 1/N on"
            + " removing. The red part moved between servers that were not concerned by the"
            + " change.</p>\n");
    movementChart(out, s);
    if (!s.ringSweep().isEmpty()) {
      out.append("<h2>Ring balance against labels per server</h2>\n");
      out.append(
          "<p>Peak-to-average load of <code>ring</code> as labels per server grow, measured on"
              + " the keys (blue) and on the ring's arcs alone (grey, no key sampling noise). The"
              + " spread of arc shares shrinks as 1/&#8730;labels.</p>\n");
      sweepChart(out, s);
    }
    out.append("<h2>Lookup cost</h2>\n");
    out.append(
        "<p>Nanoseconds per <code>serverFor</code> of a key hash (log scale): the best of several"
            + " passes over all keys, each strategy in a loop of its own, so independent lookups"
            + " overlap (a table lookup shows its throughput, not the latency of one cache miss)."
            + " The dashed line is the 50 ns target. Key hashing is not included. A measurement on"
            + " this machine, not a benchmark.</p>\n");
    lookupChart(out, s);
    out.append(NOTES);
    out.append("</body>\n</html>\n");
    return out.toString();
  }

  private static void summary(StringBuilder out, Simulation s) {
    out.append("<table class=\"summary\">\n<thead><tr>")
        .append("<th>strategy</th><th>peak / average</th><th>stddev</th>")
        .append("<th>moved on add</th><th>&#215; optimal</th>")
        .append("<th>moved on remove</th><th>&#215; optimal</th>")
        .append("<th>lookup ns</th><th>moves reported as</th><th>store</th>")
        .append("</tr></thead>\n<tbody>\n");
    for (StrategyResult r : s.results()) {
      boolean balanced = r.peakToAverage() <= TARGET_PEAK;
      boolean addOk = r.addRatio() <= TARGET_MOVE_RATIO;
      boolean removeOk = r.removeRatio() != null && r.removeRatio() <= TARGET_MOVE_RATIO;
      boolean fast = r.lookupNs() <= TARGET_LOOKUP_NS;
      boolean all = balanced && addOk && removeOk && fast;
      out.append(all ? "<tr class=\"winner\">" : "<tr>");
      out.append("<td class=\"name\">").append(escape(r.strategy()));
      if (all) {
        out.append(" <span class=\"badge\">meets all three targets</span>");
      }
      out.append("</td>");
      cell(out, fmt("%.3f", r.peakToAverage()), balanced);
      out.append("<td>").append(fmt("%.2f%%", 100 * r.stddev())).append("</td>");
      out.append("<td>").append(fmt("%.3f%%", 100 * r.movedAdd())).append("</td>");
      cell(out, fmt("%.3f", r.addRatio()), addOk);
      if (r.movedRemove() == null) {
        out.append("<td class=\"na\">n/a</td><td class=\"na bad\">no arbitrary removal</td>");
      } else {
        out.append("<td>").append(fmt("%.3f%%", 100 * r.movedRemove())).append("</td>");
        cell(out, fmt("%.3f", r.removeRatio()), removeOk);
      }
      cell(out, fmt("%.1f", r.lookupNs()), fast);
      out.append("<td>").append(r.ranges() ? "hash ranges" : "reassignment").append("</td>");
      out.append("<td>").append(r.storePlacement() ? "yes" : "simulator only").append("</td>");
      out.append("</tr>\n");
    }
    out.append("</tbody>\n</table>\n");
    out.append(
        fmt(
            "<p class=\"legend\">Green: within the targets (peak / average &#8804; %.2f, moves"
                + " &#8804; %.1f&#215; optimal, lookup &#8804; %.0f ns). Optimal moves: %.3f%% of"
                + " keys on adding, %.3f%% on removing.</p>\n",
            TARGET_PEAK,
            TARGET_MOVE_RATIO,
            TARGET_LOOKUP_NS,
            100.0 / (s.servers() + 1),
            100.0 / s.servers()));
  }

  private static void cell(StringBuilder out, String text, boolean good) {
    out.append("<td class=\"").append(good ? "good" : "bad").append("\">").append(text);
    out.append("</td>");
  }

  /** Returns the shared top of the load charts: the largest peak, within [1.2, 2.0]. */
  private static double loadScale(List<StrategyResult> results) {
    double peak = 1.2;
    for (StrategyResult r : results) {
      peak = Math.max(peak, r.peakToAverage());
    }
    return Math.min(2.0, Math.ceil(peak * 10) / 10);
  }

  private static void loadChart(StringBuilder out, StrategyResult r, int keys, double top) {
    int width = 360;
    int height = 170;
    int left = 34;
    int right = 8;
    int topPad = 26;
    int bottom = 20;
    int plotW = width - left - right;
    int plotH = height - topPad - bottom;
    int[] loads = r.loads();
    int n = loads.length;
    double average = (double) keys / n;
    out.append("<figure class=\"chart\">\n");
    svgOpen(out, width, height, "Keys per server for " + r.strategy());
    text(out, left, 15, "start", "title", r.strategy());
    text(
        out,
        width - right,
        15,
        "end",
        "sub",
        fmt("peak %.3f \u00b7 sd %.1f%%", r.peakToAverage(), 100 * r.stddev()));
    // grid and axis
    for (double y = 0; y <= top + 1e-9; y += top > 1.5 ? 0.5 : 0.25) {
      double py = topPad + plotH - y / top * plotH;
      line(out, left, py, left + plotW, py, y == 0 ? "axis" : "grid");
      text(out, left - 4, py + 3, "end", "tick", fmt("%.2f", y));
    }
    double barW = (double) plotW / n;
    double lastLabel = Double.NEGATIVE_INFINITY;
    for (int i = 0; i < n; i++) {
      double rel = loads[i] / average;
      double shown = Math.min(rel, top);
      double h = shown / top * plotH;
      double x = left + i * barW;
      String color = rel > 1.05 ? HIGH_COLOR : rel < 0.95 ? LOW_COLOR : OK_COLOR;
      out.append(
          fmt(
              "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"%s\">"
                  + "<title>server %d: %,d keys (%.3f of average)</title></rect>\n",
              x + 0.1, topPad + plotH - h, Math.max(barW - 0.2, 0.3), h, color, i, loads[i], rel));
      if (rel > top && x - lastLabel > 22) {
        text(out, x + barW / 2, topPad - 3, "middle", "clip", fmt("%.1f", rel));
        lastLabel = x;
      }
    }
    double avgY = topPad + plotH - 1 / top * plotH;
    out.append(
        fmt(
            "<line x1=\"%d\" y1=\"%.2f\" x2=\"%d\" y2=\"%.2f\" class=\"avg\"/>\n",
            left, avgY, left + plotW, avgY));
    text(out, left + plotW / 2.0, height - 5, "middle", "tick", "server id 0.." + (n - 1));
    out.append("</svg>\n</figure>\n");
  }

  private static void movementChart(StringBuilder out, Simulation s) {
    List<StrategyResult> results = s.results();
    int rowH = 34;
    int left = 150;
    int right = 90;
    int width = 900;
    int topPad = 30;
    int height = topPad + rowH * results.size() + 34;
    int plotW = width - left - right;
    double optimalAdd = 1.0 / (s.servers() + 1);
    double optimalRemove = 1.0 / s.servers();
    double max = 2.0 * optimalRemove;
    for (StrategyResult r : results) {
      max = Math.max(max, r.movedAdd());
      if (r.movedRemove() != null) {
        max = Math.max(max, r.movedRemove());
      }
    }
    max = niceCeiling(max * 100) / 100;
    out.append("<figure class=\"wide\">\n");
    svgOpen(out, width, height, "Keys moved on adding and removing a server");
    // legend
    legend(out, left, 16, ADD_COLOR, "server added");
    legend(out, left + 140, 16, REMOVE_COLOR, "server removed");
    legend(out, left + 300, 16, STRAY_COLOR, "moved between other servers");
    out.append(
        fmt(
            "<line x1=\"%d\" y1=\"12\" x2=\"%d\" y2=\"22\" class=\"opt\"/>",
            left + 530, left + 530));
    text(out, left + 537, 20, "start", "tick", "optimal");
    double step = tickStep(max * 100);
    for (double t = 0; t <= max * 100 + 1e-9; t += step) {
      double x = left + t / 100 / max * plotW;
      line(out, x, topPad - 4, x, height - 30, t == 0 ? "axis" : "grid");
      text(out, x, height - 16, "middle", "tick", fmt(step < 1 ? "%.1f%%" : "%.0f%%", t));
    }
    int row = 0;
    for (StrategyResult r : results) {
      double y = topPad + row * rowH;
      text(out, left - 8, y + 19, "end", "label", r.strategy());
      bar(out, left, y + 3, plotW, max, r.movedAdd(), r.strayAdd(), ADD_COLOR, 12);
      optimalMark(out, left, y + 1, plotW, max, optimalAdd, 16);
      text(
          out,
          left + Math.max(r.movedAdd(), optimalAdd) / max * plotW + 5,
          y + 13,
          "start",
          "value",
          fmt("%.2f%% (%.2f\u00d7)", 100 * r.movedAdd(), r.addRatio()));
      if (r.movedRemove() == null) {
        text(out, left + 4, y + 28, "start", "na", "cannot remove an arbitrary server");
      } else {
        bar(out, left, y + 17, plotW, max, r.movedRemove(), r.strayRemove(), REMOVE_COLOR, 12);
        optimalMark(out, left, y + 15, plotW, max, optimalRemove, 16);
        text(
            out,
            left + Math.max(r.movedRemove(), optimalRemove) / max * plotW + 5,
            y + 27,
            "start",
            "value",
            fmt("%.2f%% (%.2f\u00d7)", 100 * r.movedRemove(), r.removeRatio()));
      }
      row++;
    }
    out.append("</svg>\n</figure>\n");
  }

  private static void bar(
      StringBuilder out,
      double left,
      double y,
      double plotW,
      double max,
      double value,
      double stray,
      String color,
      double h) {
    double w = value / max * plotW;
    double strayW = stray / max * plotW;
    out.append(
        fmt(
            "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"%s\"/>\n",
            left, y, Math.max(w - strayW, 0), h, color));
    if (strayW > 0) {
      out.append(
          fmt(
              "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"%s\"/>\n",
              left + w - strayW, y, strayW, h, STRAY_COLOR));
    }
  }

  private static void optimalMark(
      StringBuilder out, double left, double y, double plotW, double max, double value, double h) {
    double x = left + value / max * plotW;
    out.append(
        fmt(
            "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" class=\"opt\"/>\n",
            x, y, x, y + h));
  }

  private static void sweepChart(StringBuilder out, Simulation s) {
    List<Simulation.LabelBalance> points = s.ringSweep();
    int width = 900;
    int height = 320;
    int left = 60;
    int right = 30;
    int topPad = 30;
    int bottom = 40;
    int plotW = width - left - right;
    int plotH = height - topPad - bottom;
    double minX = Math.log10(points.get(0).labels());
    double maxX = Math.log10(points.get(points.size() - 1).labels());
    double maxY = 1.5;
    for (Simulation.LabelBalance p : points) {
      maxY = Math.max(maxY, Math.max(p.peakToAverage(), p.sharePeakToAverage()));
    }
    maxY = Math.ceil(maxY * 2) / 2;
    out.append("<figure class=\"wide\">\n");
    svgOpen(out, width, height, "Ring balance against labels per server");
    legend(out, left, 16, ADD_COLOR, "peak / average of keys");
    legend(
        out, left + 200, 16, "#aaaaaa", "largest arc share \u00d7 N (dotted; close to the keys)");
    double yStep = maxY > 3 ? 0.5 : 0.25;
    for (double y = 1.0; y <= maxY + 1e-9; y += yStep) {
      double py = topPad + plotH - (y - 1.0) / (maxY - 1.0) * plotH;
      line(out, left, py, left + plotW, py, y == 1.0 ? "axis" : "grid");
      text(out, left - 6, py + 4, "end", "tick", fmt("%.2f", y));
    }
    double target = topPad + plotH - (TARGET_PEAK - 1.0) / (maxY - 1.0) * plotH;
    out.append(
        fmt(
            "<line x1=\"%d\" y1=\"%.2f\" x2=\"%d\" y2=\"%.2f\" class=\"target\"/>\n",
            left, target, left + plotW, target));
    text(out, left + 4, target - 4, "start", "tick", fmt("target %.2f", TARGET_PEAK));
    for (Simulation.LabelBalance p : points) {
      double x = left + (Math.log10(p.labels()) - minX) / (maxX - minX) * plotW;
      line(out, x, topPad + plotH, x, topPad + plotH + 4, "axis");
      text(out, x, topPad + plotH + 16, "middle", "tick", Integer.toString(p.labels()));
    }
    text(out, left + plotW / 2.0, height - 6, "middle", "tick", "labels per server (log scale)");
    polyline(out, points, true, left, topPad, plotW, plotH, minX, maxX, maxY, "#aaaaaa");
    polyline(out, points, false, left, topPad, plotW, plotH, minX, maxX, maxY, ADD_COLOR);
    out.append("</svg>\n</figure>\n");
  }

  private static void polyline(
      StringBuilder out,
      List<Simulation.LabelBalance> points,
      boolean share,
      int left,
      int topPad,
      int plotW,
      int plotH,
      double minX,
      double maxX,
      double maxY,
      String color) {
    StringBuilder coords = new StringBuilder();
    StringBuilder dots = new StringBuilder();
    for (Simulation.LabelBalance p : points) {
      double v = share ? p.sharePeakToAverage() : p.peakToAverage();
      double x = left + (Math.log10(p.labels()) - minX) / (maxX - minX) * plotW;
      double y = topPad + plotH - (Math.min(v, maxY) - 1.0) / (maxY - 1.0) * plotH;
      coords.append(fmt("%.2f,%.2f ", x, y));
      dots.append(
          fmt(
              "<circle cx=\"%.2f\" cy=\"%.2f\" r=\"3.5\" fill=\"%s\"><title>%d labels: %.3f"
                  + "</title></circle>\n",
              x, y, color, p.labels(), v));
      if (!share) {
        dots.append(
            fmt(
                "<text x=\"%.2f\" y=\"%.2f\" class=\"value\" text-anchor=\"start\">%.2f</text>\n",
                x + 5, y - 7, v));
      }
    }
    out.append(
        fmt(
            "<polyline points=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"%s\"%s/>\n",
            coords.toString().trim(),
            color,
            share ? "5" : "2",
            share ? " stroke-dasharray=\"2 3\" stroke-linecap=\"round\"" : ""));
    out.append(dots);
  }

  private static void lookupChart(StringBuilder out, Simulation s) {
    List<StrategyResult> results = s.results();
    int rowH = 24;
    int left = 150;
    int right = 80;
    int width = 900;
    int topPad = 10;
    int height = topPad + rowH * results.size() + 34;
    int plotW = width - left - right;
    double maxNs = TARGET_LOOKUP_NS * 2;
    double minNs = 1;
    for (StrategyResult r : results) {
      maxNs = Math.max(maxNs, r.lookupNs());
      minNs = Math.min(minNs, r.lookupNs());
    }
    double lo = Math.max(-3, Math.floor(Math.log10(Math.max(minNs, 0.001))));
    double hi = Math.ceil(Math.log10(maxNs));
    out.append("<figure class=\"wide\">\n");
    svgOpen(out, width, height, "Lookup cost per strategy");
    for (int e = (int) lo; e <= hi; e++) {
      double x = left + (e - lo) / (hi - lo) * plotW;
      line(out, x, topPad, x, height - 30, e == lo ? "axis" : "grid");
      text(
          out,
          x,
          height - 16,
          "middle",
          "tick",
          e < 0 ? fmt("%." + (-e) + "f ns", Math.pow(10, e)) : fmt("%.0f ns", Math.pow(10, e)));
    }
    double tx = left + (Math.log10(TARGET_LOOKUP_NS) - lo) / (hi - lo) * plotW;
    out.append(
        fmt(
            "<line x1=\"%.2f\" y1=\"%d\" x2=\"%.2f\" y2=\"%d\" class=\"target\"/>\n",
            tx, topPad, tx, height - 30));
    int row = 0;
    for (StrategyResult r : results) {
      double y = topPad + row * rowH;
      double v = Math.max(r.lookupNs(), Math.pow(10, lo));
      double w = (Math.log10(v) - lo) / (hi - lo) * plotW;
      text(out, left - 8, y + 15, "end", "label", r.strategy());
      out.append(
          fmt(
              "<rect x=\"%d\" y=\"%.2f\" width=\"%.2f\" height=\"14\" fill=\"%s\"/>\n",
              left,
              y + 4,
              Math.max(w, 1),
              r.lookupNs() <= TARGET_LOOKUP_NS ? OK_COLOR : HIGH_COLOR));
      text(out, left + w + 4, y + 15, "start", "value", fmt("%.1f ns", r.lookupNs()));
      row++;
    }
    out.append("</svg>\n</figure>\n");
  }

  private static void legend(StringBuilder out, double x, double y, String color, String label) {
    out.append(
        fmt(
            "<rect x=\"%.1f\" y=\"%.1f\" width=\"12\" height=\"10\" fill=\"%s\"/>",
            x, y - 8, color));
    text(out, x + 17, y + 1, "start", "tick", label);
  }

  private static double niceCeiling(double v) {
    double magnitude = Math.pow(10, Math.floor(Math.log10(v)));
    for (double m : new double[] {1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10}) {
      if (m * magnitude >= v) {
        return m * magnitude;
      }
    }
    return 10 * magnitude;
  }

  private static double tickStep(double range) {
    double raw = range / 6;
    double magnitude = Math.pow(10, Math.floor(Math.log10(raw)));
    for (double m : new double[] {1, 2, 2.5, 5, 10}) {
      if (m * magnitude >= raw) {
        return m * magnitude;
      }
    }
    return 10 * magnitude;
  }

  private static void svgOpen(StringBuilder out, int width, int height, String label) {
    out.append(
        fmt(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" width=\"%d\""
                + " height=\"%d\" role=\"img\" aria-label=\"%s\">\n",
            width, height, width, height, escape(label)));
  }

  private static void line(
      StringBuilder out, double x1, double y1, double x2, double y2, String cls) {
    out.append(
        fmt(
            "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" class=\"%s\"/>\n",
            x1, y1, x2, y2, cls));
  }

  private static void text(
      StringBuilder out, double x, double y, String anchor, String cls, String content) {
    out.append(
        fmt(
            "<text x=\"%.2f\" y=\"%.2f\" text-anchor=\"%s\" class=\"%s\">%s</text>\n",
            x, y, anchor, cls, escape(content)));
  }

  static String escape(String text) {
    StringBuilder out = new StringBuilder(text.length());
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      switch (c) {
        case '&':
          out.append("&amp;");
          break;
        case '<':
          out.append("&lt;");
          break;
        case '>':
          out.append("&gt;");
          break;
        case '"':
          out.append("&quot;");
          break;
        case '\'':
          out.append("&#39;");
          break;
        default:
          out.append(c);
      }
    }
    return out.toString();
  }

  private static String fmt(String format, Object... args) {
    return String.format(Locale.ROOT, format, args);
  }

  private static final String CSS =
      "body{font:14px/1.45 -apple-system,'Segoe UI',Helvetica,Arial,sans-serif;color:#222;"
          + "margin:24px auto;max-width:1120px;padding:0 16px}\n"
          + "h1{font-size:24px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 6px;"
          + "border-bottom:1px solid #ddd;padding-bottom:4px}\n"
          + "p{margin:4px 0 10px;max-width:900px}.lead{color:#555}.legend{color:#666;font-size:12px}\n"
          + "code{background:#f3f3f3;padding:0 3px;border-radius:3px}\n"
          + "table.summary{border-collapse:collapse;margin:10px 0;font-variant-numeric:tabular-nums}\n"
          + "table.summary th,table.summary td{border:1px solid #ddd;padding:4px 8px;"
          + "text-align:right}\n"
          + "table.summary th{background:#f5f5f5;font-weight:600}\n"
          + "table.summary td.name{text-align:left;font-family:monospace;white-space:nowrap}\n"
          + "td.good{background:#e3f4e1;color:#1d6b1d}td.bad{background:#fbeaea;color:#8b1d1d}\n"
          + "td.na{color:#999}tr.winner td.name{font-weight:700}\n"
          + ".badge{font:600 11px sans-serif;background:#1d6b1d;color:#fff;border-radius:8px;"
          + "padding:1px 7px;margin-left:6px}\n"
          + ".grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(360px,1fr));gap:8px}\n"
          + "figure{margin:0}figure.chart{border:1px solid #eee;border-radius:4px}\n"
          + "figure.wide{margin:6px 0 12px}\n"
          + "svg text{font-family:-apple-system,'Segoe UI',Helvetica,Arial,sans-serif}\n"
          + "svg .title{font:600 13px monospace;fill:#222}svg .sub{font-size:11px;fill:#555}\n"
          + "svg .tick{font-size:10px;fill:#666}svg .label{font:12px monospace;fill:#222}\n"
          + "svg .value{font-size:10px;fill:#333}svg .na{font-size:11px;fill:#999;font-style:italic}\n"
          + "svg .clip{font-size:9px;fill:#b85c00}\n"
          + "svg .grid{stroke:#eee;stroke-width:1}svg .axis{stroke:#999;stroke-width:1}\n"
          + "svg .avg{stroke:#222;stroke-width:1;stroke-dasharray:4 3}\n"
          + "svg .opt{stroke:#000;stroke-width:2.5}\n"
          + "svg .target{stroke:#1d6b1d;stroke-width:1.5;stroke-dasharray:6 4}\n";

  private static final String NOTES =
      "<h2>How to read this</h2>\n<ul>\n"
          + "<li><b>peak / average</b>: keys on the busiest server over the mean; 1.0 is perfect."
          + " With this many keys, pure chance alone gives about 1 + 2.5/&#8730;(keys/N).</li>\n"
          + "<li><b>moved</b>: fraction of all keys whose server changed. A consistent scheme"
          + " moves only keys that must: to the joining server, or off the leaving one.</li>\n"
          + "<li><b>moves reported as</b>: <i>hash ranges</i> lets a store hand over exactly the"
          + " ranges that changed; <i>reassignment</i> means every key must be checked.</li>\n"
          + "<li><b>store</b>: jump cannot remove an arbitrary server and bounded loads depend on"
          + " the load at arrival, so neither can hold the data of <code>ringlb run</code> or"
          + " <code>ringlb serve</code>.</li>\n</ul>\n";
}
