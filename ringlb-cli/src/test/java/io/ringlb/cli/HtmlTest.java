package io.ringlb.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Locale;
import java.util.Random;
import org.junit.jupiter.api.Test;

class HtmlTest {

  @Test
  void count_asFormatterGroupsIt() {
    Random random = new Random(7);
    long[] edges = {0, 1, -1, 999, 1000, -1000, 999_999, 1_000_000, Long.MAX_VALUE, Long.MIN_VALUE};
    for (long n : edges) {
      assertThat(Html.count(n)).isEqualTo(String.format(Locale.ROOT, "%,d", n));
    }
    for (int i = 0; i < 10_000; i++) {
      long n = random.nextLong() >> random.nextInt(64);
      assertThat(Html.count(n)).isEqualTo(String.format(Locale.ROOT, "%,d", n));
    }
    assertThat(Html.count(1, "key")).isEqualTo("1 key");
    assertThat(Html.count(2000, "key")).isEqualTo("2,000 keys");
  }

  @Test
  void fixed_asFormatterRoundsIt() {
    Random random = new Random(11);
    for (int i = 0; i < 10_000; i++) {
      double value = (random.nextDouble() - 0.3) * Math.pow(10, random.nextInt(7));
      for (int decimals = 1; decimals <= 4; decimals++) {
        assertThat(Html.fixed(value, decimals))
            .as("%s to %d decimals", value, decimals)
            // Formatter writes -0.0 for a negative value that rounds to zero; the page writes 0.0
            .isEqualTo(
                String.format(Locale.ROOT, "%." + decimals + "f", value)
                    .replaceFirst("^-(0\\.0+)$", "$1"));
      }
    }
    assertThat(Html.fixed(-0.001, 2)).isEqualTo("0.00");
    assertThat(Html.percent(0.5)).isEqualTo("50.00%");
    assertThat(Html.percent(0.00001)).isEqualTo("0.0010%");
    assertThat(Html.percent(0)).isEqualTo("0.00%");
  }

  @Test
  void position_unsignedHex() {
    assertThat(Html.position(0)).isEqualTo("0x00000000");
    assertThat(Html.position(0xabc)).isEqualTo("0x00000abc");
    assertThat(Html.position(-1)).isEqualTo("0xffffffff");
  }

  @Test
  void escape_markupAndControls() {
    assertThat(Html.escape("<a href=\"x\">'&'</a>"))
        .isEqualTo("&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
    assertThat(Html.escape("a\u0001b\u007fc\td")).isEqualTo("a\uFFFDb\uFFFDc\td");
  }

  @Test
  void colour_sameIdSameColour_neighboursDiffer() {
    assertThat(Html.colour(7)).isEqualTo(Html.colour(7)).startsWith("hsl(");
    assertThat(Html.colour(7)).isNotEqualTo(Html.colour(8));
  }
}
