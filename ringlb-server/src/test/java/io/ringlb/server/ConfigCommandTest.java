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
    assertThat(send("CONFIG", "GET", "maxclients", "max[c]*"))
        .as("each parameter once")
        .isEqualTo("*2\r\n$10\r\nmaxclients\r\n$2\r\n55\r\n");
    assertThat(send("CONFIG", "GET", "no-such-parameter")).isEqualTo("*0\r\n");
  }

  @Test
  void set_ofTheFrontEndsParameters_isRefusedAsRedisRefusesWhatItCannotSet() {
    ch = channel(ServerConfig.defaults(), Fixtures.embedded());
    assertThat(send("CONFIG", "SET", "MaxClients", "10"))
        .isEqualTo(
            "-ERR CONFIG SET failed (possibly related to argument 'MaxClients') - can't set"
                + " immutable config\r\n");
    assertThat(send("CONFIG", "SET", "maxclients", "10000", "timeout", "0"))
        .as("set to the value it has")
        .isEqualTo("+OK\r\n");
    assertThat(send("CONFIG", "SET", "databases", "1"))
        .as("immutable in redis-server too, whatever the value")
        .isEqualTo(
            "-ERR CONFIG SET failed (possibly related to argument 'databases') - can't set"
                + " immutable config\r\n");
    assertThat(send("CONFIG", "SET", "timeout", "0", "Timeout", "0"))
        .isEqualTo(
            "-ERR CONFIG SET failed (possibly related to argument 'Timeout') - duplicate"
                + " parameter\r\n");
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
    assertThat(send("CONFIG", "GET", "max[ck]*"))
        .isEqualTo("*4\r\n$10\r\nmaxclients\r\n$5\r\n10000\r\n$7\r\nmaxkeys\r\n$1\r\n7\r\n");
    assertThat(side.matched).containsOnlyKeys("maxclients", "maxkeys");
    assertThat(send("CONFIG", "SET", "maxkeys", "8", "timeout", "0", "other", "1"))
        .isEqualTo("+OK\r\n");
    assertThat(side.changes)
        .as("the front end's own left out, in order, named as given")
        .containsExactly(Map.entry("maxkeys", "8"), Map.entry("other", "1"));
    assertThat(send("CONFIG", "GET", "maxkeys")).isEqualTo("*2\r\n$7\r\nmaxkeys\r\n$1\r\n8\r\n");
    assertThat(send("CONFIG", "SET", "maxkeys", "9", "MAXKEYS", "9"))
        .isEqualTo(
            "-ERR CONFIG SET failed (possibly related to argument 'MAXKEYS') - duplicate"
                + " parameter\r\n");
    assertThat(send("CONFIG", "SET", "port", "1", "maxkeys", "9"))
        .isEqualTo(
            "-ERR CONFIG SET failed (possibly related to argument 'port') - can't set immutable"
                + " config\r\n");
    assertThat(send("CONFIG", "GET", "maxkeys")).as("all or nothing").endsWith("$1\r\n8\r\n");
  }

  /**
   * A data side with one parameter of its own, {@code maxkeys}, that takes any other CONFIG SET and
   * records what it was given.
   */
  private static final class Recording implements DataSide {
    private final Map<String, String> own = new LinkedHashMap<>(Map.of("maxkeys", "7"));
    private Map<String, String> matched;
    private List<Map.Entry<String, String>> changes;

    @Override
    public void register(CommandRegistry registry) {}

    @Override
    public Map<String, String> configParameters() {
      return Map.copyOf(own);
    }

    @Override
    public RedisMessage configGet(Session session, Request request, Map<String, String> matched) {
      this.matched = new LinkedHashMap<>(matched);
      return ConfigReplies.pairs(session.alloc(), matched);
    }

    @Override
    public RedisMessage configSet(
        Session session, Request request, List<Map.Entry<String, String>> changes) {
      this.changes = new ArrayList<>(changes);
      for (Map.Entry<String, String> change : changes) {
        own.computeIfPresent(change.getKey(), (name, old) -> change.getValue());
      }
      return Replies.OK;
    }
  }
}
