package io.ringlb.server.embedded;

import static io.ringlb.server.embedded.EmbeddedWire.array;
import static org.assertj.core.api.Assertions.assertThat;

import io.ringlb.server.Wire;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * CONFIG SET of the embedded server's settings, FUNCTION, SCRIPT, CLIENT UNBLOCK and their
 * refusals.
 */
class ServerCommandsTest {

  private final EmbeddedWire server = new EmbeddedWire();
  private final Wire w = server.connect();

  @AfterEach
  void close() {
    w.close();
  }

  @Test
  void configSet_hz_isClampedAndShown() {
    assertThat(w.call("CONFIG", "GET", "hz")).isEqualTo(array("hz", "10"));
    assertThat(w.call("CONFIG", "SET", "hz", "1000")).isEqualTo("+OK\r\n");
    assertThat(w.call("CONFIG", "GET", "hz")).isEqualTo(array("hz", "500"));
    assertThat(w.call("CONFIG", "SET", "hz", "x"))
        .isEqualTo(
            "-ERR CONFIG SET failed (possibly related to argument 'hz') - argument couldn't be"
                + " parsed into an integer\r\n");
    assertThat(w.call("CONFIG", "SET", "port", "1"))
        .isEqualTo(
            "-ERR CONFIG SET failed (possibly related to argument 'port') - can't set immutable"
                + " config\r\n");
    assertThat(w.call("CONFIG", "SET", "hz", "20", "nope", "1"))
        .isEqualTo("-ERR Unknown option or number of arguments for CONFIG SET - 'nope'\r\n");
    assertThat(w.call("CONFIG", "GET", "hz")).isEqualTo(array("hz", "500")); // all or nothing
    assertThat(w.call("CONFIG", "SET", "timeout", "0", "appendonly", "no")).isEqualTo("+OK\r\n");
  }

  @Test
  void clientUnblock_ofAClientNotBlocked_answersZero_andRedisErrors() {
    String id = w.call("CLIENT", "ID").replaceAll("[^0-9]", "");
    assertThat(w.call("CLIENT", "UNBLOCK", id)).isEqualTo(":0\r\n");
    assertThat(w.call("CLIENT", "UNBLOCK", id, "ERROR")).isEqualTo(":0\r\n");
    assertThat(w.call("CLIENT", "UNBLOCK", "asd"))
        .isEqualTo("-ERR value is not an integer or out of range\r\n");
    assertThat(w.call("CLIENT", "UNBLOCK", id, "LATER"))
        .isEqualTo("-ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR\r\n");
  }

  @Test
  void functionsAndScripts_answerAsAnEmptyRedis() {
    assertThat(w.call("FUNCTION", "FLUSH")).isEqualTo("+OK\r\n");
    assertThat(w.call("FUNCTION", "LIST", "WITHCODE", "LIBRARYNAME", "x")).isEqualTo("*0\r\n");
    assertThat(w.call("FUNCTION", "LIST", "FOO")).isEqualTo("-ERR Unknown argument FOO\r\n");
    assertThat(w.call("FUNCTION", "DELETE", "lib")).isEqualTo("-ERR Library not found\r\n");
    assertThat(w.call("FCALL", "f", "0")).isEqualTo("-ERR Function not found\r\n");
    assertThat(w.call("FUNCTION", "LOAD", "#!lua name=lib\nreturn 1"))
        .isEqualTo("-ERR Engine 'lua' not found\r\n");
    assertThat(w.call("FUNCTION", "LOAD", "return 1"))
        .isEqualTo("-ERR Missing library metadata\r\n");
    assertThat(w.call("FUNCTION", "LOAD", "#!lua\nreturn 1"))
        .isEqualTo("-ERR Library name was not given\r\n");
    assertThat(w.call("FUNCTION", "STATS"))
        .isEqualTo("*4\r\n$14\r\nrunning_script\r\n$-1\r\n$7\r\nengines\r\n*0\r\n");
    assertThat(w.call("SCRIPT", "EXISTS", "a", "b")).isEqualTo("*2\r\n:0\r\n:0\r\n");
    assertThat(w.call("EVALSHA", "abc", "0"))
        .isEqualTo("-NOSCRIPT No matching script. Please use EVAL.\r\n");
    assertThat(w.call("SCRIPT", "KILL"))
        .isEqualTo("-NOTBUSY No scripts in execution right now.\r\n");
  }
}
