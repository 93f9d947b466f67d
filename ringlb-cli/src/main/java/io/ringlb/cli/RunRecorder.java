package io.ringlb.cli;

import io.ringlb.core.TopologyListener;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * Records what {@code ringlb run --report} shows of a run's topology changes, in memory bounded
 * whatever the run's length: the first and last {@link #LISTED} changes in full, every change in a
 * timeline of at most {@link #BINS} bins, totals, and the keys each server gained and lost.
 */
final class RunRecorder implements TopologyListener {

  /** The changes kept in full at each end of the run. */
  static final int LISTED = 500;

  /** The most bins of the timeline; even, so that two bins merge into one. */
  static final int BINS = 480;

  /** The largest flows kept per change; the others are counted. */
  static final int FLOWS_KEPT = 8;

  /**
   * One change: its number (from 1), the line of the command file, the server, the servers after
   * it, the keys it moved, its largest flows and how many flows are left out of them.
   */
  record Change(
      long number,
      long line,
      boolean added,
      int server,
      int serversAfter,
      long keys,
      List<Flow> flows,
      int flowsLeftOut) {}

  /**
   * The timeline: bin {@code i} holds changes {@code i * width + 1} to {@code (i + 1) * width}; per
   * bin the keys moved by additions and by removals, and the servers after its last change.
   */
  record Timeline(long width, int bins, long[] addedKeys, long[] removedKeys, int[] servers) {}

  private LongSupplier lines = () -> 0;

  private long changes;
  private long additions;
  private long removals;
  private long keysByAdditions;
  private long keysByRemovals;
  private int servers;

  private final List<Change> first = new ArrayList<>();
  private final ArrayDeque<Change> last = new ArrayDeque<>();

  private long width = 1;
  private final long[] addedKeys = new long[BINS];
  private final long[] removedKeys = new long[BINS];
  private final int[] serversAfter = new int[BINS];

  /** Server id to {keys gained, keys lost} over the run, for the servers that exchanged keys. */
  private final Map<Integer, long[]> exchanged = new HashMap<>();

  /** Tells the recorder where to read the line number of the command being run. */
  void lines(LongSupplier lines) {
    this.lines = lines;
  }

  @Override
  public void serverAdded(int serverId, List<Flow> flows) {
    servers++;
    additions++;
    record(true, serverId, flows);
  }

  @Override
  public void serverRemoved(int serverId, List<Flow> flows) {
    servers--;
    removals++;
    record(false, serverId, flows);
  }

  private void record(boolean added, int serverId, List<Flow> flows) {
    long keys = 0;
    for (Flow flow : flows) {
      keys += flow.keys();
      exchanged.computeIfAbsent(flow.toServer(), id -> new long[2])[0] += flow.keys();
      exchanged.computeIfAbsent(flow.fromServer(), id -> new long[2])[1] += flow.keys();
    }
    if (added) {
      keysByAdditions += keys;
    } else {
      keysByRemovals += keys;
    }
    long number = ++changes;
    bin(number, added, keys);
    List<Flow> kept = flows;
    if (flows.size() > FLOWS_KEPT) {
      List<Flow> largest = new ArrayList<>(flows);
      largest.sort(Comparator.comparingLong(Flow::keys).reversed());
      kept = List.copyOf(largest.subList(0, FLOWS_KEPT));
    }
    Change change =
        new Change(
            number,
            lines.getAsLong(),
            added,
            serverId,
            servers,
            keys,
            kept,
            flows.size() - kept.size());
    if (first.size() < LISTED) {
      first.add(change);
    } else {
      if (last.size() == LISTED) {
        last.removeFirst();
      }
      last.addLast(change);
    }
  }

  /** Adds change {@code number} to the timeline, halving its resolution when it is full. */
  private void bin(long number, boolean added, long keys) {
    long bin = (number - 1) / width;
    if (bin == BINS) {
      for (int i = 0; i < BINS / 2; i++) {
        addedKeys[i] = addedKeys[2 * i] + addedKeys[2 * i + 1];
        removedKeys[i] = removedKeys[2 * i] + removedKeys[2 * i + 1];
        serversAfter[i] = serversAfter[2 * i + 1];
      }
      for (int i = BINS / 2; i < BINS; i++) {
        addedKeys[i] = 0;
        removedKeys[i] = 0;
        serversAfter[i] = 0;
      }
      width *= 2;
      bin = (number - 1) / width;
    }
    int i = (int) bin;
    if (added) {
      addedKeys[i] += keys;
    } else {
      removedKeys[i] += keys;
    }
    serversAfter[i] = servers;
  }

  /** Returns the number of servers added or removed. */
  long changes() {
    return changes;
  }

  /** Returns the number of servers added. */
  long additions() {
    return additions;
  }

  /** Returns the number of servers removed. */
  long removals() {
    return removals;
  }

  /** Returns the keys moved by additions. */
  long keysByAdditions() {
    return keysByAdditions;
  }

  /** Returns the keys moved by removals. */
  long keysByRemovals() {
    return keysByRemovals;
  }

  /** Returns the first changes, at most {@link #LISTED}. */
  List<Change> first() {
    return List.copyOf(first);
  }

  /** Returns the last changes after {@link #first()}, at most {@link #LISTED}. */
  List<Change> last() {
    return List.copyOf(last);
  }

  /** Returns the keys {@code serverId} gained over the run. */
  long gained(int serverId) {
    long[] keys = exchanged.get(serverId);
    return keys == null ? 0 : keys[0];
  }

  /** Returns the keys {@code serverId} lost over the run. */
  long lost(int serverId) {
    long[] keys = exchanged.get(serverId);
    return keys == null ? 0 : keys[1];
  }

  /** Returns a copy of the timeline. */
  Timeline timeline() {
    int bins = (int) ((changes + width - 1) / width);
    return new Timeline(
        width,
        bins,
        Arrays.copyOf(addedKeys, bins),
        Arrays.copyOf(removedKeys, bins),
        Arrays.copyOf(serversAfter, bins));
  }
}
