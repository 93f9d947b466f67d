package io.ringlb.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ringlb.core.Placement;
import io.ringlb.core.Placement.MoveListener;
import io.ringlb.placement.Placements;
import io.ringlb.simulator.Simulator;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class SimulateCommandTest {

  @TempDir Path dir;

  private record Result(int status, String out, String err) {}

  private static Result simulate(String... args) {
    CommandLine cli = Main.commandLine();
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    String[] all = new String[args.length + 1];
    all[0] = "simulate";
    System.arraycopy(args, 0, all, 1, args.length);
    int status = cli.execute(all);
    return new Result(status, out.toString(), err.toString());
  }

  @Test
  void simulate_json_parsesAndAgreesWithADirectCount() throws IOException {
    Path csv = dir.resolve("out.csv");
    Path html = dir.resolve("out.html");
    Result r =
        simulate(
            "--servers",
            "16",
            "--keys",
            "40000",
            "--seed",
            "9",
            "--strategy",
            "ring:50,jump,memento,slots",
            "--json",
            "--csv",
            csv.toString(),
            "--report",
            html.toString());
    assertThat(r.err).isEmpty();
    assertThat(r.status).isZero();
    JsonNode array = new ObjectMapper().readTree(r.out);
    assertThat(array).hasSize(4);
    List<String> names = List.of("ring:50", "jump", "memento", "slots:65536");
    byte[] keys = Simulator.keys(40_000, 9);
    for (int s = 0; s < 4; s++) {
      JsonNode o = array.get(s);
      assertThat(o.get("strategy").asText()).isEqualTo(names.get(s));
      assertThat(o.get("servers").asInt()).isEqualTo(16);
      assertThat(o.get("keys").asInt()).isEqualTo(40_000);
      assertThat(o.get("optimal_add").asDouble()).isCloseTo(1 / 17.0, within(1e-6));
      assertThat(o.get("optimal_remove").asDouble()).isCloseTo(1 / 16.0, within(1e-6));
      assertThat(o.get("lookup_ns").asDouble()).isPositive();

      // the same figures, counted directly
      Placement p = Placements.byName(names.get(s));
      for (int id = 0; id < 16; id++) {
        p.addServer(id, MoveListener.NONE);
      }
      int[] loads = new int[16];
      int[] owners = new int[40_000];
      for (int i = 0; i < owners.length; i++) {
        owners[i] = p.serverFor(p.hashKey(keys, 32 * i, 32));
        loads[owners[i]]++;
      }
      int max = 0;
      double mean = 40_000 / 16.0;
      double squares = 0;
      for (int load : loads) {
        max = Math.max(max, load);
        squares += (load - mean) * (load - mean);
      }
      assertThat(o.get("peak_to_average").asDouble()).isCloseTo(max / mean, within(1e-6));
      assertThat(o.get("stddev").asDouble())
          .isCloseTo(Math.sqrt(squares / 16) / mean, within(1e-6));

      int removed = o.get("removed_server").asInt();
      if (names.get(s).equals("jump")) {
        assertThat(o.get("moved_remove").isNull()).isTrue();
      } else {
        p.removeServer(removed, MoveListener.NONE);
        int moved = 0;
        for (int i = 0; i < owners.length; i++) {
          moved += p.serverFor(p.hashKey(keys, 32 * i, 32)) != owners[i] ? 1 : 0;
        }
        assertThat(o.get("moved_remove").asDouble()).isCloseTo(moved / 40_000.0, within(1e-6));
        // ring, memento and slots move only the removed server's keys
        assertThat(moved).isEqualTo(loads[removed]);
      }
    }
    List<String> lines = Files.readAllLines(csv, StandardCharsets.UTF_8);
    assertThat(lines).hasSize(5);
    assertThat(lines.get(0)).startsWith("strategy,servers,keys,peak_to_average");
    String page = Files.readString(html, StandardCharsets.UTF_8);
    assertThat(page).startsWith("<!DOCTYPE html>").contains("<svg").contains("slots:65536");
  }

  @Test
  void simulate_table_byDefault() {
    Result r = simulate("--servers", "4", "--keys", "500", "--strategy", "rendezvous");
    assertThat(r.status).isZero();
    assertThat(r.out).startsWith("4 servers, 500 keys, seed 1;").contains("rendezvous");
    assertThat(r.err).isEmpty();
  }

  @Test
  void simulate_unknownStrategy_listsValidNames() {
    Result r = simulate("--strategy", "ring,consistent");
    assertThat(r.status).isEqualTo(2);
    assertThat(r.out).isEmpty();
    assertThat(r.err)
        .startsWith(
            "ringlb simulate: invalid --strategy: unknown placement 'consistent'; valid: seed,")
        .contains("memento, slots")
        .doesNotContain("Exception");
  }

  @Test
  void simulate_badCounts_rejectedBeforeRunning() {
    Result servers = simulate("--servers", "1");
    assertThat(servers.status).isEqualTo(2);
    assertThat(servers.err).contains("invalid --servers: servers must be between 2 and 99999: 1");
    Result keys = simulate("--keys", "0");
    assertThat(keys.err).contains("invalid --keys: keys must be between 1 and 20000000: 0");
    Result notANumber = simulate("--keys", "many");
    assertThat(notANumber.status).isEqualTo(2);
    assertThat(notANumber.err).contains("--keys").contains("many");
  }

  @Test
  void simulate_unwritableReport_failsBeforeTheRun() {
    Result r =
        simulate(
            "--servers", "3", "--keys", "10", "--report", dir.resolve("no/such/r.html").toString());
    assertThat(r.status).isEqualTo(2);
    assertThat(r.out).isEmpty();
    assertThat(r.err).contains("invalid --report: no such directory");
  }

  @Test
  void main_help_listsSimulate() {
    CommandLine cli = Main.commandLine();
    StringWriter out = new StringWriter();
    cli.setOut(new PrintWriter(out, true));
    cli.execute("--help");
    assertThat(out.toString()).contains("simulate");
  }
}
