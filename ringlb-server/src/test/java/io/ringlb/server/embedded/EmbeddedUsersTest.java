package io.ringlb.server.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ringlb.core.HashRing;
import io.ringlb.server.RespServer;
import io.ringlb.server.ServerConfig;
import io.ringlb.server.User;
import io.ringlb.server.UserRole;
import io.ringlb.server.Users;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.exceptions.JedisDataException;

/** Users and roles on the embedded server, over a real socket with Jedis. */
class EmbeddedUsersTest {

  private static RespServer start(String requirePass, UserRole defaultRole) throws Exception {
    Users users =
        Users.of(
            List.of(
                User.withPassword("app", "app-secret", UserRole.DATA),
                User.withSha256(
                    "ops",
                    "32323cfa9ec9d62750daad0836a4cf3d7b60d23723b7852a529667deed01669f",
                    UserRole.ADMIN)),
            defaultRole);
    return RespServer.start(
        ServerConfig.defaults().withPort(0).withRequirePass(requirePass).withUsers(users),
        EmbeddedBackend.create(HashRing.seed(), 0, 1, 2));
  }

  private static String noperm(String command) {
    return "NOPERM this user has no permissions to run the '" + command + "' command";
  }

  @Test
  @Timeout(30)
  void dataUser_readsAndWrites_butIsRefusedAdministration() throws Exception {
    try (RespServer server = start(null, UserRole.ADMIN);
        Jedis app = new Jedis("127.0.0.1", server.address().getPort(), 5000)) {
      assertThatThrownBy(() -> app.get("k")).hasMessageContaining("NOAUTH");
      assertThatThrownBy(() -> app.auth("anything"))
          .as("with named users and no requirepass, default is off")
          .hasMessageContaining("WRONGPASS");
      assertThat(app.auth("app", "app-secret")).isEqualTo("OK");
      assertThat(app.set("k", "v")).isEqualTo("OK");
      assertThatThrownBy(app::flushAll)
          .isInstanceOf(JedisDataException.class)
          .hasMessage(noperm("flushall"));
      assertThatThrownBy(
              () -> app.sendCommand(() -> "RING".getBytes(StandardCharsets.US_ASCII), "ADD", "7"))
          .hasMessage(noperm("ring|add"));
      assertThatThrownBy(() -> app.clientKill("127.0.0.1:1")).hasMessage(noperm("client|kill"));
      assertThatThrownBy(() -> app.clientNoEvictOn()).hasMessage(noperm("client|no-evict"));
      assertThatThrownBy(() -> app.configGet("requirepass")).hasMessage(noperm("config|get"));
      assertThat(app.clientId()).isPositive();
      assertThat(app.get("k")).isEqualTo("v");
    }
  }

  @Test
  @Timeout(30)
  void adminUser_byItsSha256_administrates_andDefaultRoleData_isHeldToData() throws Exception {
    try (RespServer server = start("root-secret", UserRole.DATA);
        Jedis ops = new Jedis("127.0.0.1", server.address().getPort(), 5000);
        Jedis root = new Jedis("127.0.0.1", server.address().getPort(), 5000)) {
      ops.auth("ops", "ops-secret");
      root.auth("root-secret");
      root.set("k", "v");
      assertThatThrownBy(root::flushAll).hasMessage(noperm("flushall"));
      assertThat(ops.configGet("requirepass")).containsEntry("requirepass", "");
      assertThat(new String((byte[]) ops.sendCommand(Protocol.Command.ACL, "WHOAMI")))
          .isEqualTo("ops");
      assertThat(ops.flushAll()).isEqualTo("OK");
      assertThat(root.get("k")).isNull();
    }
  }
}
