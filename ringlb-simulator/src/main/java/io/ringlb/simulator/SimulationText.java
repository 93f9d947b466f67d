package io.ringlb.simulator;

import java.util.Locale;

/** Renders a {@link Simulation} as JSON, CSV and a text table. */
final class SimulationText {

  private static final String[] COLUMNS = {
    "strategy",
    "servers",
    "keys",
    "peak_to_average",
    "stddev",
    "stddev_keys",
    "moved_add",
    "optimal_add",
    "stray_add",
    "moved_remove",
    "optimal_remove",
    "stray_remove",
    "removed_server",
    "lookup_ns",
    "hash_ns",
    "moves_as",
    "store_placement"
  };

  private SimulationText() {}

  /** A JSON number or boolean, already formatted. */
  private record Raw(String text) {
    @Override
    public String toString() {
      return text;
    }
  }

  /** Returns the cells of one result, in {@link #COLUMNS} order; null for a JSON null. */
  private static Object[] cells(Simulation s, StrategyResult r) {
    return new Object[] {
      r.strategy(),
      raw(s.servers()),
      raw(s.keys()),
      fraction(r.peakToAverage()),
      fraction(r.stddev()),
      decimal(r.stddevKeys(), 1),
      fraction(r.movedAdd()),
      fraction(r.optimalAdd()),
      fraction(r.strayAdd()),
      r.movedRemove() == null ? null : fraction(r.movedRemove()),
      fraction(r.optimalRemove()),
      r.strayRemove() == null ? null : fraction(r.strayRemove()),
      raw(r.removedServer()),
      decimal(r.lookupNs(), 2),
      decimal(r.hashNs(), 2),
      r.ranges() ? "ranges" : "reassigned",
      raw(r.storePlacement())
    };
  }

  private static Raw raw(Object value) {
    return new Raw(String.valueOf(value));
  }

  static String json(Simulation s) {
    StringBuilder out = new StringBuilder("[");
    boolean firstRow = true;
    for (StrategyResult r : s.results()) {
      out.append(firstRow ? "\n  {" : ",\n  {");
      firstRow = false;
      Object[] cells = cells(s, r);
      for (int c = 0; c < COLUMNS.length; c++) {
        if (c > 0) {
          out.append(", ");
        }
        quote(out, COLUMNS[c]);
        out.append(": ");
        Object v = cells[c];
        if (v == null) {
          out.append("null");
        } else if (v instanceof Raw) {
          out.append(v);
        } else {
          quote(out, (String) v);
        }
      }
      out.append('}');
    }
    return out.append(s.results().isEmpty() ? "]\n" : "\n]\n").toString();
  }

  static String csv(Simulation s) {
    StringBuilder out = new StringBuilder(String.join(",", COLUMNS)).append('\n');
    for (StrategyResult r : s.results()) {
      Object[] cells = cells(s, r);
      for (int c = 0; c < cells.length; c++) {
        if (c > 0) {
          out.append(',');
        }
        out.append(cells[c] == null ? "" : csvCell(String.valueOf(cells[c])));
      }
      out.append('\n');
    }
    return out.toString();
  }

  static String table(Simulation s) {
    StringBuilder out = new StringBuilder();
    out.append(
        String.format(
            Locale.ROOT,
            "%d servers, %d keys, seed %d; moves as %% of all keys (optimal add %.3f%%, remove"
                + " %.3f%%); removed server %d%n",
            s.servers(),
            s.keys(),
            s.seed(),
            100.0 / (s.servers() + 1),
            100.0 / s.servers(),
            s.results().isEmpty() ? -1 : s.results().get(0).removedServer()));
    String header =
        String.format(
            Locale.ROOT,
            "%-20s %9s %8s %9s %8s %10s %8s %10s %8s%n",
            "strategy",
            "peak/avg",
            "stddev",
            "moved add",
            "x opt",
            "moved rem",
            "x opt",
            "lookup ns",
            "moves");
    out.append(header);
    for (StrategyResult r : s.results()) {
      out.append(
          String.format(
              Locale.ROOT,
              "%-20s %9.3f %7.2f%% %8.3f%% %8.2f %10s %8s %10.1f %8s%n",
              r.strategy(),
              r.peakToAverage(),
              100 * r.stddev(),
              100 * r.movedAdd(),
              r.addRatio(),
              r.movedRemove() == null
                  ? "n/a"
                  : String.format(Locale.ROOT, "%.3f%%", 100 * r.movedRemove()),
              r.removeRatio() == null ? "n/a" : String.format(Locale.ROOT, "%.2f", r.removeRatio()),
              r.lookupNs(),
              r.ranges() ? "ranges" : "rescan"));
    }
    return out.toString();
  }

  private static Raw fraction(double v) {
    return decimal(v, 6);
  }

  private static Raw decimal(double v, int digits) {
    if (Double.isNaN(v) || Double.isInfinite(v)) {
      throw new IllegalArgumentException("not a finite number: " + v);
    }
    return new Raw(String.format(Locale.ROOT, "%." + digits + "f", v));
  }

  /** Appends {@code text} as a JSON string literal. */
  static void quote(StringBuilder out, String text) {
    out.append('"');
    for (int i = 0; i < text.length(); i++) {
      char ch = text.charAt(i);
      switch (ch) {
        case '"':
          out.append("\\\"");
          break;
        case '\\':
          out.append("\\\\");
          break;
        case '\n':
          out.append("\\n");
          break;
        case '\r':
          out.append("\\r");
          break;
        case '\t':
          out.append("\\t");
          break;
        default:
          if (ch < 0x20 || ch == 0x2028 || ch == 0x2029) {
            out.append(String.format(Locale.ROOT, "\\u%04x", (int) ch));
          } else {
            out.append(ch);
          }
      }
    }
    out.append('"');
  }

  private static String csvCell(String text) {
    if (text.indexOf(',') < 0
        && text.indexOf('"') < 0
        && text.indexOf('\n') < 0
        && text.indexOf('\r') < 0) {
      return text;
    }
    return '"' + text.replace("\"", "\"\"") + '"';
  }
}
