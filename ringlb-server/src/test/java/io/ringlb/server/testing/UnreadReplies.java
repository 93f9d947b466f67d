package io.ringlb.server.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.ringlb.server.ServerConfig;
import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.LongPredicate;
import java.util.function.Predicate;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import redis.clients.jedis.Jedis;

/**
 * Clients that send requests and do not read the replies, against a server started with {@code
 * maxmemory-clients} {@link #LIMIT}; shared by the embedded server's and the proxy's tests, which
 * differ only in the server they start.
 */
public final class UnreadReplies {

  /** The {@code maxmemory-clients} the server under test must have. */
  public static final long LIMIT = 32L << 20;

  private static final Duration WAIT = Duration.ofSeconds(30);

  /** What the buffer pool may keep of the chunks the clients' replies took: four 4 MB chunks. */
  private static final long POOL_SLACK = 16L << 20;

  private UnreadReplies() {}

  /**
   * Two clients that never read, each GETting one large value: the first holds its 28 MB reply,
   * then the second's 20 MB takes the total over the limit. The first, the largest, is
   * disconnected, not the second, which gets its reply whole once it reads; a client that reads is
   * served all along; INFO counts the eviction and shows what clients hold, near zero again once
   * they are gone, and the buffer pool has given back the memory their replies took; the
   * disconnection is logged once, naming the client's address.
   */
  public static void largestIsDisconnectedFirst(int port) throws Exception {
    List<String> log = new ArrayList<>();
    String[] largerAddress = {null};
    Handler capture = capture(log);
    Logger logger = Logger.getLogger("io.ringlb.server.ClientMemory");
    logger.addHandler(capture);
    try (Jedis jedis = new Jedis("127.0.0.1", port, 30_000)) {
      byte[] small = set(jedis, "small", 1 << 20);
      set(jedis, "large", 28 << 20);
      set(jedis, "smaller", 20 << 20);
      assertThat(field(jedis.info("memory"), "maxmemory_clients")).isEqualTo(LIMIT);
      assertThat(jedis.configGet("maxmemory-clients"))
          .containsExactly(java.util.Map.entry("maxmemory-clients", Long.toString(LIMIT)));
      long evicted = field(jedis.info("stats"), "evicted_clients");
      long pool = field(jedis.info("memory"), "allocator_direct");
      try (NonReadingClient larger = NonReadingClient.connect(port);
          NonReadingClient smaller = NonReadingClient.connect(port)) {
        largerAddress[0] = larger.address();
        larger.sendGetsThenQuit("large", 1);
        // More than the other's whole reply: whoever takes the total over holds less.
        awaitHeld(jedis, larger.address(), n -> n > reply(20 << 20));
        assertThat(field(jedis.info("stats"), "evicted_clients")).isEqualTo(evicted);

        smaller.sendGetsThenQuit("smaller", 1);
        awaitField(jedis, "stats", "evicted_clients", n -> n > evicted);
        assertThat((long) larger.readToEnd(WAIT).length)
            .as("the larger client was disconnected before its reply was all written")
            .isLessThan(reply(28 << 20));
        assertThat(jedis.get("small".getBytes(StandardCharsets.UTF_8))).isEqualTo(small);
        assertThat(field(jedis.info("memory"), "mem_clients_normal")).isPositive();
        byte[] replies = smaller.readToEnd(WAIT);
        assertThat((long) replies.length).isEqualTo(reply(20 << 20) + "+OK\r\n".length());
        String header = "$" + (20 << 20) + "\r\n";
        assertThat(new String(replies, 0, 64, StandardCharsets.US_ASCII))
            .isEqualTo(header + "v".repeat(64 - header.length()));
        assertThat(field(jedis.info("stats"), "evicted_clients")).isEqualTo(evicted + 1);
      }
      awaitField(jedis, "memory", "mem_clients_normal", n -> n < 64 * 1024);
      awaitField(jedis, "memory", "allocator_direct", n -> n <= pool + POOL_SLACK);
      assertThat(jedis.ping()).isEqualTo("PONG");
    } finally {
      logger.removeHandler(capture);
    }
    assertThat(log).filteredOn(line -> line.contains("addr=" + largerAddress[0] + ":")).hasSize(1);
    assertThat(log).allMatch(line -> line.startsWith("disconnecting client id="));
  }

  /**
   * The same two clients, the larger with CLIENT NO-EVICT ON (flag {@code e} in CLIENT LIST): it is
   * left out, so the smaller is the one disconnected, and the larger gets its reply once it reads.
   */
  public static void noEvictClientIsLeftOut(int port) throws Exception {
    try (Jedis jedis = new Jedis("127.0.0.1", port, 30_000)) {
      set(jedis, "large", 28 << 20);
      set(jedis, "smaller", 20 << 20);
      long evicted = field(jedis.info("stats"), "evicted_clients");
      try (NonReadingClient larger = NonReadingClient.connect(port);
          NonReadingClient smaller = NonReadingClient.connect(port)) {
        larger.send("CLIENT NO-EVICT ON\r\n");
        larger.sendGetsThenQuit("large", 1);
        awaitHeld(jedis, larger.address(), n -> n > reply(20 << 20));
        assertThat(jedis.clientList())
            .containsPattern("addr=" + Pattern.quote(larger.address()) + " .* flags=e ");
        smaller.sendGetsThenQuit("smaller", 1);
        awaitField(jedis, "stats", "evicted_clients", n -> n > evicted);
        assertThat((long) smaller.readToEnd(WAIT).length).isLessThan(reply(20 << 20));
        assertThat((long) larger.readToEnd(WAIT).length)
            .isEqualTo("+OK\r\n".length() + reply(28 << 20) + "+OK\r\n".length());
        assertThat(field(jedis.info("stats"), "evicted_clients")).isEqualTo(evicted + 1);
      }
    }
  }

  /**
   * A client that sends 3000 GETs of a 16 KB value, each followed by an INCR, and reads nothing:
   * once it leaves more than {@link ServerConfig#UNREAD_BEFORE_WAITING} unread (in the proxy, or
   * has 1024 replies outstanding), its later requests wait instead of running (the proxy does not
   * send them to its backends), so fewer than 1000 INCRs have run; when it reads, they run, and it
   * gets every reply, in order.
   */
  public static void requestsWaitForAClientThatDoesNotRead(int port) throws Exception {
    int pairs = 3000;
    int value = 16 << 10;
    try (Jedis jedis = new Jedis("127.0.0.1", port, 30_000);
        NonReadingClient client = NonReadingClient.connect(port)) {
      set(jedis, "mid", value);
      jedis.del("ran");
      String pair = "*2\r\n$3\r\nGET\r\n$3\r\nmid\r\n*2\r\n$4\r\nINCR\r\n$3\r\nran\r\n";
      client.send(pair.repeat(pairs) + "*1\r\n$4\r\nQUIT\r\n");
      // Most of its requests wait (CLIENT LIST's qbuf: requests read and not run).
      awaitClient(jedis, client.address(), l -> number(l, "qbuf") > 100_000);
      assertThat(ran(jedis)).as("requests run for a client that does not read").isLessThan(1000);
      assertThat(jedis.clientList()).contains("addr=" + client.address() + " ");
      // It stays so: what waits does not run until the client reads.
      awaitClient(jedis, client.address(), l -> number(l, "qbuf") > 100_000);
      assertThat(ran(jedis)).isLessThan(1000);
      byte[] replies = client.readToEnd(WAIT);
      String get = "$" + value + "\r\n" + "v".repeat(value) + "\r\n";
      StringBuilder expected = new StringBuilder();
      for (int i = 1; i <= pairs; i++) {
        expected.append(get).append(':').append(i).append("\r\n");
      }
      expected.append("+OK\r\n");
      assertThat(new String(replies, StandardCharsets.US_ASCII)).isEqualTo(expected.toString());
      assertThat(ran(jedis)).isEqualTo(pairs);
    }
  }

  private static long ran(Jedis jedis) {
    String n = jedis.get("ran");
    return n == null ? 0 : Long.parseLong(n);
  }

  /**
   * A client that writes 64000 GETs (17 MB of requests, 33 MB of replies, more than the socket
   * buffers hold either way) before it reads any reply, as a naive pipelining client does: it can
   * write them all, then reads every reply; neither side waits for the other for ever.
   */
  public static void clientThatWritesEverythingBeforeReading_isNotDeadlocked(int port)
      throws Exception {
    String key = "k".repeat(250);
    try (Jedis jedis = new Jedis("127.0.0.1", port, 30_000)) {
      jedis.set(key, "x".repeat(512));
    }
    String get = "*2\r\n$3\r\nGET\r\n$250\r\n" + key + "\r\n";
    byte[] request =
        (get.repeat(64_000) + "*1\r\n$4\r\nQUIT\r\n").getBytes(StandardCharsets.US_ASCII);
    ExecutorService writer = Executors.newSingleThreadExecutor();
    try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
      socket.setSoTimeout(60_000);
      Future<Boolean> written =
          writer.submit(
              () -> {
                socket.getOutputStream().write(request);
                return true;
              });
      // A deadlock never ends; 60 s leaves room for paranoid leak tracking on a loaded machine.
      assertThat(written.get(60, TimeUnit.SECONDS))
          .as("all requests written while no reply was read")
          .isTrue();
      CompletableFuture<Long> read =
          CompletableFuture.supplyAsync(
              () -> {
                try {
                  byte[] buf = new byte[1 << 16];
                  long n = 0;
                  for (int r; (r = socket.getInputStream().read(buf)) > 0; ) {
                    n += r;
                  }
                  return n;
                } catch (IOException e) {
                  throw new java.io.UncheckedIOException(e);
                }
              });
      assertThat(read.get(60, TimeUnit.SECONDS)).isEqualTo(64_000L * reply(512) + 5);
    } finally {
      writer.shutdownNow();
    }
  }

  /**
   * {@code count} clients that never read, each sending 200 GETs of a 1 MB value: what they hold
   * together stays near the limit, those not disconnected get every reply once they read, a client
   * that reads is served all along, and once they are gone what clients hold is near zero and the
   * buffer pool has given back the memory their replies took.
   */
  public static void manyNonReadingClients(int port, int count) throws Exception {
    int gets = 200;
    int value = 1 << 20;
    try (Jedis jedis = new Jedis("127.0.0.1", port, 30_000)) {
      byte[] big = set(jedis, "big", value);
      long evicted = field(jedis.info("stats"), "evicted_clients");
      long pool = field(jedis.info("memory"), "allocator_direct");
      List<NonReadingClient> clients = new ArrayList<>();
      try {
        for (int i = 0; i < count; i++) {
          NonReadingClient c = NonReadingClient.connect(port);
          clients.add(c);
          c.sendGetsThenQuit("big", gets);
        }
        // Each one is disconnected, or has requests waiting for it to read, or ran them all.
        for (NonReadingClient c : clients) {
          awaitClient(
              jedis,
              c.address(),
              line -> line == null || !line.contains(" qbuf=0 ") || line.contains(" cmd=quit "));
        }
        assertThat(jedis.get("big".getBytes(StandardCharsets.UTF_8))).isEqualTo(big);
        assertThat(field(jedis.info("memory"), "mem_clients_normal"))
            .isLessThanOrEqualTo(LIMIT + (8L << 20));
        int served = 0;
        for (NonReadingClient c : clients) {
          long n = c.readToEnd(WAIT).length;
          if (n == gets * reply(value) + "+OK\r\n".length()) {
            served++;
          } else {
            assertThat(n).as("a disconnected client's replies").isLessThan(gets * reply(value));
          }
        }
        assertThat(field(jedis.info("stats"), "evicted_clients"))
            .isEqualTo(evicted + count - served);
      } finally {
        for (NonReadingClient c : clients) {
          c.close();
        }
      }
      awaitField(jedis, "memory", "mem_clients_normal", n -> n < 64 * 1024);
      awaitField(jedis, "memory", "allocator_direct", n -> n <= pool + POOL_SLACK);
    }
  }

  /** Returns the bytes of a bulk reply of {@code value} bytes. */
  private static long reply(int value) {
    return value + ("$" + value + "\r\n\r\n").length();
  }

  /** Stores {@code bytes} of 'v' under {@code key} and returns them. */
  private static byte[] set(Jedis jedis, String key, int bytes) {
    byte[] value = new byte[bytes];
    Arrays.fill(value, (byte) 'v');
    jedis.set(key.getBytes(StandardCharsets.UTF_8), value);
    return value;
  }

  /** Waits until the client's tot-mem in CLIENT LIST (-1 once it is gone) is one to accept. */
  private static long awaitHeld(Jedis jedis, String address, LongPredicate until)
      throws InterruptedException {
    return number(awaitClient(jedis, address, l -> until.test(number(l, "tot-mem"))), "tot-mem");
  }

  /** Returns the number {@code field} has in a CLIENT LIST line, -1 for no line. */
  private static long number(String line, String field) {
    if (line == null) {
      return -1;
    }
    Matcher m = Pattern.compile(" " + field + "=(\\d+) ").matcher(line);
    assertThat(m.find()).as(field + " in " + line).isTrue();
    return Long.parseLong(m.group(1));
  }

  /**
   * Waits until the CLIENT LIST line of the client at {@code address} (null once it is gone) is one
   * {@code until} accepts, and returns it.
   */
  private static String awaitClient(Jedis jedis, String address, Predicate<String> until)
      throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    String found = null;
    while (System.nanoTime() - deadline < 0) {
      found = null;
      for (String line : jedis.clientList().split("\n")) {
        if (line.contains(" addr=" + address + " ")) {
          found = line;
        }
      }
      if (until.test(found)) {
        return found;
      }
      Thread.sleep(20);
    }
    throw new AssertionError(
        "client " + address + " is still " + found + " after " + WAIT + "\n" + jedis.clientList());
  }

  /** Waits until INFO's {@code name} in {@code section} is a number {@code until} accepts. */
  public static long awaitField(Jedis jedis, String section, String name, LongPredicate until)
      throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    long value = -1;
    while (System.nanoTime() - deadline < 0) {
      value = field(jedis.info(section), name);
      if (until.test(value)) {
        return value;
      }
      Thread.sleep(20);
    }
    throw new AssertionError(
        "INFO "
            + name
            + " is still "
            + value
            + " after "
            + WAIT
            + "\n"
            + jedis.info("everything")
            + "\n"
            + jedis.clientList());
  }

  /** Returns the number INFO's text gives for {@code name}. */
  public static long field(String info, String name) {
    Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + ":(-?\\d+)\r?$").matcher(info);
    assertThat(m.find()).as(name + " in INFO:\n" + info).isTrue();
    return Long.parseLong(m.group(1));
  }

  private static Handler capture(List<String> log) {
    return new Handler() {
      @Override
      public void publish(LogRecord record) {
        synchronized (log) {
          log.add(record.getMessage());
        }
      }

      @Override
      public void flush() {}

      @Override
      public void close() {}
    };
  }
}
