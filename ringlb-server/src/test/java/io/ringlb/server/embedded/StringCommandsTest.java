package io.ringlb.server.embedded;

import static io.ringlb.server.embedded.EmbeddedWire.bulk;
import static org.assertj.core.api.Assertions.assertThat;

import io.ringlb.server.Wire;
import io.ringlb.server.testing.ManualClock;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** SETEX, PSETEX, GETEX, GETSET, MSETNX and SET's options on the embedded server. */
class StringCommandsTest {

  private final EmbeddedWire server = new EmbeddedWire();
  private final Wire w = server.connect();

  @AfterEach
  void close() {
    w.close();
  }

  @Test
  void setex_setsValueAndDeadline_refusesBadTimes() {
    assertThat(w.call("SETEX", "k", "100", "v")).isEqualTo("+OK\r\n");
    assertThat(w.call("GET", "k")).isEqualTo(bulk("v"));
    assertThat(w.call("PTTL", "k")).isEqualTo(":100000\r\n");
    assertThat(w.call("SETEX", "k", "0", "v"))
        .isEqualTo("-ERR invalid expire time in 'setex' command\r\n");
    assertThat(w.call("SETEX", "k", "9223372036854775807", "v"))
        .isEqualTo("-ERR invalid expire time in 'setex' command\r\n");
    assertThat(w.call("SETEX", "k", "x", "v"))
        .isEqualTo("-ERR value is not an integer or out of range\r\n");
    assertThat(w.call("PSETEX", "p", "1500", "v")).isEqualTo("+OK\r\n");
    assertThat(w.call("PTTL", "p")).isEqualTo(":1500\r\n");
    server.clock.advance(Duration.ofMillis(1500));
    assertThat(w.call("GET", "p")).isEqualTo("$-1\r\n");
    assertThat(w.call("PSETEX", "p", "-1", "v"))
        .isEqualTo("-ERR invalid expire time in 'psetex' command\r\n");
  }

  @Test
  void getex_changesOrDropsTheDeadline() {
    w.call("SET", "k", "v", "EX", "100");
    assertThat(w.call("GETEX", "k")).isEqualTo(bulk("v"));
    assertThat(w.call("TTL", "k")).isEqualTo(":100\r\n");
    assertThat(w.call("GETEX", "k", "PX", "2500")).isEqualTo(bulk("v"));
    assertThat(w.call("PTTL", "k")).isEqualTo(":2500\r\n");
    long at = ManualClock.START_MILLIS + 7000;
    assertThat(w.call("GETEX", "k", "PXAT", Long.toString(at))).isEqualTo(bulk("v"));
    assertThat(w.call("PEXPIRETIME", "k")).isEqualTo(":" + at + "\r\n");
    assertThat(w.call("GETEX", "k", "PERSIST")).isEqualTo(bulk("v"));
    assertThat(w.call("TTL", "k")).isEqualTo(":-1\r\n");
    assertThat(w.call("GETEX", "k", "EXAT", "1")).isEqualTo(bulk("v"));
    assertThat(w.call("EXISTS", "k")).isEqualTo(":0\r\n");
    assertThat(w.call("GETEX", "k", "EX", "0")).isEqualTo("$-1\r\n"); // missing: no check
    w.call("SET", "k", "v");
    assertThat(w.call("GETEX", "k", "EX", "0"))
        .isEqualTo("-ERR invalid expire time in 'getex' command\r\n");
    assertThat(w.call("GETEX", "k", "PERSIST", "EX", "1")).isEqualTo("-ERR syntax error\r\n");
    assertThat(w.call("GETEX", "k", "KEEPTTL")).isEqualTo("-ERR syntax error\r\n");
    assertThat(w.call("GETEX", "k", "EX")).isEqualTo("-ERR syntax error\r\n");
  }

  @Test
  void getset_returnsOldValueAndDropsDeadline() {
    assertThat(w.call("GETSET", "k", "a")).isEqualTo("$-1\r\n");
    w.call("EXPIRE", "k", "100");
    assertThat(w.call("GETSET", "k", "b")).isEqualTo(bulk("a"));
    assertThat(w.call("GET", "k")).isEqualTo(bulk("b"));
    assertThat(w.call("TTL", "k")).isEqualTo(":-1\r\n");
  }

  @Test
  void msetnx_setsAllOrNone() {
    assertThat(w.call("MSETNX", "a", "1", "b", "2")).isEqualTo(":1\r\n");
    assertThat(w.call("MSETNX", "b", "3", "c", "4")).isEqualTo(":0\r\n");
    assertThat(w.call("EXISTS", "c")).isEqualTo(":0\r\n");
    assertThat(w.call("GET", "b")).isEqualTo(bulk("2"));
    assertThat(w.call("MSETNX", "a", "1", "b"))
        .isEqualTo("-ERR wrong number of arguments for 'msetnx' command\r\n");
  }

  @Test
  void set_withExatInThePast_leavesNoLiveKey() {
    assertThat(w.call("SET", "k", "v", "EXAT", "1")).isEqualTo("+OK\r\n");
    assertThat(w.call("GET", "k")).isEqualTo("$-1\r\n");
    assertThat(w.call("SET", "k", "v", "KEEPTTL", "PX", "5")).isEqualTo("-ERR syntax error\r\n");
  }
}
