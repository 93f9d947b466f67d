package io.ringlb.server.embedded;

import static io.ringlb.server.embedded.EmbeddedWire.array;
import static io.ringlb.server.embedded.EmbeddedWire.bulk;
import static org.assertj.core.api.Assertions.assertThat;

import io.ringlb.server.Wire;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** SUBSCRIBE, PSUBSCRIBE, PUBLISH and PUBSUB across connections of the embedded server. */
class PubSubTest {

  private final EmbeddedWire server = new EmbeddedWire();
  private final Wire sub = server.connect();
  private final Wire pub = server.connect();

  @AfterEach
  void close() {
    sub.close();
    pub.close();
  }

  private static String confirm(String kind, String name, int count) {
    return "*3\r\n" + bulk(kind) + (name == null ? "$-1\r\n" : bulk(name)) + ":" + count + "\r\n";
  }

  @Test
  void publish_reachesChannelAndPatternSubscribers() {
    assertThat(sub.call("SUBSCRIBE", "news", "sport"))
        .isEqualTo(confirm("subscribe", "news", 1) + confirm("subscribe", "sport", 2));
    assertThat(sub.call("PSUBSCRIBE", "n*")).isEqualTo(confirm("psubscribe", "n*", 3));
    assertThat(pub.call("PUBLISH", "news", "hello")).isEqualTo(":2\r\n");
    assertThat(sub.output())
        .isEqualTo(array("message", "news", "hello") + array("pmessage", "n*", "news", "hello"));
    assertThat(pub.call("PUBLISH", "weather", "rain")).isEqualTo(":0\r\n");
    assertThat(pub.call("PUBSUB", "NUMSUB", "news", "weather"))
        .isEqualTo("*4\r\n" + bulk("news") + ":1\r\n" + bulk("weather") + ":0\r\n");
    assertThat(pub.call("PUBSUB", "NUMPAT")).isEqualTo(":1\r\n");
    assertThat(pub.call("PUBSUB", "CHANNELS", "s*")).isEqualTo(array("sport"));
  }

  @Test
  void subscribedMode_allowsOnlyWhatRedisAllows() {
    sub.call("SUBSCRIBE", "c");
    assertThat(sub.call("GET", "k"))
        .isEqualTo(
            "-ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT /"
                + " RESET are allowed in this context\r\n");
    assertThat(sub.call("CLIENT", "ID")).startsWith("-ERR Can't execute 'client|id'");
    assertThat(sub.call("PING")).isEqualTo(array("pong", ""));
    assertThat(sub.call("PING", "x")).isEqualTo(array("pong", "x"));
    assertThat(sub.call("UNSUBSCRIBE")).isEqualTo(confirm("unsubscribe", "c", 0));
    assertThat(sub.call("PING")).isEqualTo("+PONG\r\n");
    assertThat(sub.call("PUNSUBSCRIBE")).isEqualTo(confirm("punsubscribe", null, 0));
  }

  @Test
  void resetAndClose_dropSubscriptions() {
    sub.call("SUBSCRIBE", "c");
    assertThat(sub.call("RESET")).isEqualTo("+RESET\r\n");
    assertThat(pub.call("PUBLISH", "c", "m")).isEqualTo(":0\r\n");
    Wire other = server.connect();
    other.call("PSUBSCRIBE", "*");
    assertThat(pub.call("PUBLISH", "c", "m")).isEqualTo(":1\r\n");
    other.close();
    assertThat(pub.call("PUBLISH", "c", "m")).isEqualTo(":0\r\n");
    assertThat(pub.call("PUBSUB", "NUMPAT")).isEqualTo(":0\r\n");
  }

  @Test
  void subscribeInsideMulti_isRefusedAndAbortsTheTransaction() {
    pub.call("MULTI");
    assertThat(pub.call("SUBSCRIBE", "c")).startsWith("-ERR ringlb: 'subscribe' cannot be queued");
    assertThat(pub.call("EXEC")).startsWith("-EXECABORT");
  }
}
