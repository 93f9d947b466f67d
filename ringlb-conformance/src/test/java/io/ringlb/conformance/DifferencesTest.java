package io.ringlb.conformance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The table's parser, and the table against the exchange files (no servers). */
class DifferencesTest {

  private static final String TABLE =
      Differences.BEGIN
          + "\n"
          + "| exchange | step | target | ringlb answers | why |\n"
          + "|---|---|---|---|---|\n"
          + "| `a/b` | `CLIENT GETNAME \\| x` | proxy | `-ERR x\\r\\n` | because |\n"
          + Differences.END
          + "\n";

  @Test
  void parse_rows() {
    List<Differences.Row> rows = Differences.parse("doc", "intro\n" + TABLE).rows();
    assertThat(rows).hasSize(1);
    Differences.Row row = rows.get(0);
    assertThat(row.exchange()).isEqualTo("a/b");
    assertThat(row.step()).isEqualTo("CLIENT GETNAME | x");
    assertThat(row.reply()).isEqualTo("-ERR x\\r\\n");
    assertThat(row.line()).isEqualTo(5);
    assertThat(row.covers(Targets.Target.PROXY)).isTrue();
    assertThat(row.covers(Targets.Target.EMBEDDED)).isFalse();
  }

  @Test
  void parse_badTable_named() {
    assertThatThrownBy(() -> Differences.parse("doc", "no table"))
        .hasMessageContaining("no table between");
    assertThatThrownBy(() -> Differences.parse("doc", TABLE.replace("| proxy |", "| all |")))
        .hasMessageContaining("doc:4: target 'all'");
    assertThatThrownBy(() -> Differences.parse("doc", TABLE.replace("| because |", "|  |")))
        .hasMessageContaining("doc:4: say why");
    assertThatThrownBy(() -> Differences.parse("doc", TABLE.replace("| proxy |", "|")))
        .hasMessageContaining("a row has 5 cells");
  }

  @Test
  void theDocument_namesExistingExchangesAndSteps_once() throws IOException {
    Map<String, Exchange> exchanges = new HashMap<>();
    ConformanceTest.exchangeFiles().forEach(e -> exchanges.put(e.id(), e));
    Set<String> seen = new HashSet<>();
    for (Differences.Row row : ConformanceTest.differences().rows()) {
      Exchange e = exchanges.get(row.exchange());
      assertThat(e)
          .as("docs/CONFORMANCE.md:%d names exchange %s", row.line(), row.exchange())
          .isNotNull();
      List<String> steps = new java.util.ArrayList<>();
      e.steps().forEach(s -> steps.add(s.text()));
      steps.add(Client.AFTER.text());
      assertThat(steps)
          .as("docs/CONFORMANCE.md:%d: steps of %s", row.line(), e.id())
          .containsOnlyOnce(row.step());
      for (String t :
          row.target().equals("both") ? List.of("embedded", "proxy") : List.of(row.target())) {
        assertThat(seen.add(row.exchange() + " " + row.step() + " " + t))
            .as(
                "docs/CONFORMANCE.md:%d lists %s %s for %s twice",
                row.line(), row.exchange(), row.step(), t)
            .isTrue();
      }
    }
  }

  @Test
  void exchangeFiles_areFoundWithDistinctIds() throws IOException {
    List<Exchange> all = ConformanceTest.exchangeFiles();
    Set<String> ids = new HashSet<>();
    all.forEach(e -> ids.add(e.id()));
    assertThat(ids).hasSize(all.size()).hasSizeGreaterThanOrEqualTo(150);
  }
}
