package io.ringlb.server.embedded;

import static io.ringlb.server.embedded.EmbeddedWire.bulk;
import static org.assertj.core.api.Assertions.assertThat;

import io.ringlb.server.Wire;
import io.ringlb.server.testing.ManualClock;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Expiry at absolute times, RENAME, COPY, TOUCH, RANDOMKEY and OBJECT on the embedded server. */
class KeyCommandsTest {

  private final EmbeddedWire server = new EmbeddedWire();
  private final Wire w = server.connect();

  @AfterEach
  void close() {
    w.close();
  }

  @Test
  void expireat_andExpiretime_useAbsoluteTimes() {
    long at = ManualClock.START_MILLIS / 1000 + 60;
    w.call("SET", "k", "v");
    assertThat(w.call("EXPIREAT", "k", Long.toString(at))).isEqualTo(":1\r\n");
    assertThat(w.call("EXPIRETIME", "k")).isEqualTo(":" + at + "\r\n");
    assertThat(w.call("PEXPIRETIME", "k")).isEqualTo(":" + at * 1000 + "\r\n");
    assertThat(w.call("EXPIREAT", "k", Long.toString(at - 10), "GT")).isEqualTo(":0\r\n");
    assertThat(w.call("PEXPIREAT", "k", Long.toString(at * 1000 - 10), "LT")).isEqualTo(":1\r\n");
    server.clock.advance(Duration.ofSeconds(60));
    assertThat(w.call("EXPIRETIME", "k")).isEqualTo(":-2\r\n");
    w.call("SET", "k", "v");
    assertThat(w.call("EXPIRETIME", "k")).isEqualTo(":-1\r\n");
    assertThat(w.call("EXPIREAT", "k", "1")).isEqualTo(":1\r\n");
    assertThat(w.call("EXISTS", "k")).isEqualTo(":0\r\n");
    assertThat(w.call("PEXPIREAT", "k", "9223372036854775807", "XX")).isEqualTo(":0\r\n");
    assertThat(w.call("EXPIREAT", "k", "9223372036854775807"))
        .isEqualTo("-ERR invalid expire time in 'expireat' command\r\n");
  }

  @Test
  void rename_movesValueDeadlineAndEncoding() {
    w.call("SET", "a", "12", "EX", "100");
    w.call("APPEND", "a", "3");
    assertThat(w.call("RENAME", "a", "b")).isEqualTo("+OK\r\n");
    assertThat(w.call("EXISTS", "a")).isEqualTo(":0\r\n");
    assertThat(w.call("GET", "b")).isEqualTo(bulk("123"));
    assertThat(w.call("TTL", "b")).isEqualTo(":100\r\n");
    assertThat(w.call("OBJECT", "ENCODING", "b")).isEqualTo(bulk("raw"));
    assertThat(w.call("RENAME", "a", "b")).isEqualTo("-ERR no such key\r\n");
    w.call("SET", "c", "x");
    assertThat(w.call("RENAMENX", "b", "c")).isEqualTo(":0\r\n");
    assertThat(w.call("RENAMENX", "b", "d")).isEqualTo(":1\r\n");
    assertThat(w.call("RENAME", "d", "d")).isEqualTo("+OK\r\n");
  }

  @Test
  void copy_keepsTheSource_andRefusesOtherDatabases() {
    w.call("SET", "a", "v", "PX", "5000");
    assertThat(w.call("COPY", "a", "b")).isEqualTo(":1\r\n");
    assertThat(w.call("PTTL", "b")).isEqualTo(":5000\r\n");
    assertThat(w.call("COPY", "a", "b")).isEqualTo(":0\r\n");
    w.call("SET", "a", "w");
    assertThat(w.call("COPY", "a", "b", "REPLACE", "DB", "0")).isEqualTo(":1\r\n");
    assertThat(w.call("GET", "b")).isEqualTo(bulk("w"));
    assertThat(w.call("TTL", "b")).isEqualTo(":-1\r\n");
    assertThat(w.call("COPY", "a", "c", "DB", "1")).isEqualTo("-ERR DB index is out of range\r\n");
    assertThat(w.call("COPY", "a", "a"))
        .isEqualTo("-ERR source and destination objects are the same\r\n");
  }

  @Test
  void touch_countsLiveKeys() {
    w.call("MSET", "a", "1", "b", "2");
    w.call("PEXPIRE", "b", "10");
    server.clock.advance(Duration.ofMillis(10));
    assertThat(w.call("TOUCH", "a", "b", "c", "a")).isEqualTo(":2\r\n");
    assertThat(w.call("UNLINK", "a", "c")).isEqualTo(":1\r\n");
  }

  @Test
  void randomkey_returnsEveryKeyAndSkipsExpiredOnes() {
    assertThat(w.call("RANDOMKEY")).isEqualTo("$-1\r\n");
    for (int i = 0; i < 20; i++) {
      w.call("SET", "k" + i, "v");
    }
    w.call("SET", "gone", "v", "PX", "1");
    server.clock.advance(Duration.ofMillis(1));
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < 2000 && seen.size() < 20; i++) {
      String reply = w.call("RANDOMKEY");
      seen.add(reply.substring(reply.indexOf('\n') + 1, reply.length() - 2));
    }
    assertThat(seen).hasSize(20).doesNotContain("gone");
  }

  @Test
  void object_encodingAsRedisWouldHoldTheValue() {
    w.call("SET", "i", "-42");
    w.call("SET", "e", "x".repeat(44));
    w.call("SET", "r", "x".repeat(45));
    w.call("SET", "z", "012");
    assertThat(w.call("OBJECT", "ENCODING", "i")).isEqualTo(bulk("int"));
    assertThat(w.call("OBJECT", "ENCODING", "e")).isEqualTo(bulk("embstr"));
    assertThat(w.call("OBJECT", "ENCODING", "r")).isEqualTo(bulk("raw"));
    assertThat(w.call("OBJECT", "ENCODING", "z")).isEqualTo(bulk("embstr"));
    assertThat(w.call("OBJECT", "ENCODING", "none")).isEqualTo("$-1\r\n");
    assertThat(w.call("OBJECT", "REFCOUNT", "i")).isEqualTo(":1\r\n");
    assertThat(w.call("OBJECT", "FREQ", "i")).startsWith("-ERR An LFU maxmemory policy is not");
    assertThat(w.call("OBJECT", "IDLETIME", "i")).startsWith("-ERR ringlb: ");
    assertThat(w.call("OBJECT", "HELP")).startsWith("*15\r\n+OBJECT <subcommand>");
    w.call("SETBIT", "i", "0", "0"); // no change, but in place as in Redis
    assertThat(w.call("OBJECT", "ENCODING", "i")).isEqualTo(bulk("raw"));
    w.call("SET", "i", "7");
    assertThat(w.call("OBJECT", "ENCODING", "i")).isEqualTo(bulk("int"));
  }

  @Test
  void otherTypes_areUnknownCommands() {
    assertThat(w.call("LPUSH", "k", "v"))
        .isEqualTo("-ERR unknown command 'LPUSH', with args beginning with: 'k' 'v' \r\n");
    assertThat(w.call("hset", "h", "f", "v"))
        .isEqualTo("-ERR unknown command 'hset', with args beginning with: 'h' 'f' 'v' \r\n");
  }
}
