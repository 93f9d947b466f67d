package io.ringlb.proxy;

import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.handler.codec.redis.ErrorRedisMessage;
import io.netty.handler.codec.redis.RedisMessage;
import io.ringlb.server.ConfigReplies;
import io.ringlb.server.Glob;
import io.ringlb.server.Replies;
import io.ringlb.server.Request;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * CONFIG GET and CONFIG SET through the proxy: the front end's parameters (port, bind, maxclients,
 * requirepass...) are the proxy's and answer from it, every other one is redis-server's and goes to
 * the backends.
 *
 * <p>CONFIG SET goes to every backend and answers OK only when every one took it; otherwise it
 * names the backends that did not, with their errors, and those that did (a parameter every backend
 * refused alike gets their own error, as from one redis-server). CONFIG GET asks one backend, since
 * a CONFIG SET through the proxy sets them all alike, and never shows a backend's secrets.
 */
final class BackendConfig {

  /** A backend's parameters that hold secrets: shown empty, as the proxy's requirepass is. */
  private static final Set<String> SECRET =
      Set.of("requirepass", "masterauth", "tls-key-file-pass", "tls-client-key-file-pass");

  private BackendConfig() {}

  /**
   * CONFIG GET: the proxy's own parameters {@code matched} (the front end's that match), then the
   * matching parameters of one backend holding keys, the proxy's own left out.
   */
  static RedisMessage get(FanOut fanOut, Request r, Map<String, String> matched) {
    Set<String> own = new HashSet<>();
    matched.keySet().forEach(name -> own.add(name.toLowerCase(Locale.ROOT)));
    boolean onlyOwn = true;
    for (int i = 2; i < r.argc() && onlyOwn; i++) {
      // The front end lists a name given exactly as the client gave it, a pattern's matches by
      // name.
      onlyOwn = matched.containsKey(r.string(i)) && !Glob.isPattern(r.string(i));
    }
    if (onlyOwn) {
      // Named exactly, every one the proxy's: no backend is asked (and none needs to answer).
      return ConfigReplies.pairs(UnpooledByteBufAllocator.DEFAULT, matched);
    }
    Backend[] all = FanOut.dataBackends(fanOut.topology());
    if (all.length == 0) {
      return Replies.error(Router.NO_BACKEND);
    }
    return fanOut.send(
        new Backend[] {all[0]},
        FanOut.commandOf(r),
        (backends, replies) -> {
          if (replies[0] instanceof Values.Error e) {
            return new ErrorRedisMessage(e.text());
          }
          Map<String, String> out = new LinkedHashMap<>(matched);
          List<?> pairs = (List<?>) replies[0];
          for (int i = 0; i + 1 < pairs.size(); i += 2) {
            String name = text(pairs.get(i));
            String lower = name.toLowerCase(Locale.ROOT);
            // The front end matched the same names of its own: a backend's port is never shown.
            if (!own.contains(lower)) {
              out.putIfAbsent(name, SECRET.contains(lower) ? "" : text(pairs.get(i + 1)));
            }
          }
          return ConfigReplies.pairs(UnpooledByteBufAllocator.DEFAULT, out);
        });
  }

  /**
   * CONFIG SET of redis-server's parameters ({@code changes}: the front end refused or left the
   * proxy's own), sent to every backend of the topology.
   */
  static RedisMessage set(FanOut fanOut, List<Map.Entry<String, String>> changes) {
    Backend[] all = fanOut.topology().backends();
    if (all.length == 0) {
      return Replies.error(Router.NO_BACKEND);
    }
    Object[] command = new Object[2 + 2 * changes.size()];
    command[0] = "CONFIG".getBytes(StandardCharsets.US_ASCII);
    command[1] = "SET".getBytes(StandardCharsets.US_ASCII);
    for (int i = 0; i < changes.size(); i++) {
      command[2 + 2 * i] = changes.get(i).getKey().getBytes(StandardCharsets.UTF_8);
      command[3 + 2 * i] = changes.get(i).getValue().getBytes(StandardCharsets.UTF_8);
    }
    return fanOut.send(all, command, BackendConfig::combineSet);
  }

  /** OK when every backend took the CONFIG SET; otherwise which did not, and why. */
  static RedisMessage combineSet(Backend[] backends, Object[] replies) {
    List<String> refused = new ArrayList<>();
    List<String> took = new ArrayList<>();
    String sameError = null;
    boolean allSame = true;
    for (int i = 0; i < replies.length; i++) {
      if (replies[i] instanceof Values.Error e) {
        refused.add(backends[i].describe() + ": " + e.text());
        allSame &= sameError == null || sameError.equals(e.text());
        sameError = e.text();
      } else {
        took.add(Integer.toString(backends[i].id()));
      }
    }
    if (refused.isEmpty()) {
      return Replies.OK;
    }
    if (took.isEmpty() && allSame) {
      return new ErrorRedisMessage(sameError);
    }
    return Replies.error(
        "ERR ringlb: CONFIG SET was not taken by "
            + String.join("; ", refused)
            + (took.isEmpty()
                ? ""
                : "; taken by backend" + (took.size() > 1 ? "s " : " ") + String.join(", ", took)));
  }

  private static String text(Object value) {
    return value instanceof byte[] b
        ? new String(b, StandardCharsets.UTF_8)
        : String.valueOf(value);
  }
}
