package io.ringlb.proxy;

import io.netty.channel.EventLoop;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Follows Redis Sentinel for the proxy's Sentinel-managed shards: asks every configured sentinel
 * for each master's primary (SENTINEL MASTER, taking the answer of the highest configuration epoch,
 * so a sentinel that has not heard of a failover yet cannot point a shard back) and replicas
 * (SENTINEL REPLICAS), subscribes to each sentinel's events, and asks again at once when one
 * announces a failover or a replica's change, and every {@value #REFRESH_MILLIS} ms besides.
 *
 * <p>Any one reachable sentinel suffices; with one of three down nothing changes.
 */
final class Sentinels {

  /** How often the sentinels are asked even without an event. */
  static final long REFRESH_MILLIS = 500;

  private final List<SentinelLink> links = new ArrayList<>();
  private final Upstream upstream;
  private final ScheduledExecutorService timer;
  private final long timeoutMillis;
  private final Map<String, SentinelShard> shards = new ConcurrentHashMap<>();
  private final Map<String, AtomicBoolean> refreshing = new ConcurrentHashMap<>();
  private final AtomicLong failovers = new AtomicLong();
  private final String names;
  private volatile boolean closed;

  /** Links to the sentinels of {@code config} on {@code loop}; nothing is sent before a watch. */
  Sentinels(ProxyConfig config, Upstream upstream, EventLoop loop) {
    this.upstream = upstream;
    this.timeoutMillis = upstream.requestTimeoutMillis();
    List<String> addresses = new ArrayList<>();
    for (BackendSpec s : config.sentinels()) {
      links.add(new SentinelLink(s, upstream, loop, this::event));
      addresses.add(s.address());
    }
    this.names = addresses.toString();
    this.timer =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "ringlb-sentinel");
              t.setDaemon(true);
              return t;
            });
  }

  /** Starts following the sentinels' events and asking them periodically. */
  void start() {
    timer.scheduleWithFixedDelay(this::tick, 0, REFRESH_MILLIS, TimeUnit.MILLISECONDS);
  }

  /** Stops following the sentinels. */
  void close() {
    closed = true;
    timer.shutdownNow();
    for (SentinelLink l : links) {
      l.close();
    }
  }

  /** Failovers followed, over every shard. */
  long failovers() {
    return failovers.get();
  }

  /** The configured sentinels, and which are subscribed now. */
  List<String> describeLinks() {
    List<String> out = new ArrayList<>();
    for (SentinelLink l : links) {
      out.add(l.address() + (l.subscribed() ? " subscribed" : " unreachable"));
    }
    return out;
  }

  /**
   * Watches {@code backend}'s master name, asking the sentinels for its primary and waiting for
   * their answer (up to the request timeout).
   *
   * @throws IllegalArgumentException when sentinels answered and none knows the master name
   * @throws java.io.IOException when no sentinel answered
   */
  SentinelShard watch(Backend backend) throws java.io.IOException {
    String master = backend.spec().master();
    SentinelShard shard =
        shards.computeIfAbsent(
            master,
            m -> new SentinelShard(m, upstream, () -> refreshSoon(m), failovers::incrementAndGet));
    shard.add(backend);
    if (shard.primaryAddress() != null) {
      return shard;
    }
    Answer answer;
    try {
      answer = ask(shard).get(2 * timeoutMillis + 1000, TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      answer = new Answer(false, 0, List.of(String.valueOf(e.getCause())));
    } catch (TimeoutException e) {
      answer =
          new Answer(false, 0, List.of("no answer within " + (2 * timeoutMillis + 1000) + " ms"));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new java.io.IOException("interrupted while asking the sentinels", e);
    }
    if (!answer.found()) {
      if (answer.unknown() > 0) {
        shard.remove(backend);
        shards.remove(master, shard);
        throw new IllegalArgumentException(
            "no sentinel of " + names + " knows a master named '" + master + "'");
      }
      throw new java.io.IOException(
          "no sentinel of " + names + " answered for master '" + master + "': " + answer.errors());
    }
    return shard;
  }

  /** Stops re-pointing {@code backend} (it left the ring). */
  void unwatch(Backend backend) {
    SentinelShard shard = backend.shard();
    if (shard != null) {
      shard.remove(backend);
    }
  }

  /**
   * The redis-servers of {@code master} as the sentinels say now: the primary (the answer of the
   * highest configuration epoch) first, then every replica the best sentinel names, whatever its
   * state; each with whether Sentinel reports it down. Asked afresh, waiting up to twice the
   * request timeout, for fencing ({@link BackendFence}), which must reach every node of a shard.
   *
   * @throws java.io.IOException naming the master when no sentinel names a primary for it
   */
  List<ShardNode> nodes(String master) throws java.io.IOException {
    long wait = 2 * timeoutMillis + 1000;
    try {
      List<CompletableFuture<Object>> asked = askMaster(master);
      CompletableFuture.allOf(asked.toArray(new CompletableFuture<?>[0]))
          .get(wait, TimeUnit.MILLISECONDS);
      Best best = best(asked);
      if (best.master() == null) {
        throw new java.io.IOException(
            "the primary of Sentinel shard '"
                + master
                + "' is unknown ("
                + names
                + ": "
                + best.errors()
                + ")");
      }
      List<ShardNode> out = new ArrayList<>();
      out.add(
          new ShardNode(best.master().get("ip"), (int) number(best.master().get("port")), false));
      Object replies =
          links
              .get(best.link())
              .call("SENTINEL", "REPLICAS", master)
              .get(wait, TimeUnit.MILLISECONDS);
      if (!(replies instanceof List<?> list)) {
        throw new java.io.IOException(
            "sentinel "
                + links.get(best.link()).address()
                + " did not list the replicas of '"
                + master
                + "': "
                + (replies instanceof Values.Error e ? e.text() : replies));
      }
      for (Object item : list) {
        if (item instanceof List<?> l) {
          Map<String, String> m = flatMap(l);
          String flags = String.valueOf(m.get("flags"));
          if (m.get("ip") != null && number(m.get("port")) > 0) {
            out.add(new ShardNode(m.get("ip"), (int) number(m.get("port")), down(flags)));
          }
        }
      }
      return out;
    } catch (ExecutionException | TimeoutException e) {
      throw new java.io.IOException(
          "the sentinels "
              + names
              + " did not name the nodes of '"
              + master
              + "' within "
              + wait
              + " ms: "
              + message(e),
          e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new java.io.IOException("interrupted while asking the sentinels", e);
    }
  }

  /** Whether Sentinel's {@code flags} of a replica say it is down, or its link to it is. */
  private static boolean down(String flags) {
    return flags.contains("s_down") || flags.contains("o_down") || flags.contains("disconnected");
  }

  /** One redis-server of a Sentinel shard, and whether Sentinel reports it down. */
  record ShardNode(String host, int port, boolean down) {}

  /** What the sentinels answered for one master. */
  private record Answer(boolean found, int unknown, List<String> errors) {}

  private void tick() {
    for (SentinelLink l : links) {
      l.ensureSubscribed();
    }
    for (String master : shards.keySet()) {
      refreshSoon(master);
    }
  }

  private void refreshSoon(String master) {
    SentinelShard shard = shards.get(master);
    if (shard == null) {
      return;
    }
    AtomicBoolean busy = refreshing.computeIfAbsent(master, m -> new AtomicBoolean());
    if (!busy.compareAndSet(false, true)) {
      return;
    }
    try {
      ask(shard).whenComplete((a, e) -> busy.set(false));
    } catch (RuntimeException e) {
      busy.set(false);
    }
  }

  /** Asks every sentinel for {@code shard}'s primary, then the best one for its replicas. */
  private CompletableFuture<Answer> ask(SentinelShard shard) {
    List<CompletableFuture<Object>> asked = askMaster(shard.master());
    return CompletableFuture.allOf(asked.toArray(new CompletableFuture<?>[0]))
        .thenCompose(
            v -> {
              Best best = best(asked);
              if (best.master() == null || closed) {
                return CompletableFuture.completedFuture(
                    new Answer(false, best.unknown(), best.errors()));
              }
              shard.primary(
                  best.master().get("ip"), (int) number(best.master().get("port")), best.epoch());
              // The replicas and their lag follow on their own: the primary is what matters.
              links
                  .get(best.link())
                  .call("SENTINEL", "REPLICAS", shard.master())
                  .thenCompose(r -> withLag(shard, r));
              return CompletableFuture.completedFuture(
                  new Answer(true, best.unknown(), best.errors()));
            });
  }

  /** SENTINEL MASTER {@code master} of every sentinel; a failure completes with its exception. */
  private List<CompletableFuture<Object>> askMaster(String master) {
    List<CompletableFuture<Object>> asked = new ArrayList<>();
    for (SentinelLink l : links) {
      asked.add(l.call("SENTINEL", "MASTER", master).exceptionally(e -> e));
    }
    return asked;
  }

  /**
   * The answer of the highest configuration epoch ({@code master} null when none names a primary),
   * its sentinel, how many sentinels know no such master, and every sentinel's error.
   */
  private record Best(
      Map<String, String> master, long epoch, int link, int unknown, List<String> errors) {}

  /** Picks the best of the (completed) answers to {@link #askMaster}. */
  private Best best(List<CompletableFuture<Object>> asked) {
    Map<String, String> best = null;
    long bestEpoch = -1;
    int bestLink = -1;
    int unknown = 0;
    List<String> errors = new ArrayList<>();
    for (int i = 0; i < asked.size(); i++) {
      Object value = asked.get(i).join();
      if (value instanceof List<?> list) {
        Map<String, String> m = flatMap(list);
        long epoch = number(m.get("config-epoch"));
        if (m.get("ip") != null && number(m.get("port")) > 0 && epoch > bestEpoch) {
          best = m;
          bestEpoch = epoch;
          bestLink = i;
        }
      } else if (value instanceof Values.Error err) {
        unknown++;
        errors.add(links.get(i).address() + ": " + err.text());
      } else {
        errors.add(
            links.get(i).address()
                + ": "
                + (value instanceof Throwable t ? message(t) : String.valueOf(value)));
      }
    }
    return new Best(best, bestEpoch, bestLink, unknown, errors);
  }

  /** Takes the replicas Sentinel names, with their lag as the primary reports it. */
  private CompletableFuture<Void> withLag(SentinelShard shard, Object replies) {
    if (!(replies instanceof List<?> list)) {
      return CompletableFuture.completedFuture(null);
    }
    List<Map<String, String>> named = new ArrayList<>();
    for (Object item : list) {
      if (item instanceof List<?> l) {
        named.add(flatMap(l));
      }
    }
    List<Backend> backends = shard.backends();
    CompletableFuture<Object> info =
        backends.isEmpty() || closed
            ? CompletableFuture.completedFuture(null)
            : backends.get(0).call("INFO", "replication");
    return info.exceptionally(e -> null)
        .thenAccept(
            reply -> {
              Map<String, long[]> lag = lagOf(reply);
              List<SentinelShard.Replica> replicas = new ArrayList<>();
              for (Map<String, String> m : named) {
                String host = m.get("ip");
                int port = (int) number(m.get("port"));
                String flags = String.valueOf(m.get("flags"));
                boolean promotable = !down(flags);
                boolean up = promotable && "ok".equals(m.get("master-link-status"));
                long[] l = lag.get(host + ":" + port);
                replicas.add(
                    new SentinelShard.Replica(
                        host, port, up, l == null ? -1 : l[0], l == null ? -1 : l[1], promotable));
              }
              shard.replicas(replicas);
            });
  }

  /**
   * Reads {@code slaveN:ip=..,port=..,offset=..,lag=..} of INFO replication: per replica address
   * its lag in seconds and in bytes behind {@code master_repl_offset}.
   */
  static Map<String, long[]> lagOf(Object reply) {
    Map<String, long[]> out = new HashMap<>();
    if (!(reply instanceof byte[] bytes)) {
      return out;
    }
    long masterOffset = -1;
    List<Map<String, String>> slaves = new ArrayList<>();
    for (String line : new String(bytes, StandardCharsets.UTF_8).split("\r?\n")) {
      if (line.startsWith("master_repl_offset:")) {
        masterOffset = number(line.substring("master_repl_offset:".length()));
      } else if (line.startsWith("slave") && line.indexOf(':') > 0) {
        Map<String, String> fields = new HashMap<>();
        for (String kv : line.substring(line.indexOf(':') + 1).split(",")) {
          int eq = kv.indexOf('=');
          if (eq > 0) {
            fields.put(kv.substring(0, eq), kv.substring(eq + 1));
          }
        }
        slaves.add(fields);
      }
    }
    for (Map<String, String> s : slaves) {
      long offset = number(s.get("offset"));
      out.put(
          s.get("ip") + ":" + s.get("port"),
          new long[] {
            number(s.get("lag")), masterOffset < 0 || offset < 0 ? -1 : masterOffset - offset
          });
    }
    return out;
  }

  /** An event of a sentinel: asks again about the master it concerns. */
  private void event(String channel, String payload) {
    String[] words = payload.trim().split(" ");
    String master;
    if (channel.equals("+switch-master")) {
      master = words[0];
    } else {
      int at = java.util.Arrays.asList(words).indexOf("@");
      master = at >= 0 && at + 1 < words.length ? words[at + 1] : words.length > 1 ? words[1] : "";
    }
    if (shards.containsKey(master)) {
      try {
        timer.execute(() -> refreshSoon(master));
      } catch (java.util.concurrent.RejectedExecutionException e) {
        // closing
      }
    }
  }

  private static Map<String, String> flatMap(List<?> list) {
    Map<String, String> m = new HashMap<>();
    for (int i = 0; i + 1 < list.size(); i += 2) {
      m.put(text(list.get(i)), text(list.get(i + 1)));
    }
    return m;
  }

  private static String text(Object value) {
    return value instanceof byte[] b
        ? new String(b, StandardCharsets.UTF_8)
        : String.valueOf(value);
  }

  private static long number(String text) {
    if (text == null) {
      return -1;
    }
    try {
      return Long.parseLong(text.trim());
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  private static String message(Throwable t) {
    Throwable c =
        t instanceof java.util.concurrent.CompletionException && t.getCause() != null
            ? t.getCause()
            : t;
    return c.getMessage() == null ? c.toString() : c.getMessage();
  }
}
