package io.ringlb.conformance;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The table of intended differences in docs/CONFORMANCE.md, the one place they are written: the
 * rows between {@link #BEGIN} and {@link #END}, each {@code | exchange | step | target | ringlb
 * answers | why |}, cells in backticks where they are code.
 */
final class Differences {

  static final String BEGIN = "<!-- intended differences: begin -->";
  static final String END = "<!-- intended differences: end -->";

  /** The target column's words: one of ringlb's two sides, or both. */
  static final Set<String> TARGETS = Set.of("embedded", "proxy", "both");

  /**
   * One row.
   *
   * @param exchange an exchange's id, {@code connection/hello-3}
   * @param step one of its steps' text as written, or {@code (after) PING}
   * @param target {@code embedded}, {@code proxy} or {@code both}
   * @param reply what that side answers, rendered as {@link Rendering} writes it
   * @param why the reason, for a reader
   * @param line the row's line in the document
   */
  record Row(String exchange, String step, String target, String reply, String why, int line) {

    boolean covers(Targets.Target t) {
      return target.equals("both") || target.equals(t.label);
    }
  }

  private final List<Row> rows;
  private final Map<String, List<Row>> byExchange = new HashMap<>();

  private Differences(List<Row> rows) {
    this.rows = List.copyOf(rows);
    for (Row r : rows) {
      byExchange.computeIfAbsent(r.exchange(), k -> new ArrayList<>()).add(r);
    }
  }

  /**
   * Parses the document's table.
   *
   * @param name for messages, the document's path
   * @throws IllegalArgumentException naming the line, for a missing table or a bad row
   */
  static Differences parse(String name, String markdown) {
    String[] lines = markdown.split("\r?\n", -1);
    List<Row> rows = new ArrayList<>();
    int begin = -1;
    int end = -1;
    for (int i = 0; i < lines.length; i++) {
      if (lines[i].strip().equals(BEGIN)) {
        begin = i;
      } else if (lines[i].strip().equals(END)) {
        end = i;
      }
    }
    if (begin < 0 || end < begin) {
      throw new IllegalArgumentException(name + ": no table between " + BEGIN + " and " + END);
    }
    int header = 0;
    for (int i = begin + 1; i < end; i++) {
      String line = lines[i].strip();
      String where = name + ":" + (i + 1);
      if (line.isEmpty()) {
        continue;
      }
      if (!line.startsWith("|") || !line.endsWith("|")) {
        throw new IllegalArgumentException(where + ": a table row starts and ends with |");
      }
      if (header++ < 2) {
        continue; // the header row and the |---| row
      }
      List<String> cells = cells(line);
      if (cells.size() != 5) {
        throw new IllegalArgumentException(
            where
                + ": a row has 5 cells (exchange, step, target,"
                + " ringlb answers, why), not "
                + cells.size());
      }
      Row row =
          new Row(
              code(cells.get(0)),
              code(cells.get(1)),
              cells.get(2),
              code(cells.get(3)),
              cells.get(4),
              i + 1);
      if (!TARGETS.contains(row.target())) {
        throw new IllegalArgumentException(
            where + ": target '" + row.target() + "' is not one of " + TARGETS);
      }
      if (row.why().isEmpty()) {
        throw new IllegalArgumentException(where + ": say why");
      }
      rows.add(row);
    }
    return new Differences(rows);
  }

  /** Every row, in the document's order. */
  List<Row> rows() {
    return rows;
  }

  /** The rows of {@code exchange}. */
  List<Row> of(String exchange) {
    return byExchange.getOrDefault(exchange, List.of());
  }

  /** Splits a row on the {@code |} that are not written {@code \|}, and unescapes those. */
  private static List<String> cells(String line) {
    List<String> cells = new ArrayList<>();
    StringBuilder cell = new StringBuilder();
    for (int i = 1; i < line.length(); i++) {
      char c = line.charAt(i);
      if (c == '\\' && i + 1 < line.length() && line.charAt(i + 1) == '|') {
        cell.append('|');
        i++;
      } else if (c == '|') {
        cells.add(cell.toString().strip());
        cell.setLength(0);
      } else {
        cell.append(c);
      }
    }
    return cells;
  }

  private static String code(String cell) {
    if (cell.length() >= 2 && cell.startsWith("`") && cell.endsWith("`")) {
      return cell.substring(1, cell.length() - 1);
    }
    return cell;
  }
}
