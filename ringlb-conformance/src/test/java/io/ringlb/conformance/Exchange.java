package io.ringlb.conformance;

import java.util.List;
import java.util.Objects;

/**
 * One exchange of an exchange file: steps sent in order on one fresh connection, after a FLUSHALL,
 * each of whose replies is compared between the targets.
 *
 * @param id {@code family/name}: the file's name without {@code .txt}, and the {@code [name]}
 * @param source where it is written, {@code strings.txt:12}
 * @param steps what is sent, in order
 */
record Exchange(String id, String source, List<Step> steps) {

  Exchange {
    Objects.requireNonNull(id, "id");
    steps = List.copyOf(steps);
    if (steps.isEmpty()) {
      throw new IllegalArgumentException(source + ": exchange " + id + " has no steps");
    }
  }

  /**
   * One line of an exchange.
   *
   * @param text the line as written, without its marker: how docs/CONFORMANCE.md names the step
   * @param request the bytes sent
   * @param replies how many replies are read for them (other than one only for {@code raw N})
   * @param normalizer how each reply is rendered before the comparison
   */
  record Step(String text, byte[] request, int replies, Normalizer normalizer) {

    Step {
      if (replies < 0 || replies > 100) {
        throw new IllegalArgumentException("replies must be 0..100: " + replies);
      }
    }
  }
}
