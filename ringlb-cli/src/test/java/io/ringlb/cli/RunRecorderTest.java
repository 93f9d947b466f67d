package io.ringlb.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.ringlb.cli.RunRecorder.Change;
import io.ringlb.cli.RunRecorder.Timeline;
import io.ringlb.core.TopologyListener.Flow;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class RunRecorderTest {

  /** A long run: the ends in full, every change in the timeline, nothing that grows with it. */
  @Test
  void longRun_boundedAndComplete() {
    RunRecorder recorder = new RunRecorder();
    long[] line = {0};
    recorder.lines(() -> line[0]);
    Random random = new Random(16);
    long byAdditions = 0;
    long byRemovals = 0;
    int servers = 0;
    int changes = 100_003;
    for (int i = 1; i <= changes; i++) {
      line[0] = 2L * i;
      int keys = random.nextInt(4);
      List<Flow> flows = keys == 0 ? List.of() : List.of(new Flow(i + 1, i, keys));
      if (servers < 2 || random.nextInt(3) > 0) {
        servers++;
        byAdditions += keys;
        recorder.serverAdded(i, flows);
      } else {
        servers--;
        byRemovals += keys;
        recorder.serverRemoved(i, flows);
      }
    }
    assertThat(recorder.changes()).isEqualTo(changes);
    assertThat(recorder.additions() + recorder.removals()).isEqualTo(changes);
    assertThat(recorder.keysByAdditions()).isEqualTo(byAdditions);
    assertThat(recorder.keysByRemovals()).isEqualTo(byRemovals);

    Timeline timeline = recorder.timeline();
    assertThat(timeline.bins()).isBetween(RunRecorder.BINS / 2, RunRecorder.BINS);
    assertThat(Long.bitCount(timeline.width())).isOne();
    assertThat((long) timeline.bins() * timeline.width()).isGreaterThanOrEqualTo(changes);
    assertThat((long) (timeline.bins() - 1) * timeline.width()).isLessThan(changes);
    assertThat(Arrays.stream(timeline.addedKeys()).sum()).isEqualTo(byAdditions);
    assertThat(Arrays.stream(timeline.removedKeys()).sum()).isEqualTo(byRemovals);
    assertThat(timeline.servers()[timeline.bins() - 1]).isEqualTo(servers);

    List<Change> first = recorder.first();
    List<Change> last = recorder.last();
    assertThat(first).hasSize(RunRecorder.LISTED);
    assertThat(last).hasSize(RunRecorder.LISTED);
    assertThat(first.get(0).number()).isEqualTo(1);
    assertThat(first.get(0).line()).isEqualTo(2);
    assertThat(last.get(0).number()).isEqualTo(changes - RunRecorder.LISTED + 1);
    assertThat(last.get(RunRecorder.LISTED - 1).number()).isEqualTo(changes);
    assertThat(last.get(RunRecorder.LISTED - 1).serversAfter()).isEqualTo(servers);
  }

  @Test
  void timeline_fewChanges_oneBinEach() {
    RunRecorder recorder = new RunRecorder();
    recorder.serverAdded(1, List.of());
    recorder.serverAdded(2, List.of(new Flow(1, 2, 5)));
    recorder.serverRemoved(1, List.of(new Flow(1, 2, 7)));
    Timeline timeline = recorder.timeline();
    assertThat(timeline.width()).isOne();
    assertThat(timeline.addedKeys()).containsExactly(0, 5, 0);
    assertThat(timeline.removedKeys()).containsExactly(0, 0, 7);
    assertThat(timeline.servers()).containsExactly(1, 2, 1);
    assertThat(recorder.gained(2)).isEqualTo(12);
    assertThat(recorder.lost(1)).isEqualTo(12);
    assertThat(recorder.gained(1)).isZero();
    assertThat(recorder.lost(99)).isZero();
  }

  @Test
  void manyFlows_largestKept_othersCounted() {
    List<Flow> flows = new ArrayList<>();
    for (int from = 1; from <= RunRecorder.FLOWS_KEPT + 3; from++) {
      flows.add(new Flow(from, 0, from));
    }
    RunRecorder recorder = new RunRecorder();
    recorder.serverAdded(0, flows);
    Change change = recorder.first().get(0);
    assertThat(change.flows()).hasSize(RunRecorder.FLOWS_KEPT);
    assertThat(change.flows().get(0).keys()).isEqualTo(RunRecorder.FLOWS_KEPT + 3);
    assertThat(change.flows())
        .extracting(Flow::keys)
        .isSortedAccordingTo((a, b) -> Long.compare(b, a));
    assertThat(change.flowsLeftOut()).isEqualTo(3);
    assertThat(change.keys()).isEqualTo(flows.stream().mapToLong(Flow::keys).sum());
  }
}
