package io.ringlb.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Timeouts of blocking commands, and what is put back for a client gone. */
class BlockingArgsTest {

  private static BlockingArgs args(String... words) {
    return BlockingArgs.of(KeyPositionsTest.request(words));
  }

  private static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static List<String> words(Object[] command) {
    List<String> out = new ArrayList<>();
    for (Object o : command) {
      out.add(o instanceof byte[] bytes ? new String(bytes, StandardCharsets.UTF_8) : (String) o);
    }
    return out;
  }

  @Test
  void timeouts_asRedisReadsThem() {
    assertThat(args("BLPOP", "a", "b", "1.5").timeoutMillis()).isEqualTo(1500);
    assertThat(args("BLPOP", "a", "0").timeoutMillis()).isZero();
    assertThat(args("BLPOP", "a", "0.0001").timeoutMillis()).isEqualTo(1);
    assertThat(args("BLPOP", "a", "-1").timeoutMillis()).isEqualTo(-1);
    assertThat(args("BLPOP", "a", "soon").timeoutMillis()).isEqualTo(-1);
    assertThat(args("BLMPOP", "2", "1", "k", "LEFT").timeoutMillis()).isEqualTo(2000);
    assertThat(args("BLMOVE", "s", "d", "LEFT", "RIGHT", "3").timeoutMillis()).isEqualTo(3000);
    assertThat(args("XREAD", "COUNT", "2", "BLOCK", "250", "STREAMS", "s", "$").timeoutMillis())
        .isEqualTo(250);
    assertThat(
            args("XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">")
                .timeoutMillis())
        .isZero();
  }

  @Test
  void commandWithin_rewritesTheTimeout_inItsUnit_atLeastOneMillisecond() {
    assertThat(words(args("BLPOP", "a", "10").commandWithin(2500)))
        .containsExactly("BLPOP", "a", "2.500");
    assertThat(words(args("BZMPOP", "10", "1", "z", "MIN").commandWithin(-5)))
        .containsExactly("BZMPOP", "0.001", "1", "z", "MIN");
    assertThat(words(args("XREAD", "BLOCK", "900", "STREAMS", "s", "$").commandWithin(120)))
        .containsExactly("XREAD", "BLOCK", "120", "STREAMS", "s", "$");
    assertThat(words(args("BLPOP", "a", "0").commandWithin(5)))
        .as("no timeout stays none")
        .containsExactly("BLPOP", "a", "0");
  }

  @Test
  void putBack_returnsWhatWasPopped_whereItWas() {
    assertThat(words(args("BLPOP", "a", "0").putBack(List.of(b("a"), b("x")))))
        .containsExactly("LPUSH", "a", "x");
    assertThat(words(args("BRPOP", "a", "0").putBack(List.of(b("a"), b("x")))))
        .containsExactly("RPUSH", "a", "x");
    assertThat(words(args("BZPOPMAX", "z", "0").putBack(List.of(b("z"), b("m"), b("2.5")))))
        .containsExactly("ZADD", "z", "2.5", "m");
    // popped 1 then 2 from the left: pushed back 2 then 1, so 1 is first again
    assertThat(
            words(
                args("BLMPOP", "0", "1", "l", "LEFT", "COUNT", "2")
                    .putBack(List.of(b("l"), List.of(b("1"), b("2"))))))
        .containsExactly("LPUSH", "l", "2", "1");
    assertThat(
            words(
                args("BZMPOP", "0", "1", "z", "MIN")
                    .putBack(List.of(b("z"), List.of(List.of(b("a"), b("1")))))))
        .containsExactly("ZADD", "z", "1", "a");
    assertThat(args("BLMOVE", "s", "d", "LEFT", "LEFT", "0").putBack(b("x")))
        .as("already in the destination")
        .isNull();
    assertThat(args("BLPOP", "a", "0").putBack(null)).as("timed out: nothing popped").isNull();
    assertThat(args("XREAD", "BLOCK", "0", "STREAMS", "s", "$").putBack(List.of(List.of())))
        .isNull();
  }
}
