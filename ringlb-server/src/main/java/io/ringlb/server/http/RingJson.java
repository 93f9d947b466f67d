package io.ringlb.server.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ringlb.server.RingView;

/**
 * {@code GET /api/ring}: the front end's figures and the data side's {@link RingView} as one JSON
 * document, the dashboard's only source; its fields are listed in the README.
 */
final class RingJson {

  private static final ObjectMapper MAPPER = new ObjectMapper();

  private RingJson() {}

  /** Returns the document for {@code status} and {@code view}, as UTF-8 bytes. */
  static byte[] of(Monitored.Status status, RingView view) {
    ObjectNode root = MAPPER.createObjectNode();
    root.put("mode", view.mode())
        .put("version", status.version())
        .put("uptime_seconds", status.uptimeSeconds())
        .put("time_ms", System.currentTimeMillis())
        .put("placement", view.placement())
        .put("hash_tag", view.hashTag())
        .put("epoch", view.epoch())
        .put("ready", view.ready())
        .put("keys", view.keys())
        .put("keys_moved_total", view.keysMovedTotal())
        .put("migrations_completed", view.migrationsCompleted());
    root.putObject("clients")
        .put("connected", status.connectedClients())
        .put("commands_processed", status.commandsProcessed())
        .put("ops_per_second", status.opsPerSecond())
        .put("unread_reply_bytes", status.unreadReplyBytes());
    long keys = view.keys();
    ArrayNode servers = root.putArray("servers");
    for (RingView.Server s : view.servers()) {
      ObjectNode n = servers.addObject();
      n.put("id", s.id())
          .put("address", s.address())
          .put("state", s.state())
          .put("routed", s.routed())
          .put("reachable", s.reachable())
          .put("labels", s.labels())
          .put("keys", s.keys())
          .put("keys_share", keys == 0 || s.keys() < 0 ? 0 : (double) s.keys() / keys)
          .put("ring_share", s.ringShare())
          .put("memory_bytes", s.memoryBytes())
          .put("error", s.error());
      RingView.BackendCounters b = s.backend();
      if (b == null) {
        n.putNull("backend");
      } else {
        n.putObject("backend")
            .put("requests", b.requests())
            .put("error_replies", b.errorReplies())
            .put("failures", b.failures())
            .put("timeouts", b.timeouts())
            .put("ejections", b.ejections())
            .put("up", b.up());
      }
    }
    ArrayNode arcs = root.putArray("arcs");
    for (RingView.Arc a : view.arcs()) {
      arcs.addObject().put("server", a.server()).put("start", a.start()).put("end", a.end());
    }
    migration(root, "migration", view.migration());
    migration(root, "last_migration", view.lastMigration());
    try {
      return MAPPER.writeValueAsBytes(root);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a tree of plain values always writes", e);
    }
  }

  private static void migration(ObjectNode root, String field, RingView.Migration m) {
    if (m == null) {
      root.putNull(field);
      return;
    }
    root.putObject(field)
        .put("kind", m.kind())
        .put("server", m.server())
        .put("address", m.address())
        .put("state", m.state())
        .put("keys_moved", m.keysMoved())
        .put("keys_left", m.keysLeft())
        .put("progress", m.progress())
        .put("rate_keys_per_second", m.rate())
        .put("seconds", m.seconds())
        .put("error", m.error());
  }
}
