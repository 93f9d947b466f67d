package io.ringlb.server;

import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetric;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import io.netty.handler.codec.redis.RedisMessage;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * INFO: the server, clients, memory, stats and cpu sections every data side shares, then the data
 * side's own lines and sections, gathered asynchronously when the data side needs to; a data side's
 * line replaces the front end's line of the same field.
 */
final class InfoCommand {

  /** The Redis version whose commands and replies this server follows, as INFO reports it. */
  static final String REDIS_COMPATIBLE_VERSION = "7.0.0";

  /**
   * The sections of INFO in the order redis-server writes them; the data side's own sections
   * follow. {@code keyspace} holds the data side's lines only; {@code modules} is empty, as on a
   * redis-server with no module loaded.
   */
  private static final String[] FRONT_SECTIONS = {
    "server",
    "clients",
    "memory",
    "persistence",
    "stats",
    "replication",
    "cpu",
    "modules",
    "commandstats",
    "errorstats",
    "cluster",
    "keyspace"
  };

  /** The sections only {@code INFO all} and {@code INFO everything} show, as in Redis. */
  private static final Set<String> NOT_DEFAULT = Set.of("commandstats");

  /** The replication ID INFO shows: a server with no replica and no master has one all the same. */
  private final String replicationId;

  /** The allocator INFO names: the JVM's garbage-collected heap holds what ringlb keeps. */
  static final String MEM_ALLOCATOR = "jvm";

  private final ServerContext server;

  InfoCommand(ServerContext server) {
    this.server = server;
    this.replicationId = server.runId();
  }

  /** Registers this class's commands in {@code t}. */
  void registerAll(CommandTable t) {
    t.register(CommandSpec.of("info", -1, ""), this::info);
  }

  private RedisMessage info(Session s, Request r) {
    DataSide dataSide = server.dataSide();
    List<String> all = new ArrayList<>(List.of(FRONT_SECTIONS));
    for (String extra : dataSide.infoSections()) {
      if (!all.contains(extra)) {
        all.add(extra);
      }
    }
    Set<String> wanted = new LinkedHashSet<>();
    if (r.argc() == 1) {
      addDefault(all, wanted);
    }
    for (int i = 1; i < r.argc(); i++) {
      String section = r.string(i).toLowerCase(Locale.ROOT);
      switch (section) {
        case "default" -> addDefault(all, wanted);
        case "all", "everything" -> wanted.addAll(all);
        default -> wanted.add(section);
      }
    }
    wanted.retainAll(all);
    CompletableFuture<Map<String, String>> parts = dataSide.info(wanted).toCompletableFuture();
    if (parts.isDone() && !parts.isCompletedExceptionally()) {
      return Replies.verbatim(s.alloc(), infoText(all, wanted, parts.join(), s.alloc()));
    }
    DeferredReply slot = s.defer();
    ByteBufAllocator alloc = s.alloc();
    parts.whenComplete(
        (lines, failure) -> {
          if (failure != null) {
            Throwable cause = failure.getCause() != null ? failure.getCause() : failure;
            slot.fail("ERR ringlb: INFO failed: " + cause.getMessage());
          } else {
            slot.complete(Replies.verbatim(alloc, infoText(all, wanted, lines, alloc)));
          }
        });
    return CommandHandler.DEFERRED;
  }

  /** Adds what {@code INFO} alone and {@code INFO default} show: all but {@link #NOT_DEFAULT}. */
  private static void addDefault(List<String> all, Set<String> wanted) {
    for (String section : all) {
      if (!NOT_DEFAULT.contains(section)) {
        wanted.add(section);
      }
    }
  }

  private String infoText(
      List<String> all, Set<String> wanted, Map<String, String> lines, ByteBufAllocator alloc) {
    StringBuilder out = new StringBuilder();
    for (String section : all) {
      if (!wanted.contains(section)) {
        continue;
      }
      if (out.length() > 0) {
        out.append("\r\n");
      }
      out.append("# ").append(title(section)).append("\r\n");
      StringBuilder front = new StringBuilder();
      frontSection(section, front, alloc);
      merge(front, lines.get(section), out);
    }
    return out.toString();
  }

  /** Returns a section's heading as Redis writes it: {@code Server}, {@code CPU}. */
  private static String title(String section) {
    return switch (section) {
      case "cpu" -> "CPU";
      case "commandstats" -> "Commandstats";
      case "errorstats" -> "Errorstats";
      default -> Character.toUpperCase(section.charAt(0)) + section.substring(1);
    };
  }

  /**
   * Appends the front end's lines of a section, each replaced in place by the data side's line of
   * the same field when it has one (the proxy's {@code redis_version} is its backends'), then the
   * data side's other lines.
   */
  private static void merge(StringBuilder front, String dataSide, StringBuilder out) {
    if (dataSide == null || dataSide.isEmpty()) {
      out.append(front);
      return;
    }
    Map<String, String> theirs = new java.util.LinkedHashMap<>();
    for (String line : dataSide.split("\r\n")) {
      int colon = line.indexOf(':');
      theirs.put(colon > 0 ? line.substring(0, colon) : line, line);
    }
    for (String line : front.toString().split("\r\n")) {
      if (line.isEmpty()) {
        continue;
      }
      String replacement = theirs.remove(line.substring(0, Math.max(0, line.indexOf(':'))));
      out.append(replacement != null ? replacement : line).append("\r\n");
    }
    theirs.values().forEach(line -> out.append(line).append("\r\n"));
  }

  private void frontSection(String section, StringBuilder out, ByteBufAllocator alloc) {
    Runtime rt = Runtime.getRuntime();
    switch (section) {
      case "server" -> {
        long uptime = (System.currentTimeMillis() - server.startMillis()) / 1000;
        field(out, "redis_version", REDIS_COMPATIBLE_VERSION);
        field(out, "ringlb_version", RespServer.VERSION);
        field(out, "ringlb_mode", server.dataSide().mode());
        field(out, "redis_mode", "standalone");
        field(
            out,
            "os",
            System.getProperty("os.name")
                + " "
                + System.getProperty("os.version")
                + " "
                + System.getProperty("os.arch"));
        field(out, "arch_bits", "64");
        field(out, "multiplexing_api", server.transport());
        field(out, "java_version", System.getProperty("java.version"));
        field(out, "process_id", Long.toString(ProcessHandle.current().pid()));
        field(out, "run_id", server.runId());
        field(out, "tcp_port", Integer.toString(server.port()));
        field(out, "uptime_in_seconds", Long.toString(uptime));
        field(out, "uptime_in_days", Long.toString(uptime / 86400));
        field(out, "io_threads_active", Integer.toString(server.config().ioThreads()));
      }
      case "clients" -> {
        field(out, "connected_clients", Integer.toString(server.connectedClients()));
        field(out, "maxclients", Integer.toString(server.config().maxClients()));
        field(out, "blocked_clients", Integer.toString(server.dataSide().blockedClients()));
      }
      case "memory" -> {
        long used = rt.totalMemory() - rt.freeMemory();
        field(out, "used_memory", Long.toString(used));
        field(out, "used_memory_human", human(used));
        field(out, "used_memory_heap_committed", Long.toString(rt.totalMemory()));
        field(out, "used_memory_heap_max", Long.toString(rt.maxMemory()));
        field(out, "mem_allocator", MEM_ALLOCATOR);
        field(out, "maxmemory", "0");
        field(out, "maxmemory_policy", "noeviction");
        ClientMemory clients = server.clientMemory();
        field(out, "mem_clients_normal", Long.toString(clients.total()));
        field(out, "maxmemory_clients", Long.toString(clients.limit()));
        field(out, "used_memory_direct", Long.toString(directMemoryUsed()));
        field(
            out,
            "used_memory_direct_max",
            Long.toString(io.netty.util.internal.PlatformDependent.maxDirectMemory()));
        if (alloc instanceof ByteBufAllocatorMetricProvider pooled) {
          ByteBufAllocatorMetric metric = pooled.metric();
          field(out, "allocator_direct", Long.toString(metric.usedDirectMemory()));
          field(out, "allocator_heap", Long.toString(metric.usedHeapMemory()));
        }
      }
      case "stats" -> {
        field(out, "total_connections_received", Long.toString(server.totalConnectionsReceived()));
        field(out, "total_commands_processed", Long.toString(server.totalCommandsProcessed()));
        field(out, "instantaneous_ops_per_sec", Long.toString(server.instantaneousOpsPerSecond()));
        field(out, "rejected_connections", Long.toString(server.rejectedConnections()));
        field(out, "evicted_clients", Long.toString(server.clientMemory().evictions()));
        AuthThrottle throttle = server.authThrottle();
        field(
            out,
            "total_error_replies",
            Long.toString(InfoStats.totalErrorReplies(server.commands())));
        field(out, "acl_access_denied_auth", Long.toString(throttle.failures()));
        field(out, "acl_access_denied_cmd", Long.toString(server.commands().deniedCommands()));
        field(out, "auth_failures_delayed", Long.toString(throttle.delayed()));
        field(out, "auth_failure_addresses", Integer.toString(throttle.trackedAddresses()));
        field(
            out, "jvm_uptime_ms", Long.toString(ManagementFactory.getRuntimeMXBean().getUptime()));
      }
      case "cpu" -> CpuTimes.appendTo(out);
      case "persistence" -> {
        field(out, "loading", "0");
        field(out, "async_loading", "0");
      }
      case "replication" -> {
        field(out, "role", "master");
        field(out, "connected_slaves", "0");
        field(out, "master_failover_state", "no-failover");
        field(out, "master_replid", replicationId);
        field(out, "master_replid2", "0000000000000000000000000000000000000000");
        field(out, "master_repl_offset", "0");
        field(out, "second_repl_offset", "-1");
        field(out, "repl_backlog_active", "0");
        field(out, "repl_backlog_size", "1048576");
        field(out, "repl_backlog_first_byte_offset", "0");
        field(out, "repl_backlog_histlen", "0");
      }
      case "commandstats" -> InfoStats.commandStats(server.commands(), out);
      case "errorstats" -> InfoStats.errorStats(server.commands(), out);
      case "cluster" -> field(out, "cluster_enabled", "0");
      default -> {}
    }
  }

  /** Returns the bytes of the JVM's direct buffers, the buffer pool's chunks among them. */
  private static long directMemoryUsed() {
    for (BufferPoolMXBean pool : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)) {
      if (pool.getName().equals("direct")) {
        return pool.getMemoryUsed();
      }
    }
    return -1;
  }

  private static void field(StringBuilder out, String name, String value) {
    out.append(name).append(':').append(value).append("\r\n");
  }

  static String human(long bytes) {
    if (bytes < 1024) {
      return bytes + "B";
    }
    String units = "KMGTP";
    double v = bytes;
    int u = -1;
    while (v >= 1024 && u < units.length() - 1) {
      v /= 1024;
      u++;
    }
    return String.format(Locale.ROOT, "%.2f%c", v, units.charAt(u));
  }
}
