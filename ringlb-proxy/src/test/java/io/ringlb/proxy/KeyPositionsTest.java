package io.ringlb.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.ringlb.server.Request;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import org.junit.jupiter.api.Test;

class KeyPositionsTest {

  static Request request(String... words) {
    byte[][] args = new byte[words.length][];
    for (int i = 0; i < words.length; i++) {
      args[i] = words[i].getBytes(StandardCharsets.UTF_8);
    }
    return Request.of(args);
  }

  private static int[] keys(String... words) {
    ProxyCommand command = ProxyCommands.named(words[0].toLowerCase(Locale.ROOT));
    assertThat(command.route()).isEqualTo(ProxyCommand.Route.SAME_SLOT);
    return command.keys().find(request(words));
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
  void named_refusedCommandsCarryTheirReason() {
    ProxyCommand command = ProxyCommands.named("wait");
    assertThat(command.route()).isEqualTo(ProxyCommand.Route.REFUSED);
    assertThat(command.refusal()).contains("replicas");
    assertThat(ProxyCommands.named("brpop").route()).isEqualTo(ProxyCommand.Route.BLOCKING);
  }

  @Test
  void blocks_onlyXreadWithBlockBeforeStreams() {
    KeyPositions streams = ProxyCommands.named("xread").keys();
    assertThat(streams.blocks(request("XREAD", "BLOCK", "0", "STREAMS", "s", "0"))).isTrue();
    assertThat(streams.blocks(request("XREAD", "COUNT", "1", "STREAMS", "block", "0"))).isFalse();
    assertThat(ProxyCommands.named("get").keys().blocks(request("GET", "block"))).isFalse();
  }
}
