package io.ringlb.simulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ringlb.core.Placement;
import io.ringlb.core.Placement.MoveListener;
import io.ringlb.placement.Placements;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SimulatorTest {

  private static final List<String> SPECS =
      List.of("seed", "ring:40", "jump", "maglev:1009", "memento", "slots:4096", "bounded:0.1");

  @Test
  void run_smallTopology_matchesADirectCount() throws Exception {
    List<String> phases = new ArrayList<>();
    Simulation s =
        Simulator.builder()
            .servers(12)
            .keys(30_000)
            .seed(7)
            .strategies(SPECS)
            .progress((phase, fraction) -> phases.add(phase + "@" + fraction))
            .build()
            .run();
    assertThat(s.results()).hasSize(SPECS.size());
    assertThat(phases).isNotEmpty();
    assertThat(phases.get(phases.size() - 1)).isEqualTo("done@1.0");
    byte[] keys = Simulator.keys(30_000, 7);
    for (StrategyResult r : s.results()) {
      Placement p = Placements.byName(r.strategy());
      for (int id = 0; id < 12; id++) {
        p.addServer(id, MoveListener.NONE);
      }
      int[] loads = new int[12];
      int[] owners = new int[30_000];
      for (int i = 0; i < 30_000; i++) {
        owners[i] = p.serverFor(p.hashKey(keys, 32 * i, 32));
        loads[owners[i]]++;
      }
      assertThat(r.loads()).as(r.strategy()).containsExactly(loads);
      int max = 0;
      for (int load : loads) {
        max = Math.max(max, load);
      }
      assertThat(r.peakToAverage()).isCloseTo(max / 2500.0, within(1e-9));
      p.addServer(12, MoveListener.NONE);
      int moved = 0;
      for (int i = 0; i < 30_000; i++) {
        moved += p.serverFor(p.hashKey(keys, 32 * i, 32)) != owners[i] ? 1 : 0;
      }
      assertThat(r.movedAdd()).as(r.strategy()).isCloseTo(moved / 30_000.0, within(1e-12));
      assertThat(r.optimalAdd()).isCloseTo(1 / 13.0, within(1e-12));
      assertThat(r.optimalRemove()).isCloseTo(1 / 12.0, within(1e-12));
      if (r.strategy().equals("jump")) {
        assertThat(r.movedRemove()).isNull();
        assertThat(r.storePlacement()).isFalse();
      } else {
        assertThat(r.movedRemove()).isNotNull().isPositive();
      }
    }
    assertThat(s.ringSweep()).hasSize(Simulator.SWEEP_LABELS.length);
  }

  @Test
  void toJson_parsesAsOneFlatObjectPerStrategy() throws Exception {
    Simulation s =
        Simulator.builder()
            .servers(5)
            .keys(2000)
            .strategies(List.of("jump", "slots"))
            .build()
            .run();
    JsonNode array = new ObjectMapper().readTree(s.toJson());
    assertThat(array.isArray()).isTrue();
    assertThat(array).hasSize(2);
    JsonNode jump = array.get(0);
    assertThat(jump.get("strategy").asText()).isEqualTo("jump");
    assertThat(jump.get("moved_remove").isNull()).isTrue();
    assertThat(jump.get("store_placement").asBoolean()).isFalse();
    JsonNode slots = array.get(1);
    assertThat(slots.get("strategy").asText()).isEqualTo("slots:65536");
    assertThat(slots.get("moves_as").asText()).isEqualTo("ranges");
    for (String field :
        new String[] {
          "peak_to_average",
          "stddev",
          "moved_add",
          "optimal_add",
          "moved_remove",
          "optimal_remove",
          "lookup_ns"
        }) {
      assertThat(slots.get(field).isNumber()).as(field).isTrue();
    }
    assertThat(slots.get("peak_to_average").asDouble())
        .isCloseTo(s.results().get(1).peakToAverage(), within(1e-6));
    assertThat(s.ringSweep()).isEmpty();
  }

  @Test
  void toCsv_headerAndOneRowPerStrategy() {
    Simulation s =
        Simulator.builder()
            .servers(4)
            .keys(1000)
            .strategies(List.of("jump", "ring:8"))
            .build()
            .run();
    String[] lines = s.toCsv().split("\n");
    assertThat(lines).hasSize(3);
    assertThat(lines[0]).startsWith("strategy,servers,keys,peak_to_average,stddev,");
    assertThat(lines[1]).startsWith("jump,4,1000,");
    assertThat(lines[1].split(",", -1)[9]).isEmpty(); // moved_remove
    assertThat(lines[2]).startsWith("ring:8,4,1000,");
  }

  @Test
  void toHtml_selfContainedWithAChartPerStrategy() {
    Simulation s =
        Simulator.builder()
            .servers(6)
            .keys(3000)
            .strategies(List.of("ring:20", "memento"))
            .build()
            .run();
    String html = s.toHtml();
    assertThat(html).startsWith("<!DOCTYPE html>").contains("</html>");
    // nothing loaded from elsewhere: no scripts, stylesheets, images or links
    assertThat(html).doesNotContain("src=", "href=", "<link", "@import", "<script");
    assertThat(html.split("<svg ", -1).length - 1)
        .isEqualTo(2 + 3); // two load charts; moves, ring sweep, lookups
    assertThat(html)
        .contains("ring:20")
        .contains("memento")
        .contains("Ring balance against labels");
  }

  @Test
  void toJson_escapesStrings() {
    StringBuilder out = new StringBuilder();
    SimulationText.quote(out, "a\"b\\c\n\u0001");
    assertThat(out.toString()).isEqualTo("\"a\\\"b\\\\c\\n\\u0001\"");
  }

  @Test
  void builder_badValues_rejectedWithTheValue() {
    assertThatThrownBy(() -> Simulator.builder().servers(1))
        .hasMessage("servers must be between 2 and 99999: 1");
    assertThatThrownBy(() -> Simulator.builder().keys(0))
        .hasMessage("keys must be between 1 and 20000000: 0");
    assertThatThrownBy(() -> Simulator.builder().strategies(List.of("ring", "nope")))
        .hasMessageStartingWith("unknown placement 'nope'");
    assertThatThrownBy(() -> Simulator.builder().strategies(List.of()))
        .hasMessageStartingWith("at least one strategy");
  }

  @Test
  void keys_sameSeed_sameKeys() {
    assertThat(Simulator.keys(100, 3)).isEqualTo(Simulator.keys(100, 3));
    assertThat(Simulator.keys(100, 3)).isNotEqualTo(Simulator.keys(100, 4));
    assertThat(new String(Simulator.keys(1, 3), java.nio.charset.StandardCharsets.US_ASCII))
        .matches("[0-9a-f]{32}");
  }
}
