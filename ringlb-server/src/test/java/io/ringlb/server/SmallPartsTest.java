package io.ringlb.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Glob patterns, inline splitting, integer parsing and the command table. */
class SmallPartsTest {

  private static boolean glob(String pattern, String s) {
    return Glob.matches(
        pattern.getBytes(StandardCharsets.UTF_8), s.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void glob_redisSemantics() {
    assertThat(glob("*", "")).isTrue();
    assertThat(glob("h?llo", "hello")).isTrue();
    assertThat(glob("h*llo", "heeeello")).isTrue();
    assertThat(glob("h[ae]llo", "hallo")).isTrue();
    assertThat(glob("h[ae]llo", "hillo")).isFalse();
    assertThat(glob("h[^e]llo", "hallo")).isTrue();
    assertThat(glob("h[^e]llo", "hello")).isFalse();
    assertThat(glob("h[a-b]llo", "hbllo")).isTrue();
    assertThat(glob("h[b-a]llo", "hallo")).isTrue();
    assertThat(glob("a\\*b", "a*b")).isTrue();
    assertThat(glob("a\\*b", "axb")).isFalse();
    assertThat(glob("user:*:name", "user:42:name")).isTrue();
    assertThat(glob("user:*:name", "user:42:age")).isFalse();
    assertThat(glob("*a*a*a*a*a*b", "a".repeat(5000))).isFalse(); // no blow-up
  }

  @Test
  void glob_agreesWithRegexOnRandomInputs() {
    java.util.Random random = new java.util.Random(7);
    String alphabet = "ab";
    for (int i = 0; i < 20_000; i++) {
      StringBuilder p = new StringBuilder();
      StringBuilder regex = new StringBuilder();
      for (int k = random.nextInt(6); k > 0; k--) {
        int c = random.nextInt(4);
        if (c == 0) {
          p.append('*');
          regex.append(".*");
        } else if (c == 1) {
          p.append('?');
          regex.append('.');
        } else {
          char ch = alphabet.charAt(random.nextInt(2));
          p.append(ch);
          regex.append(ch);
        }
      }
      StringBuilder s = new StringBuilder();
      for (int k = random.nextInt(7); k > 0; k--) {
        s.append(alphabet.charAt(random.nextInt(2)));
      }
      assertThat(glob(p.toString(), s.toString()))
          .as("%s ~ %s", p, s)
          .isEqualTo(Pattern.matches(regex.toString(), s));
    }
  }

  private static List<String> split(String line) throws InlineArgs.UnbalancedQuotes {
    return InlineArgs.split(line).stream()
        .map(b -> new String(b, StandardCharsets.ISO_8859_1))
        .toList();
  }

  @Test
  void inlineArgs_quotesAndEscapes() throws Exception {
    assertThat(split("  SET  k   v ")).containsExactly("SET", "k", "v");
    assertThat(split("SET \"a b\" 'c d'")).containsExactly("SET", "a b", "c d");
    assertThat(split("ECHO \"\\x41\\n\\\"\"")).containsExactly("ECHO", "A\n\"");
    assertThat(split("ECHO 'it\\'s'")).containsExactly("ECHO", "it's");
    assertThat(split("ECHO \"\"")).containsExactly("ECHO", "");
    assertThat(split("")).isEmpty();
    assertThatThrownBy(() -> split("ECHO \"abc")).isInstanceOf(InlineArgs.UnbalancedQuotes.class);
    assertThatThrownBy(() -> split("ECHO \"a\"b")).isInstanceOf(InlineArgs.UnbalancedQuotes.class);
    assertThatThrownBy(() -> split("ECHO 'abc")).isInstanceOf(InlineArgs.UnbalancedQuotes.class);
  }

  private static long parse(String s) {
    byte[] b = s.getBytes(StandardCharsets.US_ASCII);
    return Request.parseLong(Unpooled.wrappedBuffer(b), 0, b.length);
  }

  @Test
  void parseLong_asRedisString2ll() {
    assertThat(parse("0")).isZero();
    assertThat(parse("-1")).isEqualTo(-1);
    assertThat(parse("9223372036854775807")).isEqualTo(Long.MAX_VALUE);
    assertThat(parse("-9223372036854775807")).isEqualTo(-Long.MAX_VALUE);
    for (String bad :
        new String[] {
          "",
          "-",
          "+1",
          "01",
          " 1",
          "1 ",
          "1.5",
          "9223372036854775808",
          "-9223372036854775809",
          "abc",
          "-0x"
        }) {
      assertThat(parse(bad)).as(bad).isEqualTo(Long.MIN_VALUE);
    }
    Request r = Request.of("x".getBytes(), "-9223372036854775808".getBytes(), "12a".getBytes());
    assertThat(r.longValue(1)).isEqualTo(Long.MIN_VALUE);
    assertThatThrownBy(() -> r.longValue(2))
        .isInstanceOf(CommandException.class)
        .hasMessage(Replies.NOT_INTEGER);
  }

  @Test
  void commandTable_caseInsensitiveAndRefusesDuplicates() {
    CommandTable table = new CommandTable();
    for (int i = 0; i < 200; i++) {
      table.register(CommandSpec.of("cmd" + i, 1, ""), (s, q) -> Replies.OK);
    }
    assertThat(table.lookup("CMD17").spec().name()).isEqualTo("cmd17");
    assertThat(table.lookup(Unpooled.copiedBuffer("cMd199", StandardCharsets.US_ASCII)))
        .isNotNull();
    assertThat(table.lookup("cmd200")).isNull();
    assertThatThrownBy(() -> table.register(CommandSpec.of("cmd3", 2, ""), (s, q) -> Replies.OK))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("cmd3");
    assertThatThrownBy(() -> CommandSpec.of("Get", 2, ""))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("Get");
  }

  @Test
  void serverConfig_namesTheBadValue() {
    assertThatThrownBy(() -> ServerConfig.defaults().withPort(70000))
        .hasMessage("port must be between 0 and 65535: 70000");
    assertThatThrownBy(() -> ServerConfig.defaults().withMaxClients(0))
        .hasMessage("maxclients must be at least 1: 0");
    assertThatThrownBy(() -> ServerConfig.defaults().withProtoMaxBulkLen(1L << 30))
        .hasMessageContaining("proto-max-bulk-len must be between 1 and 536870912");
    assertThatThrownBy(() -> ServerConfig.defaults().withMaxMemoryClients(-1))
        .hasMessage("maxmemory-clients must not be negative (0 for no limit): -1");
  }

  @Test
  void maxMemoryClients_sizesPercentagesOrZero_defaultAQuarterOfTheBufferMemory() {
    long memory = ServerConfig.bufferMemory();
    assertThat(memory)
        .isLessThanOrEqualTo(Runtime.getRuntime().maxMemory())
        .isLessThanOrEqualTo(io.netty.util.internal.PlatformDependent.maxDirectMemory());
    assertThat(ServerConfig.defaults().maxMemoryClients()).isEqualTo(memory / 4);
    assertThat(ServerConfig.parseMaxMemoryClients("0", "x")).isZero();
    assertThat(ServerConfig.parseMaxMemoryClients("64mb", "x")).isEqualTo(64L << 20);
    assertThat(ServerConfig.parseMaxMemoryClients(" 10% ", "x")).isEqualTo(memory / 10);
    assertThat(ServerConfig.parseMaxMemoryClients("100%", "x")).isEqualTo(memory);
    assertThatThrownBy(() -> ServerConfig.parseMaxMemoryClients("0%", "--maxmemory-clients"))
        .hasMessage("--maxmemory-clients: '0%' is not a percentage from 1% to 100%");
    assertThatThrownBy(() -> ServerConfig.parseMaxMemoryClients("-5mb", "maxmemory-clients"))
        .hasMessage(
            "maxmemory-clients: '-5mb' is not a size (expected e.g. 0 for no limit, 64mb, 1gb,"
                + " or 25% of the JVM's memory)");
  }
}
