package io.ringlb.conformance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class ExchangeFileTest {

  private static String sent(Exchange.Step step) {
    return new String(step.request(), StandardCharsets.ISO_8859_1);
  }

  @Test
  void parse_exchangesAndSteps() {
    List<Exchange> all =
        ExchangeFile.parse(
            "strings",
            "strings.txt",
            """
        # comment
        [set-get]
        SET {t}a "x y"
        GET {t}a

        [empty]
        ECHO ""
        """);
    assertThat(all).extracting(Exchange::id).containsExactly("strings/set-get", "strings/empty");
    assertThat(all.get(0).source()).isEqualTo("strings.txt:2");
    assertThat(sent(all.get(0).steps().get(0)))
        .isEqualTo("*3\r\n$3\r\nSET\r\n$4\r\n{t}a\r\n$3\r\nx y\r\n");
    assertThat(all.get(0).steps().get(0).text()).isEqualTo("SET {t}a \"x y\"");
    assertThat(sent(all.get(1).steps().get(0))).isEqualTo("*2\r\n$4\r\nECHO\r\n$0\r\n\r\n");
  }

  @Test
  void step_raw() {
    Exchange.Step one = ExchangeFile.step("raw \"PING\\r\\n\"");
    assertThat(sent(one)).isEqualTo("PING\r\n");
    assertThat(one.replies()).isEqualTo(1);
    assertThat(ExchangeFile.step("raw 2 \"PING\\r\\nPING\\r\\n\"").replies()).isEqualTo(2);
    assertThat(sent(ExchangeFile.step("\"raw\" x"))).startsWith("*2\r\n$3\r\nraw\r\n");
  }

  @Test
  void step_marker_endsTheText() {
    Exchange.Step step = ExchangeFile.step("PTTL {t}a   ~within 1..10");
    assertThat(step.text()).isEqualTo("PTTL {t}a");
    assertThat(step.normalizer()).isNotSameAs(Normalizer.EXACT);
    assertThat(sent(ExchangeFile.step("ECHO \"~x\""))).endsWith("$2\r\n~x\r\n");
  }

  @Test
  void parse_badLines_namedWithTheirLine() {
    assertThatThrownBy(() -> ExchangeFile.parse("f", "f.txt", "PING\n"))
        .hasMessageStartingWith("f.txt:1: a step before the first [name]");
    assertThatThrownBy(() -> ExchangeFile.parse("f", "f.txt", "[a]\nPING\n[a]\nPING\n"))
        .hasMessageContaining("f.txt:3: exchange f/a is already at f.txt:1");
    assertThatThrownBy(() -> ExchangeFile.parse("f", "f.txt", "[A b]\n"))
        .hasMessageStartingWith("f.txt:1: a name is lower-case");
    assertThatThrownBy(() -> ExchangeFile.parse("f", "f.txt", "[a]\nECHO \"x\n"))
        .hasMessageStartingWith("f.txt:2: unclosed quote");
    assertThatThrownBy(() -> ExchangeFile.parse("f", "f.txt", "[a]\nECHO x ~nope\n"))
        .hasMessageContaining("unknown marker ~nope");
    assertThatThrownBy(() -> ExchangeFile.parse("f", "f.txt", "[a]\n[b]\nPING\n"))
        .hasMessageContaining("exchange f/a has no steps");
    assertThatThrownBy(() -> ExchangeFile.parse("f", "f.txt", "[a]\nraw PING\n"))
        .hasMessageContaining("raw takes [N] \"BYTES\"");
  }
}
