package io.ringlb.server;

import static io.ringlb.server.Fixtures.channel;
import static io.ringlb.server.Fixtures.output;
import static io.ringlb.server.Fixtures.resp;
import static io.ringlb.server.Fixtures.write;
import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.redis.RedisMessage;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** CONFIG GET and SET in the front end, and what a data side adds to them. */
class ConfigCommandTest {

  private EmbeddedChannel ch;

  @AfterEach
  void close() {
    if (ch != null) {
      ch.finishAndReleaseAll();
    }
  }

  private String send(String... command) {
    write(ch, resp(command));
    return output(ch);
  }

  @Test
  void get_aNameIsLookedUpIgnoringCaseAndShownAsGiven_aPatternShowsTheNames() {
    ch = channel(ServerConfig.defaults().withMaxClients(55), Fixtures.embedded());
    assertThat(send("CONFIG", "GET", "MaxClients"))
        .isEqualTo("*2\r\n$10\r\nMaxClients\r\n$2\r\n55\r\n");
    assertThat(send("CONFIG", "GET", "MAXCLI*"))
        .isEqualTo("*2\r\n$10\r\nmaxclients\r\n$2\r\n55\r\n");
    assertThat(send("CONFIG", "GET", "maxclients", "max*"))
        .as("each parameter once")
        .isEqualTo("*2\r\n$10\r\nmaxclients\r\n$2\r\n55\r\n");
    assertThat(send("CONFIG", "GET", "no-such-parameter")).isEqualTo("*0\r\n");
  }

  @Test
  void set_withoutADataSideThatSetsParameters_isRefusedAsRedisRefusesWhatItCannotSet() {
    ch = channel(ServerConfig.defaults(), Fixtures.embedded());
    assertThat(send("CONFIG", "SET", "MaxClients", "10"))
        .isEqualTo(
            "-ERR CONFIG SET failed (possibly related to argument 'MaxClients') - can't set"
                + " immutable config\r\n");
    assertThat(send("CONFIG", "SET", "no-such-parameter", "1"))
        .isEqualTo(
            "-ERR Unknown option or number of arguments for CONFIG SET - 'no-such-parameter'\r\n");
    assertThat(send("CONFIG", "SET", "maxclients"))
        .isEqualTo("-ERR wrong number of arguments for 'config|set' command\r\n");
    assertThat(send("CONFIG", "SET", "maxclients", "10", "timeout"))
        .isEqualTo("-ERR syntax error\r\n");
  }

  @Test
  void aDataSide_addsItsParametersAndSetsThem() {
    Recording side = new Recording();
    ch = channel(ServerConfig.defaults(), side);
    assertThat(send("CONFIG", "GET", "max*"))
        .isEqualTo("*4\r\n$10\r\nmaxclients\r\n$5\r\n10000\r\n$7\r\nmaxkeys\r\n$1\r\n7\r\n");
    assertThat(side.matched).containsOnlyKeys("maxclients");
    assertThat(send("CONFIG", "SET", "maxkeys", "8")).isEqualTo("+OK\r\n");
    assertThat(send("CONFIG", "GET", "maxkeys")).isEqualTo("*2\r\n$7\r\nmaxkeys\r\n$1\r\n8\r\n");
    assertThat(side.fixed).contains("port", "bind", "maxclients", "requirepass");
  }

  /** A data side with one parameter of its own, {@code maxkeys}, that records what it was given. */
  private static final class Recording implements DataSide {
    private final Map<String, String> own = new LinkedHashMap<>(Map.of("maxkeys", "7"));
    private Map<String, String> matched;
    private Set<String> fixed;

    @Override
    public void register(CommandRegistry registry) {}

    @Override
    public RedisMessage configGet(Session session, Request request, Map<String, String> matched) {
      this.matched = new LinkedHashMap<>(matched);
      Map<String, String> all = new LinkedHashMap<>(matched);
      for (int i = 2; i < request.argc(); i++) {
        byte[] pattern = request.bytes(i);
        own.forEach(
            (name, value) -> {
              if (Glob.matches(pattern, name.getBytes(java.nio.charset.StandardCharsets.UTF_8))) {
                all.put(name, value);
              }
            });
      }
      return ConfigReplies.pairs(session.alloc(), all);
    }

    @Override
    public RedisMessage configSet(Session session, Request request, Set<String> fixed) {
      this.fixed = fixed;
      List<String> unknown = new ArrayList<>();
      for (int i = 2; i < request.argc(); i += 2) {
        if (!own.containsKey(request.string(i))) {
          unknown.add(request.string(i));
        }
      }
      if (!unknown.isEmpty()) {
        return ConfigReplies.refuseAll(request, fixed);
      }
      for (int i = 2; i < request.argc(); i += 2) {
        own.put(request.string(i), request.string(i + 1));
      }
      return Replies.OK;
    }
  }
}
