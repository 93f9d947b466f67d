package io.ringlb.proxy;

import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.handler.codec.redis.ErrorRedisMessage;
import io.netty.handler.codec.redis.RedisMessage;
import io.ringlb.server.ConfigReplies;
import io.ringlb.server.Replies;
import io.ringlb.server.Request;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * CONFIG GET and CONFIG SET through the proxy: the proxy's own parameters (port, bind, maxclients,
 * requirepass...) answer from the proxy, every other one is redis-server's and goes to the
 * backends.
 *
 * <p>CONFIG SET goes to every backend and answers OK only when every one took it; otherwise it
 * names the backends that did not, with their errors, and those that did (a parameter every backend
 * refused alike gets their own error, as from one redis-server). CONFIG GET asks one backend, since
 * a CONFIG SET through the proxy sets them all alike, and never shows a backend's secrets.
 */
final class BackendConfig {

  /** The parameters the proxy answers itself, among the front end's: they are the proxy's. */
  private static final Set<String> OWN =
      Set.of(
          "port",
          "bind",
          "maxclients",
          "proto-max-bulk-len",
          "requirepass",
          "databases",
          "timeout",
          "io-threads");

  /** A backend's parameters that hold secrets: shown empty, as the proxy's requirepass is. */
  private static final Set<String> SECRET =
      Set.of("requirepass", "masterauth", "tls-key-file-pass", "tls-client-key-file-pass");

  private BackendConfig() {}

  /**
   * CONFIG GET: the proxy's own parameters among {@code matched} (the front end's that match), then
   * the matching parameters of one backend holding keys, the proxy's own left out.
   */
  static RedisMessage get(FanOut fanOut, Request r, Map<String, String> matched) {
    Map<String, String> own = new LinkedHashMap<>();
    matched.forEach(
        (name, value) -> {
          if (OWN.contains(name.toLowerCase(Locale.ROOT))) {
            own.put(name, value);
          }
        });
    boolean onlyOwn = true;
    for (int i = 2; i < r.argc() && onlyOwn; i++) {
      onlyOwn = OWN.contains(r.string(i).toLowerCase(Locale.ROOT));
    }
    if (onlyOwn) {
      // Named exactly, every one the proxy's: no backend is asked (and none needs to answer).
      return ConfigReplies.pairs(UnpooledByteBufAllocator.DEFAULT, own);
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
          Map<String, String> out = new LinkedHashMap<>(own);
          List<?> pairs = (List<?>) replies[0];
          for (int i = 0; i + 1 < pairs.size(); i += 2) {
            String name = text(pairs.get(i));
            String lower = name.toLowerCase(Locale.ROOT);
            if (!OWN.contains(lower)) {
              out.putIfAbsent(name, SECRET.contains(lower) ? "" : text(pairs.get(i + 1)));
            }
          }
          return ConfigReplies.pairs(UnpooledByteBufAllocator.DEFAULT, out);
        });
  }

  /**
   * CONFIG SET: refused for the proxy's own parameters, which are set when it starts; otherwise
   * sent to every backend of the topology.
   */
  static RedisMessage set(FanOut fanOut, Request r) {
    for (int i = 2; i < r.argc(); i += 2) {
      String name = r.string(i);
      if (OWN.contains(name.toLowerCase(Locale.ROOT))) {
        return Replies.error(ConfigReplies.immutable(name));
      }
    }
    Backend[] all = fanOut.topology().backends();
    if (all.length == 0) {
      return Replies.error(Router.NO_BACKEND);
    }
    return fanOut.send(all, FanOut.commandOf(r), BackendConfig::combineSet);
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
