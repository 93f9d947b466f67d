import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The client side of {@code bench/migration-stall.sh}: over a ringlb proxy in front of three
 * redis-servers, starts {@code RING ADD 3} of a fourth, freezes the fourth (SIGSTOP) for a while
 * during the migration, and measures the latency of GETs of keys that do not move meanwhile.
 *
 * <p>Run as a single-file program: {@code java bench/MigrationStall.java PROXY_PORT TARGET_PORT
 * TARGET_PID LABEL [KEYS] [CLIENTS] [BEFORE_MS] [FREEZE_MS] [AFTER_MS]}. It loads KEYS keys
 * through the proxy, sends RING ADD 3 127.0.0.1:TARGET_PORT, learns from RING LOCATE which keys
 * move, then runs CLIENTS closed-loop readers of keys that stay (and one of keys that move) for
 * BEFORE_MS, freezes the target for FREEZE_MS, and goes on for AFTER_MS. It prints one line:
 *
 * <pre>
 * RESULT LABEL frozen N P50_MS P99_MS MAX_MS rest N P50_MS P99_MS MAX_MS errors E moving OK FAILED
 *        migrating_after yes|no
 * </pre>
 *
 * where {@code frozen} counts the GETs of staying keys that overlapped the freeze and {@code rest}
 * the others. A wrong value or an error reply for a staying key counts in {@code errors}. {@code
 * migrating_after} says whether the migration was still running after the freeze, as it must be
 * for the run to measure anything (otherwise slow the migration down).
 */
public final class MigrationStall {

  private MigrationStall() {}

  public static void main(String[] args) throws Exception {
    if (args.length < 4) {
      System.err.println(
          "usage: java MigrationStall.java PROXY_PORT TARGET_PORT TARGET_PID LABEL"
              + " [KEYS] [CLIENTS] [BEFORE_MS] [FREEZE_MS] [AFTER_MS]");
      System.exit(2);
    }
    int proxy = Integer.parseInt(args[0]);
    int targetPort = Integer.parseInt(args[1]);
    long targetPid = Long.parseLong(args[2]);
    String label = args[3];
    int keys = args.length > 4 ? Integer.parseInt(args[4]) : 40_000;
    int clients = args.length > 5 ? Integer.parseInt(args[5]) : 4;
    long beforeMs = args.length > 6 ? Long.parseLong(args[6]) : 1000;
    long freezeMs = args.length > 7 ? Long.parseLong(args[7]) : 3000;
    long afterMs = args.length > 8 ? Long.parseLong(args[8]) : 1000;

    try (Conn c = new Conn(proxy)) {
      for (int from = 0; from < keys; from += 1000) {
        int to = Math.min(keys, from + 1000);
        for (int i = from; i < to; i++) {
          c.send("SET", key(i), "v" + i);
        }
        for (int i = from; i < to; i++) {
          expect("OK", c.read());
        }
      }
    }

    Conn admin = new Conn(proxy);
    admin.send("RING", "ADD", "3", "127.0.0.1:" + targetPort);
    admin.flush();
    List<Integer> staying = new ArrayList<>();
    List<Integer> moving = new ArrayList<>();
    try (Conn c = new Conn(proxy)) {
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (!String.valueOf(c.call("INFO", "migration")).contains("migrations_running:1")) {
        if (System.nanoTime() > until) {
          throw new IllegalStateException("RING ADD 3 did not start: " + c.call("INFO", "migration"));
        }
        Thread.sleep(5);
      }
      for (int from = 0; from < keys; from += 1000) {
        int to = Math.min(keys, from + 1000);
        for (int i = from; i < to; i++) {
          c.send("RING", "LOCATE", key(i));
        }
        for (int i = from; i < to; i++) {
          (String.valueOf(c.read()).contains("moving_from=") ? moving : staying).add(i);
        }
      }
    }

    AtomicBoolean running = new AtomicBoolean(true);
    AtomicLong errors = new AtomicLong();
    AtomicLong movingOk = new AtomicLong();
    AtomicLong movingFailed = new AtomicLong();
    List<long[]> samples = new ArrayList<>(); // per reader: start, latency, start, latency...
    int[] counts = new int[clients];
    List<Thread> threads = new ArrayList<>();
    for (int r = 0; r < clients; r++) {
      long[] log = new long[1_000_000];
      samples.add(log);
      int first = r;
      threads.add(
          new Thread(
              () -> {
                try (Conn c = new Conn(proxy)) {
                  int n = 0;
                  for (int k = first; running.get() && n + 1 < log.length; k += clients) {
                    int i = staying.get(k % staying.size());
                    long start = System.nanoTime();
                    Object reply = c.call("GET", key(i));
                    log[n++] = start;
                    log[n++] = System.nanoTime() - start;
                    if (!("v" + i).equals(reply)) {
                      errors.incrementAndGet();
                    }
                  }
                  counts[first] = n;
                } catch (IOException e) {
                  errors.incrementAndGet();
                }
              }));
    }
    threads.add(
        new Thread(
            () -> {
              try (Conn c = new Conn(proxy)) {
                for (int k = 0; running.get(); k += 7) {
                  Object reply = c.call("GET", key(moving.get(k % moving.size())));
                  (reply instanceof Error ? movingFailed : movingOk).incrementAndGet();
                }
              } catch (IOException e) {
                movingFailed.incrementAndGet();
              }
            }));
    long begin = System.nanoTime();
    threads.forEach(Thread::start);
    sleepUntil(begin + TimeUnit.MILLISECONDS.toNanos(beforeMs));
    long freezeStart = System.nanoTime();
    signal("STOP", targetPid);
    try {
      sleepUntil(freezeStart + TimeUnit.MILLISECONDS.toNanos(freezeMs));
    } finally {
      signal("CONT", targetPid);
    }
    long freezeEnd = System.nanoTime();
    sleepUntil(freezeEnd + TimeUnit.MILLISECONDS.toNanos(afterMs));
    String migrating;
    try (Conn c = new Conn(proxy)) {
      migrating =
          String.valueOf(c.call("INFO", "migration")).contains("migrations_running:1") ? "yes" : "no";
    }
    running.set(false);
    for (Thread t : threads) {
      t.join(TimeUnit.SECONDS.toMillis(30));
    }
    admin.close();

    List<Long> frozen = new ArrayList<>();
    List<Long> rest = new ArrayList<>();
    for (int r = 0; r < clients; r++) {
      long[] log = samples.get(r);
      for (int n = 0; n < counts[r]; n += 2) {
        long start = log[n];
        long latency = log[n + 1];
        (start < freezeEnd && start + latency > freezeStart ? frozen : rest).add(latency);
      }
    }
    System.out.println(
        "RESULT "
            + label
            + " frozen "
            + stats(frozen)
            + " rest "
            + stats(rest)
            + " errors "
            + errors.get()
            + " moving "
            + movingOk.get()
            + " "
            + movingFailed.get()
            + " migrating_after "
            + migrating);
  }

  private static String key(int i) {
    return String.format(Locale.ROOT, "stall:%07d", i);
  }

  private static void expect(String wanted, Object reply) {
    if (!wanted.equals(reply)) {
      throw new IllegalStateException("expected " + wanted + ", got " + reply);
    }
  }

  /** {@code N P50 P99 MAX}, the latencies in milliseconds. */
  private static String stats(List<Long> latencies) {
    if (latencies.isEmpty()) {
      return "0 - - -";
    }
    long[] sorted = latencies.stream().mapToLong(Long::longValue).sorted().toArray();
    return sorted.length
        + " "
        + ms(sorted[(int) Math.min(sorted.length - 1, Math.floor(sorted.length * 0.50))])
        + " "
        + ms(sorted[(int) Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))])
        + " "
        + ms(sorted[sorted.length - 1]);
  }

  private static String ms(long nanos) {
    return String.format(Locale.ROOT, "%.2f", nanos / 1e6);
  }

  private static void sleepUntil(long nanoTime) throws InterruptedException {
    long left;
    while ((left = nanoTime - System.nanoTime()) > 0) {
      TimeUnit.NANOSECONDS.sleep(Math.min(left, 10_000_000L));
    }
  }

  private static void signal(String name, long pid) throws IOException, InterruptedException {
    Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(pid)).inheritIO().start();
    if (!kill.waitFor(5, TimeUnit.SECONDS) || kill.exitValue() != 0) {
      throw new IOException("kill -" + name + " " + pid + " failed");
    }
  }

  /** An error reply. */
  private record Error(String text) {}

  /** One RESP2 connection: commands written as arrays of bulk strings, replies read back. */
  private static final class Conn implements AutoCloseable {
    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    Conn(int port) throws IOException {
      socket = new Socket(InetAddress.getLoopbackAddress(), port);
      socket.setTcpNoDelay(true);
      socket.setSoTimeout(60_000);
      in = new BufferedInputStream(socket.getInputStream(), 1 << 16);
      out = new BufferedOutputStream(socket.getOutputStream(), 1 << 16);
    }

    void send(String... args) throws IOException {
      out.write(('*' + Integer.toString(args.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
      for (String a : args) {
        byte[] b = a.getBytes(StandardCharsets.UTF_8);
        out.write(('$' + Integer.toString(b.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
        out.write(b);
        out.write('\r');
        out.write('\n');
      }
    }

    void flush() throws IOException {
      out.flush();
    }

    Object call(String... args) throws IOException {
      send(args);
      return read();
    }

    Object read() throws IOException {
      out.flush();
      int type = in.read();
      String line = line();
      switch (type) {
        case '+':
          return line;
        case '-':
          return new Error(line);
        case ':':
          return Long.parseLong(line);
        case '$':
          {
            int n = Integer.parseInt(line);
            if (n < 0) {
              return null;
            }
            byte[] b = in.readNBytes(n + 2);
            return new String(b, 0, n, StandardCharsets.UTF_8);
          }
        case '*':
          {
            int n = Integer.parseInt(line);
            List<Object> items = new ArrayList<>();
            for (int i = 0; i < n; i++) {
              items.add(read());
            }
            return items;
          }
        default:
          throw new IOException("unexpected reply type " + type + " " + line);
      }
    }

    private String line() throws IOException {
      StringBuilder sb = new StringBuilder();
      int c;
      while ((c = in.read()) != '\r') {
        if (c < 0) {
          throw new IOException("connection closed");
        }
        sb.append((char) c);
      }
      in.read();
      return sb.toString();
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }
}
