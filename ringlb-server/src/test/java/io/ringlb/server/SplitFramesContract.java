package io.ringlb.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The RESP front end answers byte for byte the same however a client's bytes are cut into reads:
 * each request set is fed to a connection's pipeline ({@link RespServer#initPipeline}) whole, split
 * in two at every byte boundary, one byte per read, and in seeded random chunkings, and every run
 * must write the same replies (and close, or not, the same way) as the unsplit run, which must
 * write the expected ones.
 *
 * <p>The contract is written once for every data side; a subclass says which through {@link
 * #newDataSide()}. A data side that answers within the request's read (the embedded one, {@link
 * EmbeddedSplitFramesTest}) runs each connection over an {@code EmbeddedChannel}, on the test's
 * thread. One that answers from connections of its own (the proxy, from its backends) says so with
 * {@link #onEventLoop()}: it is then started on a real event loop, as {@link RespServer} starts it,
 * each read is handed to the connection's pipeline on that loop, and the replies are awaited,
 * bounded in time ({@link EventLoopFeeds}).
 *
 * <p>Every case sets each key it reads and deletes what it created, so one data side serves all the
 * runs of a case; any data side that behaves as Redis does must write the expected replies.
 */
public abstract class SplitFramesContract {

  /** Random chunkings per case, and the seed of the first. */
  private static final int CHUNKINGS = 25;

  private static final long SEED = 20_240_601L;
  private static final int MAX_ONE_BYTE_READS = 16 * 1024;
  private static final String CLOSED = "<closed>";

  private DataSide dataSide;
  private ServerContext context;
  private EventLoopFeeds feeds;

  /** Returns a new data side to run the cases against; closed after each case. */
  protected abstract DataSide newDataSide() throws Exception;

  /**
   * Returns whether the data side must run on a real event loop (it answers from connections of its
   * own, which need one); false, the default, runs every connection over an {@code
   * EmbeddedChannel}.
   */
  protected boolean onEventLoop() {
    return false;
  }

  @BeforeEach
  final void startDataSide() throws Exception {
    dataSide = newDataSide();
    context = new ServerContext(ServerConfig.defaults(), dataSide);
    if (onEventLoop()) {
      feeds = new EventLoopFeeds(context);
    }
    ConnectionCommands.register(context);
    dataSide.register(context.commands());
  }

  @AfterEach
  final void closeDataSide() {
    try {
      dataSide.close();
    } finally {
      if (feeds != null) {
        feeds.close();
      }
    }
  }

  /** The request sets: name, the bytes a client sends, the replies Redis writes for them. */
  static Stream<Arguments> cases() {
    String big = binary(600);
    return Stream.of(
        Arguments.of(
            "plain",
            resp("SET", "plain", "v") + resp("GET", "plain") + resp("DEL", "plain"),
            "+OK\r\n$1\r\nv\r\n:1\r\n"),
        Arguments.of(
            "pipelined",
            resp("SET", "p", "hello")
                + resp("GET", "p")
                + resp("PING")
                + resp("SET", "e", "")
                + resp("GET", "e")
                + resp("APPEND", "p", " world")
                + resp("MGET", "p", "nope", "e")
                + resp("SET", "n", "41")
                + resp("INCR", "n")
                + resp("ECHO", "a\r\nb")
                + resp("DEL", "p", "e", "n", "nope")
                + resp("GET", "p"),
            "+OK\r\n$5\r\nhello\r\n+PONG\r\n+OK\r\n$0\r\n\r\n:11\r\n"
                + "*3\r\n$11\r\nhello world\r\n$-1\r\n$0\r\n\r\n+OK\r\n:42\r\n$4\r\na\r\nb\r\n"
                + ":3\r\n$-1\r\n"),
        Arguments.of(
            "large bulk strings",
            resp("SET", "big", big)
                + resp("STRLEN", "big")
                + resp("GET", "big")
                + resp("ECHO", big)
                + resp("DEL", "big"),
            "+OK\r\n:600\r\n$600\r\n" + big + "\r\n$600\r\n" + big + "\r\n:1\r\n"),
        Arguments.of(
            "inline commands",
            "PING\r\nSET inline \"a b\"\r\nGET inline\r\n"
                + "ECHO 'x y' \"\\x41\"\r\nDEL inline\r\n"
                + resp("PING"),
            "+PONG\r\n+OK\r\n$3\r\na b\r\n-ERR wrong number of arguments for 'echo' command\r\n"
                + ":1\r\n+PONG\r\n"),
        Arguments.of(
            "empty arrays and lines",
            "*0\r\n" + resp("PING") + "*-1\r\n\r\n" + "*0\r\nECHO x\r\n",
            "+PONG\r\n$1\r\nx\r\n"),
        Arguments.of(
            "protocol error",
            resp("SET", "err", "v")
                + resp("DEL", "err")
                + "*2\r\n$4\r\nECHO\r\n$x\r\n"
                + resp("PING"),
            "+OK\r\n:1\r\n-ERR Protocol error: invalid bulk length\r\n<closed>"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  final void splitInTwoAtEveryByte_sameReplies(String name, String request, String expected) {
    byte[] bytes = request.getBytes(StandardCharsets.ISO_8859_1);
    String whole = run(bytes, List.of(bytes.length), expected);
    assertThat(whole).as("%s, unsplit", name).isEqualTo(expected);
    for (int cut = 1; cut < bytes.length; cut++) {
      assertThat(run(bytes, List.of(cut, bytes.length - cut), expected))
          .as("%s, split after byte %d of %d", name, cut, bytes.length)
          .isEqualTo(whole);
    }
  }

  /** The cases, and a bulk string of 100 KB: too long to split at every byte, not to chunk. */
  static Stream<Arguments> chunkingCases() {
    String huge = binary(100_000);
    return Stream.concat(
        cases(),
        Stream.of(
            Arguments.of(
                "100 KB bulk string",
                resp("SET", "huge", huge) + resp("GET", "huge") + resp("DEL", "huge"),
                "+OK\r\n$100000\r\n" + huge + "\r\n:1\r\n")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("chunkingCases")
  final void randomChunkings_sameReplies(String name, String request, String expected) {
    byte[] bytes = request.getBytes(StandardCharsets.ISO_8859_1);
    String whole = run(bytes, List.of(bytes.length), expected);
    assertThat(whole).as("%s, unsplit", name).isEqualTo(expected);
    if (bytes.length <= MAX_ONE_BYTE_READS) {
      List<Integer> oneByteEach = new ArrayList<>();
      for (int i = 0; i < bytes.length; i++) {
        oneByteEach.add(1);
      }
      assertThat(run(bytes, oneByteEach, expected))
          .as("%s, one byte per read", name)
          .isEqualTo(whole);
    }
    for (int k = 0; k < CHUNKINGS; k++) {
      List<Integer> sizes = chunking(new Random(SEED + k), bytes.length);
      assertThat(run(bytes, sizes, expected))
          .as("%s, chunking %d (seed %d): %s", name, k, SEED + k, sizes)
          .isEqualTo(whole);
    }
  }

  /** Returns read sizes adding up to {@code length}: mostly small, some up to a third of it. */
  static List<Integer> chunking(Random random, int length) {
    List<Integer> sizes = new ArrayList<>();
    for (int left = length; left > 0; ) {
      int bound = random.nextInt(4) == 0 ? Math.max(1, length / 3) : 16;
      int size = Math.min(left, 1 + random.nextInt(bound));
      sizes.add(size);
      left -= size;
    }
    return sizes;
  }

  /**
   * Feeds {@code bytes} to a new connection in reads of {@code sizes} and returns what it wrote,
   * with {@code <closed>} if it closed, once the {@code expected} replies' worth is there; checks
   * that every read buffer was released once the connection ended. (The reads are unpooled:
   * paranoid leak tracking of every byte read would make the thousands of runs slow; refCnt shows a
   * buffer kept.)
   */
  private String run(byte[] bytes, List<Integer> sizes, String expected) {
    ClientFeed feed;
    try {
      feed = feeds != null ? feeds.open() : new EmbeddedChannelFeed(context);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted while connecting", e);
    }
    List<ByteBuf> reads = new ArrayList<>(sizes.size());
    String outcome;
    try {
      int offset = 0;
      for (int size : sizes) {
        if (!feed.isOpen()) {
          break; // closed after a protocol error: the rest is never read
        }
        ByteBuf read = Unpooled.wrappedBuffer(bytes, offset, size);
        reads.add(read);
        feed.read(read);
        offset += size;
      }
      boolean closes = expected.endsWith(CLOSED);
      outcome = feed.replies(expected.length() - (closes ? CLOSED.length() : 0), closes);
    } finally {
      feed.close();
    }
    for (int i = 0; i < reads.size(); i++) {
      assertThat(reads.get(i).refCnt())
          .as("read %d of %s, after the connection ended", i, sizes)
          .isZero();
    }
    return outcome;
  }

  /** Encodes a command as a RESP array of bulk strings. */
  static String resp(String... args) {
    return Fixtures.resp(args);
  }

  /** Returns {@code length} characters cycling through every byte value, CR and LF included. */
  static String binary(int length) {
    StringBuilder sb = new StringBuilder(length);
    for (int i = 0; i < length; i++) {
      sb.append((char) ((i * 7) & 0xFF));
    }
    return sb.toString();
  }
}
