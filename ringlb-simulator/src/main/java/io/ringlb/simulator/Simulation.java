package io.ringlb.simulator;

import java.util.List;
import java.util.Objects;

/**
 * The outcome of one simulator run: its parameters, one result per strategy, and, when a {@code
 * ring} strategy was among them, the ring's balance for a range of labels per server.
 *
 * @param servers the number of servers N
 * @param keys the number of keys
 * @param seed the seed of the keys and of the removed server
 * @param results one result per strategy, in the order asked
 * @param ringSweep balance of {@code ring} against its labels per server (empty if not measured)
 */
public record Simulation(
    int servers, int keys, long seed, List<StrategyResult> results, List<LabelBalance> ringSweep) {

  /** Validates and freezes the record. */
  public Simulation {
    results = List.copyOf(Objects.requireNonNull(results, "results"));
    ringSweep = List.copyOf(Objects.requireNonNull(ringSweep, "ringSweep"));
  }

  /**
   * The balance of a ring with a given number of labels per server.
   *
   * @param labels labels per server
   * @param peakToAverage keys on the busiest server divided by the average
   * @param sharePeakToAverage largest share of the hash space times N (no key sampling noise)
   */
  public record LabelBalance(int labels, double peakToAverage, double sharePeakToAverage) {}

  /** Returns the results as a JSON array, one flat object per strategy. */
  public String toJson() {
    return SimulationText.json(this);
  }

  /** Returns the results as CSV with a header line. */
  public String toCsv() {
    return SimulationText.csv(this);
  }

  /** Returns the results as a fixed-width text table for a terminal. */
  public String toTable() {
    return SimulationText.table(this);
  }

  /** Returns a self-contained HTML page with SVG charts of the results. */
  public String toHtml() {
    return SimulationReport.html(this);
  }
}
