package io.ringlb.server;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * Slows repeated wrong passwords down, per connection and per source address, without slowing a
 * correct login: only the reply to a failed AUTH (or HELLO AUTH) waits.
 *
 * <p>The first {@link #FREE_FAILURES} failures of a connection or an address are answered at once
 * (typos); after that each failure's reply waits {@link #BASE_DELAY_NANOS} doubling per failure up
 * to {@link #MAX_DELAY_NANOS}, counted from the previous delayed reply of the same connection, so a
 * pipeline of guesses is answered one per delay. The count that applies is the larger of the
 * connection's (which never decreases while it is open, RESET included) and the address's (which a
 * new connection from that address inherits, and which is forgotten {@link #FORGET_AFTER_NANOS}
 * after its last failure). A correct password never resets either count, so a client holding a
 * valid account cannot use it to clear them. At most {@link #MAX_ADDRESSES} addresses are tracked;
 * past that the one that failed least recently is forgotten.
 *
 * <p>The wait is a scheduled completion of the command's {@link DeferredReply}: nothing blocks the
 * event loop, and the connection's later replies keep their order behind it.
 */
final class AuthThrottle {

  static final int FREE_FAILURES = 3;
  static final long BASE_DELAY_NANOS = TimeUnit.MILLISECONDS.toNanos(10);
  static final long MAX_DELAY_NANOS = TimeUnit.SECONDS.toNanos(1);
  static final long FORGET_AFTER_NANOS = TimeUnit.SECONDS.toNanos(60);
  static final int MAX_ADDRESSES = 10_000;

  /** One connection's failures, kept by its {@link ClientHandler}; its event loop only. */
  static final class Attempts {
    private int failures;
    private long lastReplyNanos;
  }

  private static final class Address {
    int failures;
    long lastNanos;
  }

  private final Map<String, Address> addresses =
      new LinkedHashMap<>(64, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Address> eldest) {
          return size() > MAX_ADDRESSES;
        }
      };

  private final LongAdder failures = new LongAdder();
  private final LongAdder delayed = new LongAdder();

  /**
   * Records a failed login of {@code connection} from {@code address} (a host, no port) at {@code
   * now}; returns how many nanoseconds its reply must wait, 0 for none.
   */
  long failed(Attempts connection, String address, long now) {
    failures.increment();
    int byAddress;
    synchronized (addresses) {
      Address a = addresses.get(address);
      if (a == null || now - a.lastNanos > FORGET_AFTER_NANOS) {
        a = new Address();
        addresses.put(address, a);
      }
      a.failures = Math.min(a.failures + 1, Integer.MAX_VALUE - 1);
      a.lastNanos = now;
      byAddress = a.failures;
    }
    connection.failures = Math.min(connection.failures + 1, Integer.MAX_VALUE - 1);
    long delay = delayFor(Math.max(connection.failures, byAddress));
    if (delay == 0) {
      return 0;
    }
    long at = Math.max(now, connection.lastReplyNanos) + delay;
    connection.lastReplyNanos = at;
    delayed.increment();
    return at - now;
  }

  /** Returns the wait of the reply to failure number {@code n} (from 1). */
  static long delayFor(int n) {
    if (n <= FREE_FAILURES) {
      return 0;
    }
    int doublings = Math.min(n - FREE_FAILURES - 1, 30);
    return Math.min(MAX_DELAY_NANOS, BASE_DELAY_NANOS << Math.min(doublings, 20));
  }

  /** Returns the failed logins so far. */
  long failures() {
    return failures.sum();
  }

  /** Returns the failed logins whose reply was delayed. */
  long delayed() {
    return delayed.sum();
  }

  /** Returns how many source addresses are tracked now. */
  int trackedAddresses() {
    synchronized (addresses) {
      return addresses.size();
    }
  }

  /** Returns the host part of {@code hostPort} ({@code 127.0.0.1:5000}, {@code [::1]:5000}). */
  static String host(String hostPort) {
    int colon = hostPort.lastIndexOf(':');
    return colon <= 0 ? hostPort : hostPort.substring(0, colon);
  }
}
