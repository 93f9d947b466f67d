package io.ringlb.server.embedded;

import static io.ringlb.server.embedded.EmbeddedWire.bulk;
import static org.assertj.core.api.Assertions.assertThat;

import io.ringlb.server.Wire;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** MULTI/EXEC/DISCARD and WATCH across connections of the embedded server. */
class TransactionTest {

  private final EmbeddedWire server = new EmbeddedWire();
  private final Wire a = server.connect();
  private final Wire b = server.connect();

  @AfterEach
  void close() {
    a.close();
    b.close();
  }

  @Test
  void exec_runsQueuedCommandsInOrder_withTheirErrors() {
    assertThat(a.call("MULTI")).isEqualTo("+OK\r\n");
    assertThat(a.call("SET", "k", "x")).isEqualTo("+QUEUED\r\n");
    assertThat(a.call("INCR", "k")).isEqualTo("+QUEUED\r\n");
    assertThat(a.call("GET", "k")).isEqualTo("+QUEUED\r\n");
    assertThat(a.call("PING")).isEqualTo("+QUEUED\r\n");
    assertThat(a.call("CLIENT", "ID")).isEqualTo("+QUEUED\r\n");
    assertThat(b.call("GET", "k")).isEqualTo("$-1\r\n"); // nothing ran yet
    String reply = a.call("EXEC");
    assertThat(reply)
        .startsWith(
            "*5\r\n+OK\r\n-ERR value is not an integer or out of range\r\n"
                + bulk("x")
                + "+PONG\r\n:");
    assertThat(a.call("CLIENT", "INFO")).contains("multi=-1");
  }

  @Test
  void refusedWhileQueuing_abortsTheTransaction() {
    a.call("MULTI");
    assertThat(a.call("SET", "k")).startsWith("-ERR wrong number of arguments");
    assertThat(a.call("SET", "k", "v")).isEqualTo("+QUEUED\r\n");
    assertThat(a.call("EXEC"))
        .isEqualTo("-EXECABORT Transaction discarded because of previous errors.\r\n");
    assertThat(a.call("EXISTS", "k")).isEqualTo(":0\r\n");
    assertThat(a.call("EXEC")).isEqualTo("-ERR EXEC without MULTI\r\n");
    assertThat(a.call("DISCARD")).isEqualTo("-ERR DISCARD without MULTI\r\n");
    a.call("MULTI");
    assertThat(a.call("MULTI")).isEqualTo("-ERR MULTI calls can not be nested\r\n");
    assertThat(a.call("WATCH", "k")).isEqualTo("-ERR WATCH inside MULTI is not allowed\r\n");
    assertThat(a.call("DISCARD")).isEqualTo("+OK\r\n");
  }

  @Test
  void saveAndShutdown_refusedWhileQueuing_withRedissWords_andRefusedOutsideToo() {
    for (String command : new String[] {"SAVE", "SHUTDOWN"}) {
      a.call("MULTI");
      assertThat(a.call("SET", "k", "v")).isEqualTo("+QUEUED\r\n");
      assertThat(a.call(command)).isEqualTo("-ERR Command not allowed inside a transaction\r\n");
      assertThat(a.call("EXEC")).startsWith("-EXECABORT");
      assertThat(a.call("EXISTS", "k")).isEqualTo(":0\r\n");
      assertThat(a.call(command)).startsWith("-ERR ringlb: the embedded server ");
    }
    assertThat(a.call("PING")).isEqualTo("+PONG\r\n");
  }

  @Test
  void watch_seesAnotherClientsWrite() {
    a.call("SET", "k", "1");
    a.call("WATCH", "k");
    b.call("SET", "k", "2");
    a.call("MULTI");
    a.call("INCR", "k");
    assertThat(a.call("EXEC")).isEqualTo("*-1\r\n");
    assertThat(a.call("GET", "k")).isEqualTo(bulk("2"));
    // the watch ended with EXEC: the next transaction runs
    a.call("MULTI");
    a.call("INCR", "k");
    assertThat(a.call("EXEC")).isEqualTo("*1\r\n:3\r\n");
  }

  @Test
  void watch_untouchedKey_lets_exec_run() {
    a.call("SET", "k", "1");
    a.call("WATCH", "k", "other");
    b.call("SET", "unrelated", "2");
    a.call("MULTI");
    a.call("INCR", "k");
    assertThat(a.call("EXEC")).isEqualTo("*1\r\n:2\r\n");
  }

  @Test
  void watch_seesDeletionExpiryAndFlush() {
    a.call("SET", "k", "1");
    a.call("WATCH", "k");
    b.call("DEL", "k");
    a.call("MULTI");
    assertThat(a.call("EXEC")).isEqualTo("*-1\r\n");

    a.call("SET", "k", "1", "PX", "100");
    a.call("WATCH", "k");
    server.clock.advance(Duration.ofMillis(100)); // expired, not yet deleted
    a.call("MULTI");
    assertThat(a.call("EXEC")).isEqualTo("*-1\r\n");

    a.call("SET", "k", "1");
    a.call("WATCH", "k");
    b.call("FLUSHALL");
    a.call("MULTI");
    assertThat(a.call("EXEC")).isEqualTo("*-1\r\n");

    a.call("WATCH", "absent");
    b.call("FLUSHDB");
    a.call("MULTI");
    assertThat(a.call("EXEC")).isEqualTo("*0\r\n");
  }

  @Test
  void watch_onAnExpiredKey_staysCleanWhenTheKeyIsDeleted() {
    a.call("SET", "k", "1", "PX", "10");
    server.clock.advance(Duration.ofMillis(10));
    a.call("WATCH", "k");
    b.call("GET", "k"); // deletes the expired key: logically no change
    a.call("MULTI");
    a.call("PING");
    assertThat(a.call("EXEC")).isEqualTo("*1\r\n+PONG\r\n");
  }

  @Test
  void unwatchDiscardAndReset_forgetWatches() {
    a.call("SET", "k", "1");
    a.call("WATCH", "k");
    a.call("UNWATCH");
    b.call("SET", "k", "2");
    a.call("MULTI");
    assertThat(a.call("EXEC")).isEqualTo("*0\r\n");

    a.call("WATCH", "k");
    b.call("SET", "k", "3");
    a.call("MULTI");
    a.call("DISCARD");
    a.call("MULTI");
    assertThat(a.call("EXEC")).isEqualTo("*0\r\n");

    a.call("WATCH", "k");
    a.call("MULTI");
    a.call("SET", "k", "4");
    assertThat(a.call("RESET")).isEqualTo("+RESET\r\n");
    assertThat(a.call("GET", "k")).isEqualTo(bulk("3"));
    assertThat(a.call("EXEC")).isEqualTo("-ERR EXEC without MULTI\r\n");
  }

  @Test
  void closedConnection_dropsItsWatches() {
    Wire c = server.connect();
    c.call("WATCH", "k");
    c.close();
    a.call("SET", "k", "1"); // would touch c's watch if it were still registered
    a.call("MULTI");
    assertThat(a.call("EXEC")).isEqualTo("*0\r\n");
  }
}
