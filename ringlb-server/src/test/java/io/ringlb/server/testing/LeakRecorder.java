package io.ringlb.server.testing;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import io.netty.util.ResourceLeakDetectorFactory;
import io.netty.util.ResourceLeakTracker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Netty's leak detectors, made to record the leaks they find instead of only logging them, and a
 * way to make them look now.
 *
 * <p>A detector only learns of a leak when the garbage collector has cleared a tracked object that
 * was never released and the detector next tracks something (it polls its reference queue then).
 * {@link #detect} therefore plants a canary, a tracked object that is never released, and repeats
 * {@code System.gc()} plus one forced tracking per detector until the canary is reported; leaks
 * that became unreachable before the canary are reported by then too.
 *
 * <p>The factory must be installed before the first {@code ByteBuf} class is initialized, since
 * Netty creates the buffer detector once in a static initializer; {@link #install} checks that it
 * was, and {@link #detect} reports it when it was not.
 */
final class LeakRecorder extends ResourceLeakDetectorFactory {

  /** The one recorder of this JVM. */
  static final LeakRecorder INSTANCE = new LeakRecorder();

  private static final String CANARY = "ringlb-leak-canary#";

  private final List<RecordingDetector<?>> detectors = new CopyOnWriteArrayList<>();
  private final Queue<String> leaks = new ConcurrentLinkedQueue<>();
  private final AtomicLong tracked = new AtomicLong();
  private final AtomicLong canaries = new AtomicLong();
  private final AtomicLong canarySeen = new AtomicLong();
  private volatile RecordingDetector<?> buffers;
  private volatile Thread probing;
  private volatile String notInstalled = "LeakRecorder.install() was not called";

  private LeakRecorder() {}

  /** Installs the recorder as Netty's factory of leak detectors; idempotent. */
  static synchronized void install() {
    if (INSTANCE.notInstalled == null) {
      return;
    }
    ResourceLeakDetectorFactory.setResourceLeakDetectorFactory(INSTANCE);
    ByteBufAllocator.DEFAULT.buffer(1).release(); // initializes the buffer classes, if not yet
    INSTANCE.notInstalled =
        INSTANCE.buffers != null
            ? null
            : "Netty's ByteBuf leak detector was created before the leak recorder was installed "
                + "(a ByteBuf was allocated before the JUnit extensions were loaded): leaks would go "
                + "unnoticed";
  }

  @Override
  @SuppressWarnings("deprecation")
  public <T> ResourceLeakDetector<T> newResourceLeakDetector(
      Class<T> resource, int samplingInterval, long maxActive) {
    return newResourceLeakDetector(resource, samplingInterval);
  }

  @Override
  public <T> ResourceLeakDetector<T> newResourceLeakDetector(
      Class<T> resource, int samplingInterval) {
    RecordingDetector<T> detector = new RecordingDetector<>(resource, samplingInterval);
    detectors.add(detector);
    if (resource == ByteBuf.class) {
      buffers = detector;
    }
    return detector;
  }

  /**
   * Makes every detector look for leaks, for up to {@code timeout}, and returns (and forgets) the
   * leak reports recorded since the last call; returns at once when nothing was tracked since.
   *
   * @throws IllegalStateException when the recorder was not installed in time, or detection did not
   *     finish within {@code timeout}
   */
  List<String> detect(Duration timeout) throws InterruptedException {
    if (notInstalled != null) {
      throw new IllegalStateException(notInstalled);
    }
    RecordingDetector<?> bufferDetector = buffers;
    if (bufferDetector != null && tracked.getAndSet(0) > 0) {
      probing = Thread.currentThread(); // the canary and the probes are not counted as tracked
      try {
        awaitCanary(bufferDetector, timeout);
      } finally {
        probing = null;
      }
    }
    List<String> found = new ArrayList<>();
    for (String leak; (leak = leaks.poll()) != null; ) {
      found.add(leak);
    }
    return found;
  }

  /** Repeats GC and polling until the detectors have reported a new canary, within timeout. */
  private void awaitCanary(RecordingDetector<?> bufferDetector, Duration timeout)
      throws InterruptedException {
    long canary = plantCanary(bufferDetector);
    long deadline = System.nanoTime() + timeout.toNanos();
    int rounds = 0;
    while (canarySeen.get() < canary) {
      if (System.nanoTime() > deadline || rounds++ > 1000) {
        throw new IllegalStateException(
            "leak detection did not finish within "
                + timeout
                + " ("
                + rounds
                + " rounds of System.gc(); is -XX:+DisableExplicitGC set?)");
      }
      System.gc();
      Thread.sleep(rounds < 5 ? 1 : 10); // the reference handler enqueues what GC cleared
      pollAll();
    }
    pollAll(); // stragglers enqueued after the canary
  }

  /** Tracks an object that is never released and never reachable again; returns its number. */
  private long plantCanary(RecordingDetector<?> detector) {
    long number = canaries.incrementAndGet();
    @SuppressWarnings("unchecked")
    ResourceLeakTracker<Object> tracker =
        ((ResourceLeakDetector<Object>) detector).trackForcibly(new Object());
    tracker.record(CANARY + number + "#");
    return number;
  }

  /** Makes each detector poll its reference queue (a forced, at once released tracking). */
  private void pollAll() {
    for (RecordingDetector<?> detector : detectors) {
      Object probe = new Object();
      @SuppressWarnings("unchecked")
      ResourceLeakTracker<Object> tracker =
          ((ResourceLeakDetector<Object>) detector).trackForcibly(probe);
      tracker.close(probe);
    }
  }

  private void canary(String records) {
    int at = records.indexOf(CANARY) + CANARY.length();
    int end = records.indexOf('#', at);
    long number = Long.parseLong(records, at, end, 10);
    canarySeen.accumulateAndGet(number, Math::max);
  }

  /** A detector that records each leak it reports, and counts what it tracks. */
  private final class RecordingDetector<T> extends ResourceLeakDetector<T> {

    RecordingDetector(Class<T> resource, int samplingInterval) {
      super(resource, samplingInterval);
    }

    @Override
    protected boolean needReport() {
      return true; // whatever the logging backend: the tests use slf4j-nop
    }

    @Override
    protected void reportTracedLeak(String resourceType, String records) {
      if (records.contains(CANARY)) {
        canary(records);
      } else {
        leaks.add(
            "LEAK: "
                + resourceType
                + ".release() was not called before it was "
                + "garbage-collected."
                + records);
      }
    }

    @Override
    protected void reportUntracedLeak(String resourceType) {
      leaks.add(
          "LEAK: "
              + resourceType
              + ".release() was not called before it was "
              + "garbage-collected (no access records: run with "
              + "-Dio.netty.leakDetection.level=paranoid)");
    }

    @Override
    protected Object getInitialHint(String resourceType) {
      if (Thread.currentThread() != probing) {
        tracked.incrementAndGet(); // called once per new tracked object
      }
      return null;
    }
  }
}
