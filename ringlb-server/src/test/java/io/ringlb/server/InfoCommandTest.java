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

  /** Returns the line of {@code field} in {@code text}, or null. */
  private static String line(String text, String field) {
    for (String l : lines(text)) {
      if (l.startsWith(field + ":")) {
        return l;
      }
    }
    return null;
  }

  @Test
  void sections_defaultLeavesCommandstatsOut_allAndEverythingHaveIt_namesAnyCase() {
    ch = channel(ServerConfig.defaults(), Fixtures.embedded());
    for (String[] command :
        new String[][] {{"INFO"}, {"INFO", "default"}, {"INFO", "all"}, {"INFO", "everything"}}) {
      String text = info(command);
      boolean all = command.length == 2 && !command[1].equals("default");
      assertThat(text).as(String.join(" ", command)).contains("redis_version:", "used_cpu_user:");
      assertThat(text).contains("# Replication\r\nrole:master\r\n", "master_repl_offset:0");
      assertThat(text.contains("# Commandstats")).as(String.join(" ", command)).isEqualTo(all);
      assertThat(text).containsOnlyOnce("used_cpu_user_children");
    }
    String cpu = info("INFO", "cpu", "commandSTATS");
    assertThat(cpu).contains("# CPU", "# Commandstats", "cmdstat_info:calls=");
    assertThat(cpu).doesNotContain("used_memory", "master_repl_offset");
    assertThat(info("INFO", "cpu", "default")).doesNotContain("rejected_calls");
    assertThat(info("INFO", "sentinel")).isEmpty();
  }

  @Test
  void commandstats_countCallsRejectedAndFailed_errorstatsByCode_configResetstatClearsBoth() {
    ch = channel(ServerConfig.defaults(), Fixtures.embedded());
    write(ch, resp("SET", "k", "v") + resp("SET", "k") + resp("SET", "n", "x") + resp("INCR", "n"));
    assertThat(output(ch))
        .isEqualTo(
            "+OK\r\n-ERR wrong number of arguments for 'set' command\r\n+OK\r\n"
                + "-ERR value is not an integer or out of range\r\n");
    write(ch, resp("NOSUCH") + resp("GET", "k"));
    output(ch);
    String stats = info("INFO", "commandstats");
    assertThat(line(stats, "cmdstat_set"))
        .matches(
            "cmdstat_set:calls=2,usec=\\d+,usec_per_call=\\d+\\.\\d\\d,rejected_calls=1,failed_calls=0");
    assertThat(line(stats, "cmdstat_incr")).endsWith(",rejected_calls=0,failed_calls=1");
    assertThat(line(stats, "cmdstat_get")).startsWith("cmdstat_get:calls=1,");
    assertThat(line(stats, "cmdstat_nosuch")).isNull();
    assertThat(lines(info("INFO", "errorstats")))
        .containsExactly("# Errorstats", "errorstat_ERR:count=3");
    assertThat(line(info("INFO", "stats"), "total_error_replies"))
        .isEqualTo("total_error_replies:3");

    write(ch, resp("CONFIG", "RESETSTAT"));
    assertThat(output(ch)).isEqualTo("+OK\r\n");
    assertThat(lines(info("INFO", "errorstats"))).containsExactly("# Errorstats");
    assertThat(line(info("INFO", "stats"), "total_error_replies"))
        .isEqualTo("total_error_replies:0");
    stats = info("INFO", "commandstats");
    assertThat(line(stats, "cmdstat_set")).isNull();
    assertThat(line(stats, "cmdstat_config|resetstat"))
        .startsWith("cmdstat_config|resetstat:calls=1,");
    write(ch, resp("SET", "k", "w"));
    output(ch);
    assertThat(line(info("INFO", "commandstats"), "cmdstat_set"))
        .startsWith("cmdstat_set:calls=1,");
  }

  @Test
  void persistenceAndKeyspace_ofTheEmbeddedServer_asARedisServerThatNeverSaves() {
    ch = channel(ServerConfig.defaults(), Fixtures.embedded());
    write(ch, resp("SET", "a", "1") + resp("SET", "b", "2", "EX", "100") + resp("DEL", "a"));
    output(ch);
    String p = info("INFO", "persistence");
    assertThat(lines(p).subList(0, 2)).containsExactly("# Persistence", "loading:0");
    assertThat(lines(p)).contains("rdb_changes_since_last_save:3", "aof_enabled:0", "rdb_saves:0");
    assertThat(line(info("INFO", "keyspace"), "db0")).matches("db0:keys=1,expires=1,avg_ttl=\\d+");
  }
}
