package io.ringlb.server;

import static io.ringlb.server.Fixtures.channel;
import static io.ringlb.server.Fixtures.output;
import static io.ringlb.server.Fixtures.resp;
import static io.ringlb.server.Fixtures.write;
import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.embedded.EmbeddedChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** INFO's sections every data side shares, and a data side's lines in them. */
class InfoCommandTest {

  private EmbeddedChannel ch;

  @AfterEach
  void close() {
    if (ch != null) {
      ch.finishAndReleaseAll();
    }
  }

  /** Returns the text of INFO's bulk reply to {@code command}. */
  private String info(String... command) {
    write(ch, resp(command));
    String reply = output(ch);
    assertThat(reply).startsWith("$");
    return reply.substring(reply.indexOf("\r\n") + 2, reply.length() - 2);
  }

  private static List<String> lines(String text) {
    return List.of(text.split("\r\n"));
  }

  private static double seconds(String text, String field) {
    Matcher m = Pattern.compile("(?m)^" + field + ":(\\d+\\.\\d{6})\r?$").matcher(text);
    assertThat(m.find()).as(field + " in " + text).isTrue();
    return Double.parseDouble(m.group(1));
  }

  @Test
  void cpu_theProcesssUserAndSystemTime_asRedisShowsThem() {
    ch = channel(ServerConfig.defaults(), Fixtures.embedded());
    String before = info("INFO", "cpu");
    assertThat(lines(before).get(0)).isEqualTo("# CPU");
    assertThat(seconds(before, "used_cpu_sys_children")).isZero();
    assertThat(seconds(before, "used_cpu_user_children")).isZero();
    double first = seconds(before, "used_cpu_user") + seconds(before, "used_cpu_sys");
    assertThat(first).isPositive();
    long spin = 0;
    for (int i = 0; i < 20_000_000; i++) {
      spin += i ^ (spin >>> 3);
    }
    String after = info("INFO", "CPU");
    assertThat(seconds(after, "used_cpu_user") + seconds(after, "used_cpu_sys"))
        .as("after spinning (%d)", spin)
        .isGreaterThanOrEqualTo(first);
    assertThat(info("INFO")).contains("# CPU\r\nused_cpu_sys:");
  }

  @Test
  void memory_namesTheAllocator_clients_countBlockedClients() {
    ch = channel(ServerConfig.defaults(), Fixtures.embedded());
    assertThat(lines(info("INFO", "memory"))).contains("mem_allocator:jvm");
    assertThat(lines(info("INFO", "clients"))).contains("blocked_clients:0");
  }

  @Test
  void aDataSidesLine_replacesTheFrontEndsLineOfTheSameField_inPlace() {
    ch =
        channel(
            ServerConfig.defaults(),
            new DataSide() {
              @Override
              public void register(CommandRegistry registry) {}

              @Override
              public void info(String section, StringBuilder out) {
                if (section.equals("server")) {
                  out.append("redis_version:9.9.9\r\nextra_field:1\r\n");
                }
              }
            });
    List<String> server = lines(info("INFO", "server"));
    assertThat(server.subList(0, 2)).containsExactly("# Server", "redis_version:9.9.9");
    List<String> versions = new ArrayList<>();
    for (String line : server) {
      if (line.startsWith("redis_version:")) {
        versions.add(line);
      }
    }
    assertThat(versions).containsExactly("redis_version:9.9.9");
    assertThat(server.get(server.size() - 1)).isEqualTo("extra_field:1");
    assertThat(server).contains("ringlb_mode:embedded");
  }
}
