package io.ringlb.server;

import io.netty.channel.EventLoop;
import java.util.Arrays;
import java.util.Collections;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Flushes, once at the end of an event loop's turn, every connection written to during it: upstream
 * connections (a proxy's to its backends) first, so that their requests are under way while the
 * replies to clients go out, then client connections.
 *
 * <p>A connection that writes during a turn registers itself once ({@link #upstream} or {@link
 * #downstream}); the first registration of a turn queues this flusher as a task of the loop, which
 * Netty runs after the I/O events of the turn. So replies that several backends send in one turn
 * reach a client in one write, and requests of many clients reach a backend in one. One per event
 * loop ({@link #of}); touched only from that loop's thread.
 */
public final class TurnFlusher implements Runnable {

  /** Something with buffered writes. */
  @FunctionalInterface
  public interface Flushable {
    /** Writes what was buffered during the turn. */
    void flush();
  }

  private static final Logger LOG = Logger.getLogger(TurnFlusher.class.getName());

  private static final Map<EventLoop, TurnFlusher> BY_LOOP =
      Collections.synchronizedMap(new WeakHashMap<>());

  private final EventLoop loop;
  private Flushable[] upstream = new Flushable[16];
  private int upstreamCount;
  private Flushable[] downstream = new Flushable[64];
  private int downstreamCount;
  private boolean scheduled;

  private TurnFlusher(EventLoop loop) {
    this.loop = loop;
  }

  /** Returns the flusher of {@code loop}; callers keep it rather than look it up per write. */
  public static TurnFlusher of(EventLoop loop) {
    return BY_LOOP.computeIfAbsent(loop, TurnFlusher::new);
  }

  /** Flushes {@code f} at the end of this turn, before the client connections; once per turn. */
  public void upstream(Flushable f) {
    if (upstreamCount == upstream.length) {
      upstream = Arrays.copyOf(upstream, upstreamCount * 2);
    }
    upstream[upstreamCount++] = f;
    schedule();
  }

  /** Flushes {@code f} at the end of this turn, after the upstream connections; once per turn. */
  public void downstream(Flushable f) {
    if (downstreamCount == downstream.length) {
      downstream = Arrays.copyOf(downstream, downstreamCount * 2);
    }
    downstream[downstreamCount++] = f;
    schedule();
  }

  /** Runs this flusher at the end of the turn even if nothing registered (a loop's wake-up). */
  public void schedule() {
    if (!scheduled) {
      scheduled = true;
      loop.execute(this);
    }
  }

  /**
   * Flushes every connection registered during the turn; run by the loop. A connection whose flush
   * throws is logged and the others are flushed all the same.
   */
  @Override
  public void run() {
    scheduled = false;
    // A connection registered while this runs is flushed in this run too (the counts are read
    // again on every step).
    for (int i = 0; i < upstreamCount; i++) {
      Flushable f = upstream[i];
      upstream[i] = null;
      flush(f);
    }
    upstreamCount = 0;
    for (int i = 0; i < downstreamCount; i++) {
      Flushable f = downstream[i];
      downstream[i] = null;
      flush(f);
    }
    downstreamCount = 0;
  }

  private static void flush(Flushable f) {
    try {
      f.flush();
    } catch (RuntimeException | Error e) {
      LOG.log(Level.WARNING, "flushing " + f + " failed", e);
    }
  }
}
