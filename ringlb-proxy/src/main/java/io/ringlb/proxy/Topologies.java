package io.ringlb.proxy;

import io.ringlb.core.Placement;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Publishes topologies to the workers, one at a time, from the control thread, with a drain
 * barrier: every worker adopts the new topology and holds new requests until every request routed
 * by the older one has finished, on every worker; then all go on. So requests routed by two
 * topologies never race on a key: in particular, a migration moves no key while a write routed to
 * its old owner is still under way.
 */
final class Topologies {

  private final Worker[] workers;
  private volatile Topology current;

  /** The epoch of {@link #current}; written by the control thread only. */
  private long epoch;

  private volatile boolean closed;

  /** Starts every worker of {@code workers} on {@code first}, before any of them serves. */
  Topologies(Worker[] workers, Topology first) {
    this.workers = workers;
    this.current = first;
    this.epoch = first.epoch();
    for (Worker worker : workers) {
      worker.init(first);
    }
  }

  /** The topology published last. */
  Topology current() {
    return current;
  }

  /**
   * Publishes the next topology (the epoch after the current one) and waits until no request routed
   * by an older topology is left; control thread only.
   *
   * @throws InterruptedException when closing, as the wait would not end
   */
  void publish(
      Placement placement,
      Placement previous,
      int[] ring,
      Collection<Backend> backends,
      Migration migration)
      throws InterruptedException {
    switchTo(new Topology(++epoch, placement, previous, ring, backends, migration), false);
  }

  /**
   * Like {@link #publish}, but the workers go on holding new requests once the older topology has
   * drained, until {@link #release}: the first step of a change coordinated across proxies, where
   * no request may be sent by the new topology before every proxy has adopted it.
   */
  void publishHeld(
      Placement placement,
      Placement previous,
      int[] ring,
      Collection<Backend> backends,
      Migration migration)
      throws InterruptedException {
    switchTo(new Topology(++epoch, placement, previous, ring, backends, migration), true);
  }

  /** Publishes the current topology again, held as by {@link #publishHeld}; control thread. */
  void holdCurrent() throws InterruptedException {
    Topology c = current;
    publishHeld(
        c.placement(),
        c.previous(),
        c.ring(),
        java.util.Arrays.asList(c.backends()),
        c.migration());
  }

  /** Lets the workers send the requests {@link #publishHeld} held; from any thread. */
  void release() {
    for (Worker worker : workers) {
      worker.loop().execute(worker::markReady);
    }
  }

  private void switchTo(Topology next, boolean hold) throws InterruptedException {
    current = next;
    List<CompletableFuture<Void>> drained = new ArrayList<>();
    for (Worker worker : workers) {
      CompletableFuture<Void> signal = new CompletableFuture<>();
      drained.add(signal);
      worker.loop().execute(() -> worker.adopt(next, signal));
    }
    // Every request in flight has a deadline, so this wait is bounded by the request timeouts.
    CompletableFuture<Void> all =
        CompletableFuture.allOf(drained.toArray(new CompletableFuture<?>[0]));
    while (true) {
      try {
        all.get(100, TimeUnit.MILLISECONDS);
        break;
      } catch (TimeoutException e) {
        if (closed) {
          throw new InterruptedException("closing");
        }
      } catch (ExecutionException e) {
        throw new IllegalStateException(e.getCause());
      }
    }
    if (!hold) {
      release();
    }
  }

  /** Makes a {@link #publish} waiting for a drain give up. */
  void close() {
    closed = true;
  }
}
