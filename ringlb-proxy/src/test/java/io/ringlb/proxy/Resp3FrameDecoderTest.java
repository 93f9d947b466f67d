package io.ringlb.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.redis.ArrayRedisMessage;
import io.netty.handler.codec.redis.ErrorRedisMessage;
import io.netty.handler.codec.redis.FullBulkStringRedisMessage;
import io.netty.handler.codec.redis.IntegerRedisMessage;
import io.netty.handler.codec.redis.RedisMessage;
import io.netty.handler.codec.redis.SimpleStringRedisMessage;
import io.netty.util.ReferenceCountUtil;
import io.ringlb.server.BigNumberRedisMessage;
import io.ringlb.server.BooleanRedisMessage;
import io.ringlb.server.DoubleRedisMessage;
import io.ringlb.server.MapRedisMessage;
import io.ringlb.server.PushRedisMessage;
import io.ringlb.server.SetRedisMessage;
import io.ringlb.server.VerbatimRedisMessage;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** RESP3 replies framed whole however they are split, and read into messages. */
class Resp3FrameDecoderTest {

  /** One reply of every type, aggregates nested, as redis-server 7.0 writes them. */
  private static final List<String> REPLIES =
      List.of(
          "+OK\r\n",
          "-ERR x\r\n",
          ":-12\r\n",
          "_\r\n",
          ",1.5\r\n",
          ",-inf\r\n",
          "#t\r\n",
          "#f\r\n",
          "(3492890328409238509324850943850943825024385\r\n",
          "$5\r\nab\r\nc\r\n",
          "$0\r\n\r\n",
          "$-1\r\n",
          "*-1\r\n",
          "=15\r\ntxt:Some string\r\n",
          "!21\r\nSYNTAX invalid syntax\r\n",
          "*0\r\n",
          "%0\r\n",
          "~0\r\n",
          "*3\r\n:1\r\n$1\r\na\r\n_\r\n",
          "%2\r\n$5\r\nfirst\r\n:1\r\n$6\r\nsecond\r\n*2\r\n,2\r\n~1\r\n#f\r\n",
          "~2\r\n+a\r\n+b\r\n",
          ">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n",
          "|1\r\n+key-popularity\r\n%1\r\n$1\r\na\r\n,0.19\r\n*1\r\n:2\r\n",
          "*2\r\n*2\r\n*1\r\n%1\r\n+k\r\n_\r\n*0\r\n:7\r\n");

  private static String all() {
    return String.join("", REPLIES);
  }

  /** Feeds {@code parts} one by one; returns the frames, as text, and releases them. */
  private static List<String> frames(List<byte[]> parts) {
    EmbeddedChannel ch = new EmbeddedChannel(new Resp3FrameDecoder());
    List<String> out = new ArrayList<>();
    try {
      for (byte[] part : parts) {
        ch.writeInbound(Unpooled.wrappedBuffer(part));
        ByteBuf frame;
        while ((frame = ch.readInbound()) != null) {
          out.add(frame.toString(StandardCharsets.ISO_8859_1));
          frame.release();
        }
      }
    } finally {
      ch.finishAndReleaseAll();
    }
    return out;
  }

  @Test
  void everyReply_framedWhole_whereverTheBytesAreSplitInTwo() {
    byte[] bytes = all().getBytes(StandardCharsets.ISO_8859_1);
    for (int split = 0; split <= bytes.length; split++) {
      byte[] a = java.util.Arrays.copyOfRange(bytes, 0, split);
      byte[] b = java.util.Arrays.copyOfRange(bytes, split, bytes.length);
      assertThat(frames(List.of(a, b))).as("split at %d", split).isEqualTo(REPLIES);
    }
  }

  @Test
  void everyReply_framedWhole_fromOneByteAtATime() {
    byte[] bytes = all().getBytes(StandardCharsets.ISO_8859_1);
    List<byte[]> parts = new ArrayList<>();
    for (byte b : bytes) {
      parts.add(new byte[] {b});
    }
    assertThat(frames(parts)).isEqualTo(REPLIES);
  }

  @Test
  void aLargeBulkInAnAggregate_arrivingInManyReads() {
    String big = "x".repeat(100_000);
    String reply = "*2\r\n$" + big.length() + "\r\n" + big + "\r\n_\r\n";
    byte[] bytes = reply.getBytes(StandardCharsets.ISO_8859_1);
    List<byte[]> parts = new ArrayList<>();
    for (int i = 0; i < bytes.length; i += 1000) {
      parts.add(java.util.Arrays.copyOfRange(bytes, i, Math.min(bytes.length, i + 1000)));
    }
    assertThat(frames(parts)).containsExactly(reply);
  }

  @Test
  void notResp_isRefused() {
    EmbeddedChannel ch = new EmbeddedChannel(new Resp3FrameDecoder());
    try {
      assertThatThrownBy(
              () -> ch.writeInbound(Unpooled.copiedBuffer("?\r\n", StandardCharsets.US_ASCII)))
          .isInstanceOf(DecoderException.class)
          .hasMessageContaining("unknown RESP type");
      EmbeddedChannel other = new EmbeddedChannel(new Resp3FrameDecoder());
      assertThatThrownBy(
              () -> other.writeInbound(Unpooled.copiedBuffer("%-1\r\n", StandardCharsets.US_ASCII)))
          .isInstanceOf(DecoderException.class)
          .hasMessageContaining("aggregate of -1");
      other.finishAndReleaseAll();
    } finally {
      ch.finishAndReleaseAll();
    }
  }

  private static RedisMessage read(String reply) {
    ByteBuf frame = Unpooled.copiedBuffer(reply, StandardCharsets.ISO_8859_1);
    try {
      return Resp3Reader.read(frame);
    } finally {
      frame.release();
    }
  }

  private static String text(RedisMessage m) {
    return ((FullBulkStringRedisMessage) m).content().toString(StandardCharsets.ISO_8859_1);
  }

  @Test
  void reader_givesEachTypeItsMessage() {
    assertThat(((SimpleStringRedisMessage) read("+OK\r\n")).content()).isEqualTo("OK");
    assertThat(((ErrorRedisMessage) read("-ERR x\r\n")).content()).isEqualTo("ERR x");
    assertThat(((ErrorRedisMessage) read("!5\r\nERR y\r\n")).content()).isEqualTo("ERR y");
    assertThat(((IntegerRedisMessage) read(":-12\r\n")).value()).isEqualTo(-12);
    assertThat(read("_\r\n")).isSameAs(FullBulkStringRedisMessage.NULL_INSTANCE);
    assertThat(read("#t\r\n")).isSameAs(BooleanRedisMessage.TRUE);
    RedisMessage d = read(",1.5\r\n");
    assertThat(d).isInstanceOf(DoubleRedisMessage.class);
    assertThat(text(d)).isEqualTo("1.5");
    RedisMessage big = read("(12345678901234567890\r\n");
    assertThat(big).isInstanceOf(BigNumberRedisMessage.class);
    assertThat(text(big)).isEqualTo("12345678901234567890");
    RedisMessage v = read("=9\r\ntxt:a b c\r\n");
    assertThat(v).isInstanceOf(VerbatimRedisMessage.class);
    assertThat(((VerbatimRedisMessage) v).format()).isEqualTo("txt");
    assertThat(text(v)).isEqualTo("a b c");
    assertThat(text(read("$3\r\nabc\r\n"))).isEqualTo("abc");
    assertThat(read("*-1\r\n")).isSameAs(ArrayRedisMessage.NULL_INSTANCE);

    RedisMessage map = read("%2\r\n$1\r\na\r\n:1\r\n$1\r\nb\r\n~1\r\n_\r\n");
    try {
      assertThat(map).isInstanceOf(MapRedisMessage.class);
      List<RedisMessage> c = ((ArrayRedisMessage) map).children();
      assertThat(c).hasSize(4);
      assertThat(c.get(3)).isInstanceOf(SetRedisMessage.class);
    } finally {
      ReferenceCountUtil.release(map);
    }
    RedisMessage push = read(">2\r\n$7\r\nmessage\r\n$1\r\nx\r\n");
    assertThat(push).isInstanceOf(PushRedisMessage.class);
    ReferenceCountUtil.release(push);
    RedisMessage attributed = read("|1\r\n+k\r\n+v\r\n:3\r\n");
    assertThat(((IntegerRedisMessage) attributed).value()).as("attribute skipped").isEqualTo(3);
  }

  @Test
  void values_keepTheResp3AggregatesForTheClient() {
    RedisMessage map = read("%1\r\n$1\r\na\r\n~2\r\n:1\r\n:2\r\n");
    Object value;
    try {
      value = Values.toValue(map);
    } finally {
      ReferenceCountUtil.release(map);
    }
    RedisMessage back = Values.toMessage(value);
    try {
      assertThat(back).isInstanceOf(MapRedisMessage.class);
      assertThat(((ArrayRedisMessage) back).children().get(1)).isInstanceOf(SetRedisMessage.class);
    } finally {
      ReferenceCountUtil.release(back);
    }
  }
}
