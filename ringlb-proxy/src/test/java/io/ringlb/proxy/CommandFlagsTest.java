package io.ringlb.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.ringlb.server.CommandSpec;
import io.ringlb.server.testing.RedisServersExtension;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Protocol;

/** The proxy's write and readonly flags of its routed commands are redis-server's own. */
class CommandFlagsTest {

  @RegisterExtension static final RedisServersExtension redis = RedisServersExtension.servers(1);

  @Test
  void routedCommands_carryTheWriteAndReadonlyFlagsOfCommandInfo() {
    List<String> differ = new ArrayList<>();
    int writes = 0;
    try (Jedis jedis = redis.server(0).client()) {
      for (ProxyCommand c : ProxyCommands.all()) {
        if (!c.routedByKeys()) {
          continue;
        }
        List<String> flags = flags(jedis, c.name());
        if (flags == null) {
          continue; // a command of a newer Redis than the one installed
        }
        boolean write = flags.contains("write");
        boolean read = flags.contains("readonly");
        if (write != c.spec().flags().contains(CommandSpec.WRITE)
            || read != c.spec().flags().contains(CommandSpec.READONLY)) {
          differ.add(c.name() + " " + flags + " vs " + c.spec().flags());
        }
        if (CommandFlags.writes(c.spec())) {
          writes++;
        }
      }
    }
    assertThat(differ).isEmpty();
    try (Jedis jedis = redis.server(0).client()) {
      assertThat(flags(jedis, "set")).contains("write");
    }
    assertThat(writes).isGreaterThan(50);
    assertThat(CommandFlags.writes(ProxyCommands.named("eval").spec())).isTrue();
    assertThat(CommandFlags.writes(ProxyCommands.named("get").spec())).isFalse();
  }

  /** The flags COMMAND INFO gives {@code name}, or null when redis-server does not know it. */
  private static List<String> flags(Jedis jedis, String name) {
    Object reply = jedis.sendCommand(Protocol.Command.COMMAND, "INFO", name);
    Object entry = ((List<?>) reply).get(0);
    if (!(entry instanceof List<?> info)) {
      return null;
    }
    List<String> out = new ArrayList<>();
    for (Object f : (List<?>) info.get(2)) {
      out.add(new String((byte[]) f, java.nio.charset.StandardCharsets.UTF_8));
    }
    return out;
  }
}
