package io.ringlb.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.redis.ArrayRedisMessage;
import io.netty.handler.codec.redis.ErrorRedisMessage;
import io.netty.handler.codec.redis.FullBulkStringRedisMessage;
import io.netty.handler.codec.redis.RedisMessage;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Each RESP3 type as the front end writes it to a RESP2 connection (as Redis writes it in RESP2)
 * and to one that said {@code HELLO 3}; and HELLO, RESET and CLIENT INFO's {@code resp=}.
 */
class Resp3EncodingTest {

  private final Wire wire = Wire.server(new Types()).connect();

  @AfterEach
  void close() {
    wire.close();
  }

  /** A data side with one command per reply shape: {@code T-MAP}, {@code T-NULL}... */
  private static final class Types implements DataSide {
    @Override
    public void register(CommandRegistry registry) {
      reply(registry, "t-map", () -> Replies.map(List.of(bulk("a"), Replies.integer(1))));
      reply(registry, "t-emptymap", () -> Replies.map(List.of()));
      reply(registry, "t-set", () -> new SetRedisMessage(List.of(bulk("x"), bulk("y"))));
      reply(registry, "t-push", () -> Replies.push(List.of(bulk("message"), bulk("c"))));
      reply(registry, "t-double", () -> DoubleRedisMessage.of("1.5"));
      reply(registry, "t-inf", () -> DoubleRedisMessage.of("-inf"));
      reply(registry, "t-true", () -> BooleanRedisMessage.TRUE);
      reply(
          registry,
          "t-bools",
          () -> Replies.map(List.of(bulk("t"), BooleanRedisMessage.TRUE, bulk("f"), bool(false))));
      reply(
          registry,
          "t-big",
          () ->
              new BigNumberRedisMessage(
                  Unpooled.copiedBuffer("1234567890123456789012345", StandardCharsets.US_ASCII)));
      reply(registry, "t-verbatim", () -> Replies.verbatim(Unpooled.buffer().alloc(), "a:b\r\n"));
      reply(registry, "t-null", () -> Replies.NULL);
      reply(registry, "t-nullarray", () -> ArrayRedisMessage.NULL_INSTANCE);
      reply(
          registry,
          "t-nested",
          () ->
              Replies.array(
                  List.of(
                      Replies.NULL,
                      ArrayRedisMessage.NULL_INSTANCE,
                      Replies.simple("OK"),
                      new ErrorRedisMessage("ERR x"),
                      Replies.integer(-7),
                      Replies.EMPTY_ARRAY,
                      DoubleRedisMessage.of("2"))));
      reply(
          registry,
          "t-large",
          () -> Replies.array(List.of(bulk("k".repeat(20_000)), Replies.NULL, bulk("end"))));
    }

    private static BooleanRedisMessage bool(boolean value) {
      return BooleanRedisMessage.of(value);
    }

    private static void reply(CommandRegistry registry, String name, Supplier<RedisMessage> m) {
      registry.register(CommandSpec.of(name, 1, "fast"), (s, r) -> m.get());
    }
  }

  private static RedisMessage bulk(String text) {
    return new FullBulkStringRedisMessage(Unpooled.copiedBuffer(text, StandardCharsets.UTF_8));
  }

  @Test
  void resp2_getsRedisResp2Forms() {
    assertThat(wire.call("T-MAP")).isEqualTo("*2\r\n$1\r\na\r\n:1\r\n");
    assertThat(wire.call("T-EMPTYMAP")).isEqualTo("*0\r\n");
    assertThat(wire.call("T-SET")).isEqualTo("*2\r\n$1\r\nx\r\n$1\r\ny\r\n");
    assertThat(wire.call("T-PUSH")).isEqualTo("*2\r\n$7\r\nmessage\r\n$1\r\nc\r\n");
    assertThat(wire.call("T-DOUBLE")).isEqualTo("$3\r\n1.5\r\n");
    assertThat(wire.call("T-INF")).isEqualTo("$4\r\n-inf\r\n");
    assertThat(wire.call("T-TRUE")).isEqualTo(":1\r\n");
    assertThat(wire.call("T-BOOLS")).isEqualTo("*4\r\n$1\r\nt\r\n:1\r\n$1\r\nf\r\n:0\r\n");
    assertThat(wire.call("T-BIG")).isEqualTo("$25\r\n1234567890123456789012345\r\n");
    assertThat(wire.call("T-VERBATIM")).isEqualTo("$5\r\na:b\r\n\r\n");
    assertThat(wire.call("T-NULL")).isEqualTo("$-1\r\n");
    assertThat(wire.call("T-NULLARRAY")).isEqualTo("*-1\r\n");
    assertThat(wire.call("T-NESTED"))
        .isEqualTo("*7\r\n$-1\r\n*-1\r\n+OK\r\n-ERR x\r\n:-7\r\n*0\r\n$1\r\n2\r\n");
  }

  @Test
  void resp3_getsEachType() {
    assertThat(wire.call("HELLO", "3")).startsWith("%7\r\n$6\r\nserver\r\n$6\r\nringlb\r\n");
    assertThat(wire.call("T-MAP")).isEqualTo("%1\r\n$1\r\na\r\n:1\r\n");
    assertThat(wire.call("T-EMPTYMAP")).isEqualTo("%0\r\n");
    assertThat(wire.call("T-SET")).isEqualTo("~2\r\n$1\r\nx\r\n$1\r\ny\r\n");
    assertThat(wire.call("T-PUSH")).isEqualTo(">2\r\n$7\r\nmessage\r\n$1\r\nc\r\n");
    assertThat(wire.call("T-DOUBLE")).isEqualTo(",1.5\r\n");
    assertThat(wire.call("T-INF")).isEqualTo(",-inf\r\n");
    assertThat(wire.call("T-TRUE")).isEqualTo("#t\r\n");
    assertThat(wire.call("T-BOOLS")).isEqualTo("%2\r\n$1\r\nt\r\n#t\r\n$1\r\nf\r\n#f\r\n");
    assertThat(wire.call("T-BIG")).isEqualTo("(1234567890123456789012345\r\n");
    assertThat(wire.call("T-VERBATIM")).isEqualTo("=9\r\ntxt:a:b\r\n\r\n");
    assertThat(wire.call("T-NULL")).isEqualTo("_\r\n");
    assertThat(wire.call("T-NULLARRAY")).isEqualTo("_\r\n");
    assertThat(wire.call("T-NESTED"))
        .isEqualTo("*7\r\n_\r\n_\r\n+OK\r\n-ERR x\r\n:-7\r\n*0\r\n,2\r\n");
    assertThat(wire.call("T-LARGE"))
        .isEqualTo("*3\r\n$20000\r\n" + "k".repeat(20_000) + "\r\n_\r\n$3\r\nend\r\n");
    assertThat(wire.call("PING")).isEqualTo("+PONG\r\n");
    assertThat(wire.call("ECHO", "hi")).isEqualTo("$2\r\nhi\r\n");
  }

  @Test
  void hello_switchesBothWays_andAnswersAMapInTheNewProtocol() {
    String two = wire.call("HELLO");
    assertThat(two).startsWith("*14\r\n").contains("$5\r\nproto\r\n:2\r\n");
    String three = wire.call("HELLO", "3", "SETNAME", "me");
    assertThat(three).startsWith("%7\r\n").contains("$5\r\nproto\r\n:3\r\n");
    assertThat(wire.call("CLIENT", "INFO")).startsWith("=").contains(" name=me ", " resp=3");
    assertThat(wire.call("HELLO")).as("no version: stays").startsWith("%7\r\n");
    assertThat(wire.call("HELLO", "2")).startsWith("*14\r\n").contains("$5\r\nproto\r\n:2\r\n");
    assertThat(wire.call("CLIENT", "INFO")).startsWith("$").contains(" resp=2");
  }

  @Test
  void hello_refusesOtherVersions_andAFailedHelloKeepsTheProtocol() {
    assertThat(wire.call("HELLO", "4")).isEqualTo("-NOPROTO unsupported protocol version\r\n");
    assertThat(wire.call("HELLO", "1")).isEqualTo("-NOPROTO unsupported protocol version\r\n");
    assertThat(wire.call("HELLO", "x"))
        .isEqualTo("-ERR Protocol version is not an integer or out of range\r\n");
    assertThat(wire.call("HELLO", "3", "BOGUS"))
        .isEqualTo("-ERR Syntax error in HELLO option 'BOGUS'\r\n");
    assertThat(wire.call("T-NULL")).as("still RESP2").isEqualTo("$-1\r\n");
  }

  @Test
  void reset_goesBackToResp2() {
    wire.call("HELLO", "3");
    assertThat(wire.call("T-NULL")).isEqualTo("_\r\n");
    assertThat(wire.call("RESET")).isEqualTo("+RESET\r\n");
    assertThat(wire.call("T-NULL")).isEqualTo("$-1\r\n");
  }
}
