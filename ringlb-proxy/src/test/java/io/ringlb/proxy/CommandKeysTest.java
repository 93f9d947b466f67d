package io.ringlb.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.ringlb.server.testing.RedisServersExtension;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import redis.clients.jedis.Jedis;

/**
 * The keys the proxy routes each command by are the keys redis-server itself finds in it ({@code
 * COMMAND GETKEYS}), for every command the proxy sends to a backend.
 */
class CommandKeysTest {

  /** Arguments for the commands whose keys depend on their other arguments. */
  private static final Map<String, String[]> SAMPLES =
      Map.ofEntries(
          Map.entry("bitop", new String[] {"AND", "k1", "k2", "k3"}),
          Map.entry("msetnx", new String[] {"k1", "v", "k2", "v"}),
          Map.entry("eval", new String[] {"return 1", "2", "k1", "k2", "arg"}),
          Map.entry(
              "evalsha",
              new String[] {"0000000000000000000000000000000000000000", "2", "k1", "k2", "arg"}),
          Map.entry("eval_ro", new String[] {"return 1", "1", "k1", "arg"}),
          Map.entry(
              "evalsha_ro", new String[] {"0000000000000000000000000000000000000000", "1", "k1"}),
          Map.entry("fcall", new String[] {"f", "2", "k1", "k2", "arg"}),
          Map.entry("fcall_ro", new String[] {"f", "1", "k1"}),
          Map.entry("zunionstore", new String[] {"k1", "2", "k2", "k3", "WEIGHTS", "1", "2"}),
          Map.entry("zinterstore", new String[] {"k1", "2", "k2", "k3"}),
          Map.entry("zdiffstore", new String[] {"k1", "2", "k2", "k3"}),
          Map.entry("zunion", new String[] {"2", "k1", "k2"}),
          Map.entry("zinter", new String[] {"2", "k1", "k2", "WITHSCORES"}),
          Map.entry("zdiff", new String[] {"2", "k1", "k2"}),
          Map.entry("zintercard", new String[] {"2", "k1", "k2", "LIMIT", "1"}),
          Map.entry("sintercard", new String[] {"2", "k1", "k2"}),
          Map.entry("lmpop", new String[] {"2", "k1", "k2", "LEFT"}),
          Map.entry("zmpop", new String[] {"2", "k1", "k2", "MIN"}),
          Map.entry("memory", new String[] {"USAGE", "k1"}),
          Map.entry("object", new String[] {"ENCODING", "k1"}),
          Map.entry("copy", new String[] {"k1", "k2", "REPLACE"}),
          Map.entry("lmove", new String[] {"k1", "k2", "LEFT", "RIGHT"}),
          Map.entry("zrangestore", new String[] {"k1", "k2", "0", "-1"}),
          Map.entry(
              "geosearchstore",
              new String[] {"k1", "k2", "FROMLONLAT", "0", "0", "BYRADIUS", "1", "m"}),
          Map.entry("lcs", new String[] {"k1", "k2"}),
          Map.entry("xread", new String[] {"COUNT", "10", "STREAMS", "k1", "k2", "0", "0"}),
          Map.entry(
              "xreadgroup",
              new String[] {"GROUP", "streams", "c", "NOACK", "STREAMS", "k1", "k2", ">", ">"}),
          Map.entry("xgroup", new String[] {"CREATE", "k1", "g", "$", "MKSTREAM"}),
          Map.entry("xinfo", new String[] {"STREAM", "k1"}),
          Map.entry("xclaim", new String[] {"k1", "g", "c", "0", "0-1"}),
          Map.entry("xautoclaim", new String[] {"k1", "g", "c", "0", "0-0"}),
          Map.entry("xpending", new String[] {"k1", "g"}),
          Map.entry("xack", new String[] {"k1", "g", "0-1"}),
          Map.entry("xsetid", new String[] {"k1", "0-1"}),
          Map.entry(
              "sort",
              new String[] {
                "k1", "BY", "w_*", "LIMIT", "0", "10", "GET", "#", "GET", "o_*", "ALPHA", "STORE",
                "k2"
              }),
          Map.entry("sort_ro", new String[] {"k1", "BY", "nosort", "DESC"}),
          Map.entry("blpop", new String[] {"k1", "k2", "0"}),
          Map.entry("brpop", new String[] {"k1", "k2", "0"}),
          Map.entry("bzpopmin", new String[] {"k1", "k2", "0"}),
          Map.entry("bzpopmax", new String[] {"k1", "k2", "0"}),
          Map.entry("brpoplpush", new String[] {"k1", "k2", "0"}),
          Map.entry("blmove", new String[] {"k1", "k2", "LEFT", "RIGHT", "0"}),
          Map.entry("blmpop", new String[] {"0", "2", "k1", "k2", "LEFT"}),
          Map.entry("bzmpop", new String[] {"0", "2", "k1", "k2", "MIN"}),
          Map.entry(
              "georadius",
              new String[] {
                "k1",
                "0",
                "0",
                "10",
                "km",
                "WITHDIST",
                "COUNT",
                "5",
                "ANY",
                "ASC",
                "STORE",
                "k2",
                "STOREDIST",
                "k3"
              }),
          Map.entry("georadiusbymember", new String[] {"k1", "store", "10", "km", "STORE", "k2"}));

  @RegisterExtension static final RedisServersExtension redis = RedisServersExtension.servers(1);

  @Test
  void keys_sameAsRedisServerFinds() {
    List<String> checked = new ArrayList<>();
    List<String> wrong = new ArrayList<>();
    try (Jedis jedis = redis.server(0).client()) {
      for (ProxyCommand spec : ProxyCommands.all()) {
        if (!spec.routedByKeys()) {
          continue;
        }
        List<String> words = new ArrayList<>();
        words.add(spec.name());
        String[] sample = SAMPLES.get(spec.name());
        if (sample != null) {
          words.addAll(List.of(sample));
        } else {
          long arity = arity(jedis, spec.name());
          int n = (int) Math.abs(arity);
          if (spec.route() == ProxyCommand.Route.MSET) {
            words.addAll(List.of("k1", "v", "k2", "v"));
          } else if (spec.route() != ProxyCommand.Route.KEY) {
            words.addAll(List.of("k1", "k2"));
          } else {
            words.add("k1");
          }
          while (words.size() < n) {
            words.add("0");
          }
        }
        int[] ours = spec.keys().find(KeyPositionsTest.request(words.toArray(new String[0])));
        List<String> ourKeys = new ArrayList<>();
        for (int i : ours) {
          ourKeys.add(words.get(i));
        }
        Object theirs;
        try {
          theirs =
              jedis.sendCommand(
                  () -> "COMMAND".getBytes(StandardCharsets.US_ASCII), concat("GETKEYS", words));
        } catch (redis.clients.jedis.exceptions.JedisDataException e) {
          wrong.add(String.join(" ", words) + ": redis-server says " + e.getMessage());
          continue;
        }
        List<String> redisKeys = new ArrayList<>();
        for (Object key : (List<?>) theirs) {
          redisKeys.add(new String((byte[]) key, StandardCharsets.UTF_8));
        }
        if (!ourKeys.equals(redisKeys)) {
          wrong.add(String.join(" ", words) + ": proxy " + ourKeys + ", redis-server " + redisKeys);
        }
        checked.add(spec.name());
      }
    }
    assertThat(wrong).isEmpty();
    assertThat(checked).hasSizeGreaterThan(140).contains("get", "lcs", "eval", "zunionstore");
  }

  private static long arity(Jedis jedis, String name) {
    List<?> info =
        (List<?>)
            jedis.sendCommand(() -> "COMMAND".getBytes(StandardCharsets.US_ASCII), "INFO", name);
    assertThat(info.get(0)).as("redis-server knows %s", name).isNotNull();
    return (Long) ((List<?>) info.get(0)).get(1);
  }

  private static String[] concat(String first, List<String> rest) {
    String[] out = new String[rest.size() + 1];
    out[0] = first;
    for (int i = 0; i < rest.size(); i++) {
      out[i + 1] = rest.get(i);
    }
    return out;
  }
}
