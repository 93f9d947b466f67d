package io.ringlb.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class CommandsTest {

  private static int[] keys(String... words) {
    ByteBuf[] args = new ByteBuf[words.length];
    for (int i = 0; i < words.length; i++) {
      args[i] = Unpooled.copiedBuffer(words[i], StandardCharsets.UTF_8);
    }
    Commands.Spec spec = Commands.lookup(args[0], new byte[32]);
    assertThat(spec.kind()).isEqualTo(Commands.Kind.SAME);
    return Commands.keys(spec, args, args.length);
  }

  @Test
  void keys_fixedPositions() {
    assertThat(keys("RENAME", "a", "b")).containsExactly(1, 2);
    assertThat(keys("lmove", "a", "b", "LEFT", "RIGHT")).containsExactly(1, 2);
    assertThat(keys("SINTER", "a", "b", "c")).containsExactly(1, 2, 3);
    assertThat(keys("BITOP", "AND", "d", "a", "b")).containsExactly(2, 3, 4);
    assertThat(keys("MSETNX", "a", "1", "b", "2")).containsExactly(1, 3);
  }

  @Test
  void keys_counted() {
    assertThat(keys("EVAL", "return 1", "2", "a", "b", "arg")).containsExactly(3, 4);
    assertThat(keys("ZUNIONSTORE", "d", "2", "a", "b", "WEIGHTS", "1", "2"))
        .containsExactly(1, 3, 4);
    assertThat(keys("LMPOP", "2", "a", "b", "LEFT")).containsExactly(2, 3);
    assertThat(keys("SORT", "a", "LIMIT", "0", "5", "ALPHA")).containsExactly(1);
    assertThat(keys("SORT", "a", "GET", "store", "STORE", "b")).containsExactly(1, 5);
  }

  @Test
  void keys_malformed_null() {
    assertThat(keys("RENAME", "a")).isNull();
    assertThat(keys("MSETNX", "a", "1", "b")).isNull();
    assertThat(keys("MSETNX", "a")).isNull();
    assertThat(keys("BITOP", "AND")).isNull();
    assertThat(keys("EVAL", "return 1", "0")).isNull();
    assertThat(keys("EVAL", "return 1", "3", "a", "b")).isNull();
    assertThat(keys("EVAL", "return 1", "-1", "a")).isNull();
    assertThat(keys("EVAL", "return 1", "x", "a")).isNull();
    assertThat(keys("EVAL", "return 1")).isNull();
    assertThat(keys("ZUNIONSTORE", "d")).isNull();
  }

  @Test
  void lookup_refusedCommandsCarryTheirReason() {
    Commands.Spec spec =
        Commands.lookup(Unpooled.copiedBuffer("BRPOP", StandardCharsets.US_ASCII), new byte[32]);
    assertThat(spec.kind()).isEqualTo(Commands.Kind.REFUSED);
    assertThat(spec.refusal()).contains("blocks its connection");
  }
}
