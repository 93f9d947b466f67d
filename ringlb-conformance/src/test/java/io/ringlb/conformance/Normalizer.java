package io.ringlb.conformance;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;

/**
 * How one step's reply is rendered before it is compared: exactly ({@link #EXACT}), or with the
 * parts that differ from run to run replaced by a {@code <placeholder>}, as its exchange file asks
 * with a {@code ~marker} at the end of the step's line.
 *
 * <p>A reply that does not have the shape a marker expects is rendered exactly, so the difference
 * shows.
 */
interface Normalizer {

  /** No marker: the reply's exact bytes. */
  Normalizer EXACT = Reply::rendered;

  /** The markers, as a newcomer would read them in docs/CONFORMANCE.md. */
  String MARKERS = "~shape, ~within LOW..HIGH, ~pairs NAME,..., ~fields NAME,..., ~info, ~sorted";

  /** Renders {@code reply} for comparison. */
  String render(Reply reply);

  /**
   * Returns the normalizer a marker names: {@code shape}, {@code within 1..9}, {@code pairs
   * id,version}, {@code fields id,addr}, {@code info} or {@code sorted} (without the {@code ~}).
   *
   * @throws IllegalArgumentException naming the marker, for one that is not known
   */
  static Normalizer parse(String marker) {
    String[] parts = marker.trim().split("\\s+", 2);
    String name = parts[0];
    String arg = parts.length > 1 ? parts[1].trim() : "";
    switch (name) {
      case "shape" -> {
        noArgument(name, arg);
        return Normalizer::shape;
      }
      case "info" -> {
        noArgument(name, arg);
        return Normalizer::info;
      }
      case "sorted" -> {
        noArgument(name, arg);
        return Normalizer::sorted;
      }
      case "within" -> {
        String[] range = arg.split("\\.\\.", -1);
        try {
          long low = Long.parseLong(range[0]);
          long high = Long.parseLong(range[range.length - 1]);
          if (range.length != 2 || low > high) {
            throw new NumberFormatException();
          }
          return reply -> within(reply, low, high);
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException("~within needs LOW..HIGH with LOW <= HIGH: " + arg);
        }
      }
      case "pairs", "fields" -> {
        if (arg.isEmpty() || arg.contains(" ")) {
          throw new IllegalArgumentException("~" + name + " needs NAME,NAME,... : " + marker);
        }
        Set<String> names = Set.of(arg.split(","));
        return "pairs".equals(name) ? reply -> pairs(reply, names) : reply -> fields(reply, names);
      }
      default ->
          throw new IllegalArgumentException(
              "unknown marker ~" + name + " (known: " + MARKERS + ")");
    }
  }

  private static void noArgument(String name, String arg) {
    if (!arg.isEmpty()) {
      throw new IllegalArgumentException("~" + name + " takes no argument: " + arg);
    }
  }

  /** Every value by its type alone, aggregates by their counts: {@code :<integer>\r\n}. */
  private static String shape(Reply r) {
    if (r.isAggregate()) {
      StringBuilder sb = new StringBuilder(head(r));
      r.children().forEach(c -> sb.append(shape(c)));
      return sb.toString();
    }
    String kind =
        switch (r.type()) {
          case '+' -> "simple";
          case '-' -> "error";
          case ':' -> "integer";
          case '$' -> "bulk";
          default -> "value";
        };
    boolean isNull = r.type() == '_' || (r.payload() == null && r.head().equals("-1"));
    return isNull ? r.rendered() : (char) r.type() + "<" + kind + ">\\r\\n";
  }

  /** An integer between {@code low} and {@code high} as {@code :<low..high>\r\n}. */
  private static String within(Reply r, long low, long high) {
    if (r.isInteger()) {
      long v = Long.parseLong(r.head());
      if (v >= low && v <= high) {
        return ":<" + low + ".." + high + ">\\r\\n";
      }
    }
    return r.rendered();
  }

  /** In a flat name, value, name, value... aggregate, the values of {@code names}. */
  private static String pairs(Reply r, Set<String> names) {
    if (!r.isAggregate() || r.children().size() % 2 != 0) {
      return r.rendered();
    }
    StringBuilder sb = new StringBuilder(head(r));
    List<Reply> c = r.children();
    for (int i = 0; i < c.size(); i += 2) {
      String key = c.get(i).text();
      sb.append(c.get(i).rendered());
      if (key != null && names.contains(key)) {
        sb.append((char) c.get(i + 1).type()).append('<').append(key).append(">\\r\\n");
      } else {
        sb.append(c.get(i + 1).rendered());
      }
    }
    return sb.toString();
  }

  /** In a bulk of {@code name=value} words (CLIENT INFO), the values of {@code names}. */
  private static String fields(Reply r, Set<String> names) {
    if (!r.isBulk()) {
      return r.rendered();
    }
    String text = r.text();
    String end = text.endsWith("\n") ? "\n" : "";
    List<String> out = new ArrayList<>();
    for (String word : text.substring(0, text.length() - end.length()).split(" ", -1)) {
      int eq = word.indexOf('=');
      String name = eq < 0 ? word : word.substring(0, eq);
      out.add(eq >= 0 && names.contains(name) ? name + "=<" + name + ">" : word);
    }
    return "$?\\r\\n" + Rendering.escape(String.join(" ", out) + end) + "\\r\\n";
  }

  /** An INFO text by its section names, with any line that is neither section nor field. */
  private static String info(Reply r) {
    if (!r.isBulk()) {
      return r.rendered();
    }
    List<String> sections = new ArrayList<>();
    List<String> odd = new ArrayList<>();
    for (String line : r.text().split("\r\n", -1)) {
      if (line.startsWith("# ")) {
        sections.add(line.substring(2));
      } else if (!line.isEmpty() && line.indexOf(':') <= 0) {
        odd.add(line);
      }
    }
    StringBuilder sb = new StringBuilder("$?\\r\\n<info: ").append(String.join(", ", sections));
    odd.forEach(line -> sb.append("; not a field: ").append(Rendering.escape(line)));
    return sb.append(">\\r\\n").toString();
  }

  /** An aggregate with its elements sorted, for replies in no promised order (KEYS). */
  private static String sorted(Reply r) {
    if (!r.isAggregate()) {
      return r.rendered();
    }
    List<String> elements = new ArrayList<>();
    r.children().forEach(c -> elements.add(c.rendered()));
    Collections.sort(elements);
    return head(r) + String.join("", elements);
  }

  private static String head(Reply r) {
    return Rendering.escape((char) r.type() + r.head() + "\r\n");
  }
}
