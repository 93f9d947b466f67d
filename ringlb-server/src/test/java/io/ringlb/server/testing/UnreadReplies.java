package io.ringlb.server.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.LongPredicate;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import redis.clients.jedis.Jedis;

/**
 * Clients that pipeline GETs of a large value and never read, against a server started with {@code
 * maxmemory-clients} {@link #LIMIT}; shared by the embedded server's and the proxy's tests, which
 * differ only in the server they start.
 */
public final class UnreadReplies {

  /** The {@code maxmemory-clients} the server under test must have. */
  public static final long LIMIT = 32L << 20;

  private static final int VALUE = 1 << 20;
  private static final int GETS = 30; // 30 MB of replies: under the limit alone, over it with two
  private static final long REPLY = VALUE + ("$" + VALUE + "\r\n\r\n").length();
  private static final Duration WAIT = Duration.ofSeconds(30);

  /** What the buffer pool may keep of the chunks the clients' replies took: four 4 MB chunks. */
  private static final long POOL_SLACK = 16L << 20;

  private UnreadReplies() {}

  /**
   * Two clients that never read: the first holds more than half the limit, then the second pushes
   * the total over it. The first, the largest, is disconnected, not the second, which gets every
   * reply once it reads; a client that reads is served all along; INFO counts the eviction and
   * shows what clients hold, which is near zero again once they are gone, and the buffer pool has
   * given back the memory their replies took; the disconnection is logged once, naming the client's
   * address.
   */
  public static void largestIsDisconnectedFirst(int port) throws Exception {
    List<String> log = new ArrayList<>();
    String[] largerAddress = {null};
    Handler capture = capture(log);
    Logger logger = Logger.getLogger("io.ringlb.server.ClientMemory");
    logger.addHandler(capture);
    try (Jedis jedis = new Jedis("127.0.0.1", port, 30_000)) {
      byte[] value = new byte[VALUE];
      Arrays.fill(value, (byte) 'v');
      jedis.set("big".getBytes(StandardCharsets.UTF_8), value);
      assertThat(field(jedis.info("memory"), "maxmemory_clients")).isEqualTo(LIMIT);
      assertThat(jedis.configGet("maxmemory-clients"))
          .containsExactly(java.util.Map.entry("maxmemory-clients", Long.toString(LIMIT)));
      long evicted = field(jedis.info("stats"), "evicted_clients");
      long pool = field(jedis.info("memory"), "allocator_direct");
      try (NonReadingClient larger = NonReadingClient.connect(port);
          NonReadingClient smaller = NonReadingClient.connect(port)) {
        largerAddress[0] = larger.address();
        larger.sendGetsThenQuit("big", GETS);
        // More than half the limit and a reply: whoever pushes the total over holds less.
        long held = awaitHeld(jedis, larger.address(), n -> n > (LIMIT + REPLY) / 2);
        assertThat(held).isLessThanOrEqualTo(LIMIT);
        assertThat(field(jedis.info("stats"), "evicted_clients")).isEqualTo(evicted);

        smaller.sendGetsThenQuit("big", GETS);
        awaitField(jedis, "stats", "evicted_clients", n -> n > evicted);
        assertThat((long) larger.readToEnd(WAIT).length)
            .as("the larger client was disconnected before its replies were all written")
            .isLessThan(GETS * REPLY);
        assertThat(jedis.get("big".getBytes(StandardCharsets.UTF_8))).isEqualTo(value);
        assertThat(field(jedis.info("memory"), "mem_clients_normal")).isPositive();
        byte[] replies = smaller.readToEnd(WAIT);
        assertThat((long) replies.length).isEqualTo(GETS * REPLY + "+OK\r\n".length());
        assertThat(new String(replies, 0, (int) REPLY, StandardCharsets.US_ASCII))
            .isEqualTo("$" + VALUE + "\r\n" + "v".repeat(VALUE) + "\r\n");
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
   * left out, so the smaller is the one disconnected, and the larger gets every reply once it
   * reads.
   */
  public static void noEvictClientIsLeftOut(int port) throws Exception {
    try (Jedis jedis = new Jedis("127.0.0.1", port, 30_000)) {
      byte[] value = new byte[VALUE];
      Arrays.fill(value, (byte) 'v');
      jedis.set("big".getBytes(StandardCharsets.UTF_8), value);
      long evicted = field(jedis.info("stats"), "evicted_clients");
      try (NonReadingClient larger = NonReadingClient.connect(port);
          NonReadingClient smaller = NonReadingClient.connect(port)) {
        larger.send("CLIENT NO-EVICT ON\r\n");
        larger.sendGetsThenQuit("big", GETS);
        awaitHeld(jedis, larger.address(), n -> n > (LIMIT + REPLY) / 2);
        assertThat(jedis.clientList())
            .containsPattern("addr=" + Pattern.quote(larger.address()) + " .* flags=e ");
        smaller.sendGetsThenQuit("big", GETS);
        awaitField(jedis, "stats", "evicted_clients", n -> n > evicted);
        assertThat((long) smaller.readToEnd(WAIT).length).isLessThan(GETS * REPLY);
        assertThat((long) larger.readToEnd(WAIT).length)
            .isEqualTo("+OK\r\n".length() + GETS * REPLY + "+OK\r\n".length());
        assertThat(field(jedis.info("stats"), "evicted_clients")).isEqualTo(evicted + 1);
      }
    }
  }

  /**
   * {@code count} clients that never read, each asking for nearly the limit in replies: all but at
   * most one are disconnected, each of the others gets all of its replies, a client that reads is
   * served all along, and once they are gone what clients hold is near zero and the buffer pool has
   * given back the memory they took.
   */
  public static void manyNonReadingClients(int port, int count) throws Exception {
    try (Jedis jedis = new Jedis("127.0.0.1", port, 30_000)) {
      byte[] value = new byte[VALUE];
      Arrays.fill(value, (byte) 'v');
      jedis.set("big".getBytes(StandardCharsets.UTF_8), value);
      long evicted = field(jedis.info("stats"), "evicted_clients");
      long pool = field(jedis.info("memory"), "allocator_direct");
      List<NonReadingClient> clients = new ArrayList<>();
      try {
        for (int i = 0; i < count; i++) {
          NonReadingClient c = NonReadingClient.connect(port);
          clients.add(c);
          c.sendGetsThenQuit("big", GETS);
        }
        awaitField(jedis, "stats", "evicted_clients", n -> n >= evicted + count - 1);
        assertThat(jedis.get("big".getBytes(StandardCharsets.UTF_8))).isEqualTo(value);
        int served = 0;
        for (NonReadingClient c : clients) {
          if (c.readToEnd(WAIT).length == GETS * REPLY + "+OK\r\n".length()) {
            served++;
          }
        }
        assertThat(served).isLessThanOrEqualTo(1);
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

  /** Waits until the client at {@code address} holds what {@code until} accepts (CLIENT LIST). */
  private static long awaitHeld(Jedis jedis, String address, LongPredicate until)
      throws InterruptedException {
    Pattern line = Pattern.compile("(?m)^.* addr=" + Pattern.quote(address) + " .* tot-mem=(\\d+)");
    long deadline = System.nanoTime() + WAIT.toNanos();
    long held = -1;
    while (System.nanoTime() - deadline < 0) {
      Matcher m = line.matcher(jedis.clientList());
      held = m.find() ? Long.parseLong(m.group(1)) : -1;
      if (until.test(held)) {
        return held;
      }
      Thread.sleep(20);
    }
    throw new AssertionError("client " + address + " holds " + held + " bytes after " + WAIT);
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
