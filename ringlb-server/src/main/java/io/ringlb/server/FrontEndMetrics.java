package io.ringlb.server;

import io.netty.channel.Channel;
import io.netty.channel.ChannelOutboundBuffer;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.Unit;

/**
 * The front end's connection, login and memory metrics: gauges and counters read from the {@link
 * ServerContext} when {@code /metrics} is scraped, so they cost nothing per command.
 */
final class FrontEndMetrics {

  private FrontEndMetrics() {}

  /** Registers the metrics of {@code server} in {@code registry}. */
  static void register(PrometheusRegistry registry, ServerContext server) {
    GaugeWithCallback.builder()
        .name("ringlb_build_info")
        .help("1, labelled with ringlb's version and the data side (embedded or proxy)")
        .labelNames("version", "mode")
        .callback(cb -> cb.call(1, RespServer.VERSION, server.dataSide().mode()))
        .register(registry);
    GaugeWithCallback.builder()
        .name("ringlb_connected_clients")
        .help("Client connections open now (INFO connected_clients)")
        .callback(cb -> cb.call(server.connectedClients()))
        .register(registry);
    CounterWithCallback.builder()
        .name("ringlb_connections_received_total")
        .help("Client connections accepted since start (INFO total_connections_received)")
        .callback(cb -> cb.call(server.totalConnectionsReceived()))
        .register(registry);
    CounterWithCallback.builder()
        .name("ringlb_rejected_connections_total")
        .help("Client connections refused over maxclients (INFO rejected_connections)")
        .callback(cb -> cb.call(server.rejectedConnections()))
        .register(registry);
    GaugeWithCallback.builder()
        .name("ringlb_unread_reply_bytes")
        .help("Bytes of replies written to client connections and not yet read by the clients")
        .unit(Unit.BYTES)
        .callback(cb -> cb.call(unreadReplyBytes(server)))
        .register(registry);
    CounterWithCallback.builder()
        .name("ringlb_auth_failures_total")
        .help("Failed logins, RESP and HTTP (INFO acl_access_denied_auth)")
        .callback(cb -> cb.call(server.authThrottle().failures()))
        .register(registry);
    CounterWithCallback.builder()
        .name("ringlb_denied_commands_total")
        .help("Commands refused with NOPERM (INFO acl_access_denied_cmd)")
        .callback(cb -> cb.call(server.commands().deniedCommands()))
        .register(registry);
    GaugeWithCallback.builder()
        .name("ringlb_jvm_heap_used_bytes")
        .help("Heap in use by the JVM (INFO used_memory)")
        .unit(Unit.BYTES)
        .callback(
            cb -> {
              Runtime rt = Runtime.getRuntime();
              cb.call(rt.totalMemory() - rt.freeMemory());
            })
        .register(registry);
    GaugeWithCallback.builder()
        .name("ringlb_jvm_heap_max_bytes")
        .help("The most heap the JVM may use (INFO used_memory_heap_max)")
        .unit(Unit.BYTES)
        .callback(cb -> cb.call(Runtime.getRuntime().maxMemory()))
        .register(registry);
  }

  /** Returns the bytes queued in the client connections' outbound buffers, summed. */
  static long unreadReplyBytes(ServerContext server) {
    long total = 0;
    for (Channel ch : server.channels()) {
      ChannelOutboundBuffer out = ch.unsafe().outboundBuffer();
      if (out != null) {
        total += out.totalPendingWriteBytes();
      }
    }
    return total;
  }
}
