package io.ringlb.server;

import static io.ringlb.server.Fixtures.output;
import static io.ringlb.server.Fixtures.resp;
import static io.ringlb.server.Fixtures.write;
import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.redis.RedisMessage;
import io.ringlb.server.embedded.EmbeddedBackend;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The whole per-connection pipeline, driven through an EmbeddedChannel. */
class PipelineTest {

  private static final String COMMANDS =
      resp("SET", "k", "hello")
          + resp("GET", "k")
          + "PING\r\n"
          + resp("SET", "e", "")
          + resp("GET", "e")
          + resp("APPEND", "k", " world")
          + resp("get", "k")
          + "ECHO \"a b\\x41\"\r\n"
          + resp("MGET", "k", "nope", "e")
          + resp("INCR", "n")
          + resp("INCRBY", "n", "41")
          + resp("DEL", "k", "e", "n", "x")
          + resp("GET", "k");

  private static final String REPLIES =
      "+OK\r\n$5\r\nhello\r\n+PONG\r\n+OK\r\n$0\r\n\r\n:11\r\n"
          + "$11\r\nhello world\r\n$4\r\na bA\r\n*3\r\n$11\r\nhello world\r\n$-1\r\n$0\r\n\r\n"
          + ":1\r\n:42\r\n:3\r\n$-1\r\n";

  @Test
  void pipeline_wholeInOneRead() {
    EmbeddedChannel ch = Fixtures.channel();
    write(ch, COMMANDS);
    assertThat(output(ch)).isEqualTo(REPLIES);
    assertThat(ch.isActive()).isTrue();
    ch.finishAndReleaseAll();
  }

  @Test
  void pipeline_splitAtEveryByteBoundary() {
    byte[] all = Fixtures.bytes(COMMANDS);
    for (int cut = 1; cut < all.length; cut++) {
      EmbeddedChannel ch = Fixtures.channel();
      ch.writeInbound(Unpooled.wrappedBuffer(all, 0, cut));
      ch.writeInbound(Unpooled.wrappedBuffer(all, cut, all.length - cut));
      assertThat(output(ch)).as("split at %d", cut).isEqualTo(REPLIES);
      ch.finishAndReleaseAll();
    }
  }

  @Test
  void pipeline_oneByteAtATime() {
    byte[] all = Fixtures.bytes(COMMANDS);
    EmbeddedChannel ch = Fixtures.channel();
    for (byte b : all) {
      ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {b}));
    }
    assertThat(output(ch)).isEqualTo(REPLIES);
    ch.finishAndReleaseAll();
  }

  @Test
  void bulkString_largerThanOneRead_goesThroughTheAggregators() {
    String big = "x".repeat(100_000);
    EmbeddedChannel ch = Fixtures.channel();
    byte[] all =
        Fixtures.bytes(resp("SET", "big", big) + resp("STRLEN", "big") + resp("GET", "big"));
    for (int i = 0; i < all.length; i += 1000) {
      ch.writeInbound(Unpooled.wrappedBuffer(all, i, Math.min(1000, all.length - i)));
    }
    assertThat(output(ch)).isEqualTo("+OK\r\n:100000\r\n$100000\r\n" + big + "\r\n");
    ch.finishAndReleaseAll();
  }

  @Test
  void errors_wordedAsRedis() {
    EmbeddedChannel ch = Fixtures.channel();
    write(
        ch,
        resp("FOO", "a", "b")
            + resp("GET")
            + resp("CLIENT", "nope")
            + resp("CLIENT", "SETNAME")
            + resp("SET", "k", "v", "EX", "0")
            + resp("SET", "k", "v", "NX", "XX")
            + resp("INCRBY", "k", "1.5")
            + resp("SELECT", "1")
            + resp("AUTH", "x")
            + resp("HELLO", "4"));
    assertThat(output(ch))
        .isEqualTo(
            "-ERR unknown command 'FOO', with args beginning with: 'a' 'b' \r\n"
                + "-ERR wrong number of arguments for 'get' command\r\n"
                + "-ERR unknown subcommand 'nope'. Try CLIENT HELP.\r\n"
                + "-ERR wrong number of arguments for 'client|setname' command\r\n"
                + "-ERR invalid expire time in 'set' command\r\n"
                + "-ERR syntax error\r\n"
                + "-ERR value is not an integer or out of range\r\n"
                + "-ERR DB index is out of range\r\n"
                + "-ERR AUTH <password> called without any password configured for the default"
                + " user. Are you sure your configuration is correct?\r\n"
                + "-NOPROTO unsupported protocol version\r\n");
    assertThat(ch.isActive()).isTrue();
    ch.finishAndReleaseAll();
  }

  @Test
  void quit_repliesThenCloses() {
    EmbeddedChannel ch = Fixtures.channel();
    write(ch, resp("PING") + resp("QUIT") + resp("PING"));
    assertThat(output(ch)).isEqualTo("+PONG\r\n+OK\r\n");
    assertThat(ch.isActive()).isFalse();
    ch.finishAndReleaseAll();
  }

  @Test
  void requirepass_refusesUntilAuth() {
    EmbeddedChannel ch =
        Fixtures.channel(ServerConfig.defaults().withRequirePass("s3cret"), Fixtures.embedded());
    write(
        ch,
        resp("GET", "k")
            + resp("PING")
            + resp("FOO")
            + resp("AUTH", "bad")
            + resp("HELLO", "2")
            + resp("AUTH", "s3cret")
            + resp("PING"));
    assertThat(output(ch))
        .isEqualTo(
            "-NOAUTH Authentication required.\r\n"
                + "-NOAUTH Authentication required.\r\n"
                + "-ERR unknown command 'FOO', with args beginning with: \r\n"
                + "-WRONGPASS invalid username-password pair or user is disabled.\r\n"
                + "-NOAUTH HELLO must be called with the client already authenticated, otherwise the"
                + " HELLO AUTH <user> <pass> option can be used to authenticate the client and select"
                + " the RESP protocol version at the same time\r\n"
                + "+OK\r\n+PONG\r\n");
    ch.finishAndReleaseAll();
  }

  @Test
  void requirepass_helloAuthAuthenticates() {
    EmbeddedChannel ch =
        Fixtures.channel(ServerConfig.defaults().withRequirePass("pw"), Fixtures.embedded());
    write(
        ch,
        resp("HELLO", "2", "AUTH", "default", "pw", "SETNAME", "me") + resp("CLIENT", "GETNAME"));
    assertThat(output(ch))
        .startsWith("*14\r\n$6\r\nserver\r\n$6\r\nringlb\r\n")
        .endsWith("$2\r\nme\r\n");
    ch.finishAndReleaseAll();
  }

  @Test
  void requirepass_unauthenticatedFramesAreSmall() {
    EmbeddedChannel ch =
        Fixtures.channel(ServerConfig.defaults().withRequirePass("pw"), Fixtures.embedded());
    write(ch, "*20\r\n");
    assertThat(output(ch)).isEqualTo("-ERR Protocol error: unauthenticated multibulk length\r\n");
    assertThat(ch.isActive()).isFalse();
    ch.finishAndReleaseAll();

    ch = Fixtures.channel(ServerConfig.defaults().withRequirePass("pw"), Fixtures.embedded());
    write(ch, "*2\r\n$20000\r\n");
    assertThat(output(ch)).isEqualTo("-ERR Protocol error: unauthenticated bulk length\r\n");
    ch.finishAndReleaseAll();
  }

  @Test
  void malformed_protocolErrorThenClose() {
    String[][] cases = {
      {"*1\r\n*1\r\n", "expected '$', got '*'"},
      {"*x\r\n", "invalid multibulk length"},
      {"*1\r\n$x\r\n", "invalid bulk length"},
      {"*1\r\n:1\r\n", "expected '$', got ':'"},
      {"*3000000000\r\n", "invalid multibulk length"},
      {"*1\r\n$600000000\r\n", "invalid bulk length"},
      {"*2\r\n$4\r\nECHO\r\n$-1\r\n", "invalid bulk length"},
      {"\"PING\r\n", "unbalanced quotes in request"},
      {"*1\r\n$4\r\nPINGxx", "expected CRLF at the end of a line or bulk string"},
      {"$4\r\nPING\r\n", "expected '*', got '$'"},
      {"PING" + "x".repeat(70_000), "too big inline request"},
      // The whole line, CRLF included, in one read: refused all the same, as Redis does.
      {"ECHO " + "x".repeat(70_000) + "\r\n", "too big inline request"},
      {"ECHO " + "\u00e9".repeat(33_000) + "\r\n", "too big inline request"},
    };
    for (String[] c : cases) {
      EmbeddedChannel ch = Fixtures.channel();
      write(ch, resp("PING") + c[0]);
      assertThat(output(ch))
          .as(c[0].substring(0, Math.min(20, c[0].length())))
          .isEqualTo("+PONG\r\n-ERR Protocol error: " + c[1] + "\r\n");
      assertThat(ch.isActive()).isFalse();
      ch.finishAndReleaseAll();
    }
  }

  @Test
  void inline_upToTheLimit_isServed() {
    EmbeddedChannel ch = Fixtures.channel();
    String arg = "x".repeat(RespServer.MAX_INLINE - "ECHO ".length());
    write(ch, "ECHO " + arg + "\r\n");
    assertThat(output(ch)).isEqualTo("$" + arg.length() + "\r\n" + arg + "\r\n");
    assertThat(ch.isActive()).isTrue();
    ch.finishAndReleaseAll();
  }

  @Test
  void protoMaxBulkLen_refusesLongerBulkBeforeBuffering() {
    EmbeddedChannel ch =
        Fixtures.channel(ServerConfig.defaults().withProtoMaxBulkLen(10), Fixtures.embedded());
    write(ch, resp("SET", "k", "0123456789") + "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$11\r\n");
    assertThat(output(ch)).isEqualTo("+OK\r\n-ERR Protocol error: invalid bulk length\r\n");
    assertThat(ch.isActive()).isFalse();
    ch.finishAndReleaseAll();
  }

  @Test
  void partialRequest_releasedWhenTheConnectionCloses() {
    // Pooled (leak-tracked) read buffers holding part of a request, in one read and in two: once
    // the connection closes each is released, and the half request never ran.
    EmbeddedBackend backend = Fixtures.embedded();
    EmbeddedChannel ch = Fixtures.channel(ServerConfig.defaults(), backend);
    ByteBuf half = pooled("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$100\r\nabc");
    ch.writeInbound(half);
    assertThat(output(ch)).isEmpty();
    assertThat(half.refCnt()).as("held while the request is incomplete").isPositive();
    ch.close();
    assertThat(half.refCnt()).as("half a request, one read").isZero();
    assertThat(ch.finishAndReleaseAll()).as("nothing left in the channel").isFalse();

    EmbeddedChannel chunked = Fixtures.channel(ServerConfig.defaults(), backend);
    ByteBuf first = pooled("*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nab");
    ByteBuf second = pooled("c");
    chunked.writeInbound(first);
    chunked.writeInbound(second);
    assertThat(output(chunked)).isEmpty();
    chunked.close();
    assertThat(first.refCnt()).as("first part of a request split over two reads").isZero();
    assertThat(second.refCnt()).as("second part").isZero();
    assertThat(chunked.finishAndReleaseAll()).isFalse();

    EmbeddedChannel after = Fixtures.channel(ServerConfig.defaults(), backend);
    write(after, resp("EXISTS", "k", "key"));
    assertThat(output(after)).as("the half requests did not run").isEqualTo(":0\r\n");
    after.finishAndReleaseAll();
  }

  /** Returns a pooled buffer, tracked by the leak detector, holding {@code text}. */
  private static ByteBuf pooled(String text) {
    return PooledByteBufAllocator.DEFAULT.buffer().writeBytes(Fixtures.bytes(text));
  }

  @Test
  void readBuffers_releasedOnceTheirRequestsRan() {
    // The decoder's argument slices keep the read buffer alive: a slice the fast path, the
    // aggregators or a handed-over request forgot to release would keep its refCnt above zero.
    byte[] all = Fixtures.bytes(COMMANDS);
    for (int cut = 1; cut < all.length; cut += 7) {
      EmbeddedChannel ch = Fixtures.channel();
      ByteBuf first = Unpooled.copiedBuffer(all, 0, cut);
      ByteBuf second = Unpooled.copiedBuffer(all, cut, all.length - cut);
      ch.writeInbound(first);
      ch.writeInbound(second);
      assertThat(output(ch)).as("split at %d", cut).isEqualTo(REPLIES);
      assertThat(first.refCnt()).as("first part, split at %d", cut).isZero();
      assertThat(second.refCnt()).as("second part, split at %d", cut).isZero();
      ch.finishAndReleaseAll();
    }
  }

  @Test
  void halfAssembledRequest_releasedWhenTheConnectionCloses() {
    for (String partial :
        List.of(
            "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n",
            "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nab",
            "*2\r\n$4\r\nECHO\r\n")) {
      EmbeddedChannel ch = Fixtures.channel();
      ByteBuf in = Unpooled.copiedBuffer(Fixtures.bytes(partial));
      ch.writeInbound(in);
      ch.close();
      ch.finishAndReleaseAll();
      assertThat(in.refCnt()).as("%s", partial).isZero();
    }
  }

  @Test
  void emptyLinesAndEmptyArrays_ignored() {
    EmbeddedChannel ch = Fixtures.channel();
    write(ch, "\r\n\r\n*0\r\n*-1\r\nPING\r\n");
    assertThat(output(ch)).isEqualTo("+PONG\r\n");
    ch.finishAndReleaseAll();
  }

  /** A backend whose SLOW command answers only when RELEASE runs, in reverse order. */
  private static final class AsyncBackend implements DataSide {
    final List<DeferredReply> waiting = new ArrayList<>();
    final List<String> values = new ArrayList<>();

    @Override
    public void register(CommandRegistry registry) {
      registry.register(
          CommandSpec.of("slow", 2, ""),
          (s, q) -> {
            waiting.add(s.defer());
            values.add(q.string(1));
            return CommandHandler.DEFERRED;
          });
      registry.register(
          CommandSpec.of("bulk", 2, ""),
          (s, q) -> {
            byte[] value =
                ("<" + q.string(1) + ">").getBytes(java.nio.charset.StandardCharsets.UTF_8);
            return s.bulk(value, 1, value.length - 2);
          });
      registry.register(
          CommandSpec.of("release", 1, ""),
          (s, q) -> {
            for (int i = waiting.size() - 1; i >= 0; i--) {
              String v = values.get(i);
              DeferredReply slot = waiting.get(i);
              Thread t = new Thread(() -> slot.complete(Replies.simple(v)));
              t.start();
              try {
                t.join();
              } catch (InterruptedException e) {
                throw new AssertionError(e);
              }
            }
            waiting.clear();
            values.clear();
            return Replies.OK;
          });
    }
  }

  @Test
  void deferredReplies_writtenInRequestOrder() {
    AsyncBackend backend = new AsyncBackend();
    EmbeddedChannel ch = Fixtures.channel(ServerConfig.defaults(), backend);
    write(ch, resp("SLOW", "a") + resp("PING") + resp("SLOW", "b") + resp("ECHO", "c"));
    assertThat(output(ch)).isEmpty(); // everything waits behind the first slot
    write(ch, resp("RELEASE") + resp("PING"));
    assertThat(output(ch)).isEqualTo("+a\r\n+PONG\r\n+b\r\n$1\r\nc\r\n+OK\r\n+PONG\r\n");
    ch.finishAndReleaseAll();
  }

  @Test
  void sessionBulk_encodedInPlaceOrQueuedBehindADeferredReply() {
    AsyncBackend backend = new AsyncBackend();
    EmbeddedChannel ch = Fixtures.channel(ServerConfig.defaults(), backend);
    write(ch, resp("BULK", "x") + resp("BULK", ""));
    assertThat(output(ch)).isEqualTo("$1\r\nx\r\n$0\r\n\r\n");
    write(ch, resp("SLOW", "a") + resp("BULK", "yz") + resp("BULK", "") + resp("PING"));
    assertThat(output(ch)).isEmpty();
    write(ch, resp("RELEASE") + resp("BULK", "w"));
    assertThat(output(ch)).isEqualTo("+a\r\n$2\r\nyz\r\n$0\r\n\r\n+PONG\r\n+OK\r\n$1\r\nw\r\n");
    ch.finishAndReleaseAll();
  }

  @Test
  void deferredReply_completedTwice_refused() {
    List<DeferredReply> slots = new ArrayList<>();
    DataSide backend =
        registry ->
            registry.register(
                CommandSpec.of("once", 1, ""),
                (s, q) -> {
                  DeferredReply slot = s.defer();
                  slots.add(slot);
                  slot.complete(Replies.OK);
                  return CommandHandler.DEFERRED;
                });
    EmbeddedChannel ch = Fixtures.channel(ServerConfig.defaults(), backend);
    write(ch, resp("ONCE") + resp("PING"));
    assertThat(output(ch)).isEqualTo("+OK\r\n+PONG\r\n");
    RedisMessage again = Replies.OK;
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> slots.get(0).complete(again))
        .isInstanceOf(IllegalStateException.class);
    ch.finishAndReleaseAll();
  }
}
