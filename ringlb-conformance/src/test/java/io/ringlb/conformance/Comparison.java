package io.ringlb.conformance;

import io.ringlb.conformance.Targets.Target;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One exchange's replies on the three targets, judged: each ringlb side must answer each step as
 * redis-server does, or exactly as an intended difference lists, and a listed difference must still
 * be one.
 */
final class Comparison {

  private final Exchange exchange;
  private final List<String> steps = new ArrayList<>();
  private final Map<Target, List<String>> replies;
  private final List<String> problems = new ArrayList<>();

  /**
   * Judges {@code replies} (one rendering per step, {@link Client#AFTER} last, per target) against
   * {@code rows}, the exchange's intended differences.
   */
  Comparison(Exchange exchange, Map<Target, List<String>> replies, List<Differences.Row> rows) {
    this.exchange = exchange;
    this.replies = Map.copyOf(replies);
    exchange.steps().forEach(s -> steps.add(s.text()));
    steps.add(Client.AFTER.text());
    for (Differences.Row row : rows) {
      long matches = steps.stream().filter(row.step()::equals).count();
      if (matches != 1) {
        problems.add(
            "docs/CONFORMANCE.md:"
                + row.line()
                + ": step `"
                + row.step()
                + "` is "
                + (matches == 0 ? "not a step" : "written " + matches + " times")
                + " of "
                + exchange.id()
                + " (steps: "
                + steps
                + ")");
      }
    }
    List<String> oracle = replies.get(Target.REDIS);
    for (Target t : List.of(Target.EMBEDDED, Target.PROXY)) {
      List<String> got = replies.get(t);
      for (int i = 0; i < steps.size(); i++) {
        Differences.Row row = row(rows, steps.get(i), t);
        String expected = row != null ? row.reply() : oracle.get(i);
        if (row != null && row.reply().equals(oracle.get(i))) {
          problems.add(
              "step `"
                  + steps.get(i)
                  + "`: the difference listed for "
                  + t.label
                  + " (docs/CONFORMANCE.md:"
                  + row.line()
                  + ") is what redis-server answers too");
        }
        if (!got.get(i).equals(expected)) {
          problems.add(
              "step `"
                  + steps.get(i)
                  + "`: "
                  + t.label
                  + " answers `"
                  + got.get(i)
                  + "`, expected `"
                  + expected
                  + "` ("
                  + (row != null ? "docs/CONFORMANCE.md:" + row.line() : "redis-server's reply")
                  + ")");
        }
      }
    }
  }

  private static Differences.Row row(List<Differences.Row> rows, String step, Target t) {
    for (Differences.Row r : rows) {
      if (r.step().equals(step) && r.covers(t)) {
        return r;
      }
    }
    return null;
  }

  /** The exchange judged. */
  Exchange exchange() {
    return exchange;
  }

  /** Whether every step is as redis-server answers it or as listed. */
  boolean conforms() {
    return problems.isEmpty();
  }

  /** What is wrong, one line each. */
  List<String> problems() {
    return problems;
  }

  /** Every step with the three replies. */
  String transcript() {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < steps.size(); i++) {
      sb.append("    step `").append(steps.get(i)).append("`\n");
      for (Target t : Target.values()) {
        sb.append(String.format("      %-8s `%s`%n", t.label, replies.get(t).get(i)));
      }
    }
    return sb.toString();
  }
}
