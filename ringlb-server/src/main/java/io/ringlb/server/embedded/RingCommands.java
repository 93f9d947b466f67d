package io.ringlb.server.embedded;

import io.netty.handler.codec.redis.RedisMessage;
import io.ringlb.core.HashRing;
import io.ringlb.core.HashTag;
import io.ringlb.core.LoadBalancer;
import io.ringlb.core.Placement;
import io.ringlb.server.CommandException;
import io.ringlb.server.CommandRegistry;
import io.ringlb.server.CommandSpec;
import io.ringlb.server.Replies;
import io.ringlb.server.Request;
import io.ringlb.server.Session;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.locks.ReentrantLock;

/**
 * {@code RING ADD id [weight]}, {@code RING REMOVE id}, {@code RING NODES}, {@code RING LOCATE
 * key}, {@code RING STATS}: the topology of the embedded balancer, changed live under the keyspace
 * lock.
 */
final class RingCommands {

  private final Keyspace keyspace;
  private final ReentrantLock lock;

  private RingCommands(Keyspace keyspace) {
    this.keyspace = keyspace;
    this.lock = keyspace.lock();
  }

  static void register(CommandRegistry r, Keyspace keyspace) {
    RingCommands ring = new RingCommands(keyspace);
    r.register(
        CommandSpec.of("ring", -2, "admin"),
        (s, q) -> {
          throw CommandException.syntax(); // a bare RING fails the arity check first
        });
    r.registerSubcommand("ring", CommandSpec.of("add", -3, "admin"), ring::add);
    r.registerSubcommand("ring", CommandSpec.of("remove", 3, "admin"), ring::remove);
    r.registerSubcommand("ring", CommandSpec.of("nodes", 2, "admin"), ring::nodes);
    r.registerSubcommand("ring", CommandSpec.of("locate", 3, "readonly", 2, 2, 1), ring::locate);
    r.registerSubcommand("ring", CommandSpec.of("stats", 2, "admin"), ring::stats);
  }

  private static int serverId(Request q, int i) {
    long id;
    try {
      id = q.longValue(i);
    } catch (CommandException e) {
      throw new CommandException("ERR server id is not an integer: " + q.string(i));
    }
    if (id < 0 || id > LoadBalancer.MAX_SERVER_ID) {
      throw new CommandException(
          "ERR server id must be between 0 and " + LoadBalancer.MAX_SERVER_ID + ": " + id);
    }
    return (int) id;
  }

  private RedisMessage add(Session s, Request q) {
    if (q.argc() > 4) {
      throw CommandException.syntax();
    }
    int id = serverId(q, 2);
    int weight = 1;
    if (q.argc() == 4) {
      long w = q.longValue(3);
      if (w < 1 || w > 1_000_000) {
        throw new CommandException("ERR weight must be between 1 and 1000000: " + w);
      }
      weight = (int) w;
    }
    lock.lock();
    try {
      long start = System.nanoTime();
      long moved = keyspace.balancer().addServer(id, weight);
      changed("add", id, moved, start);
      keyspace.ringAdds++;
      return Replies.integer(moved);
    } catch (IllegalArgumentException | IllegalStateException | UnsupportedOperationException e) {
      throw new CommandException("ERR " + e.getMessage());
    } finally {
      lock.unlock();
    }
  }

  private RedisMessage remove(Session s, Request q) {
    int id = serverId(q, 2);
    lock.lock();
    try {
      long start = System.nanoTime();
      long moved = keyspace.balancer().removeServer(id);
      changed("remove", id, moved, start);
      keyspace.ringRemoves++;
      return Replies.integer(moved);
    } catch (IllegalArgumentException | IllegalStateException | UnsupportedOperationException e) {
      throw new CommandException("ERR " + e.getMessage());
    } finally {
      lock.unlock();
    }
  }

  private void changed(String kind, int server, long moved, long startNanos) {
    keyspace.lastChangeKind = kind;
    keyspace.lastChangeServer = server;
    keyspace.keysMovedTotal += moved;
    keyspace.lastChangeKeysMoved = moved;
    keyspace.lastChangeMicros = (System.nanoTime() - startNanos) / 1000;
  }

  private RedisMessage nodes(Session s, Request q) {
    StringBuilder out = new StringBuilder();
    lock.lock();
    try {
      LoadBalancer lb = keyspace.balancer();
      long total = lb.size();
      for (int id : lb.servers()) {
        int keys = lb.keys(id);
        out.append("id=")
            .append(id)
            .append(" labels=")
            .append(lb.placement().points(id))
            .append(" keys=")
            .append(keys)
            .append(" keys_share=")
            .append(fraction(total == 0 ? 0 : (double) keys / total))
            .append(" ring_share=")
            .append(fraction(lb.placement().share(id)))
            .append('\n');
      }
    } finally {
      lock.unlock();
    }
    return Replies.bulk(s.alloc(), out.toString());
  }

  private RedisMessage locate(Session s, Request q) {
    byte[] key = q.bytes(2);
    List<RedisMessage> out = new ArrayList<>();
    lock.lock();
    try {
      Placement p = keyspace.balancer().placement();
      int hash = p.hashKey(key, 0, key.length);
      out.add(Replies.bulk(s.alloc(), "hash"));
      out.add(Replies.integer(hash & 0xFFFF_FFFFL));
      if (HashTag.unwrap(p) instanceof HashRing ring && ring.labelCount() > 0) {
        int label = ring.labelIndexFor(hash);
        out.add(Replies.bulk(s.alloc(), "label_index"));
        out.add(Replies.integer(label));
        out.add(Replies.bulk(s.alloc(), "label_position"));
        out.add(Replies.integer(ring.positionAt(label) & 0xFFFF_FFFFL));
      }
      out.add(Replies.bulk(s.alloc(), "server"));
      out.add(Replies.integer(p.serverFor(hash)));
    } finally {
      lock.unlock();
    }
    return Replies.array(out);
  }

  private RedisMessage stats(Session s, Request q) {
    StringBuilder out = new StringBuilder();
    lock.lock();
    try {
      info(keyspace, out);
      LoadBalancer lb = keyspace.balancer();
      int[] servers = lb.servers();
      long max = 0;
      long total = 0;
      for (int id : servers) {
        max = Math.max(max, lb.keys(id));
        total += lb.keys(id);
      }
      double mean = servers.length == 0 ? 0 : (double) total / servers.length;
      double var = 0;
      for (int id : servers) {
        var += (lb.keys(id) - mean) * (lb.keys(id) - mean);
      }
      out.append("ring_keys_max_per_server:").append(max).append("\r\n");
      out.append("ring_keys_mean_per_server:").append(fraction(mean)).append("\r\n");
      out.append("ring_keys_stddev:")
          .append(fraction(servers.length == 0 ? 0 : Math.sqrt(var / servers.length)))
          .append("\r\n");
      out.append("ring_peak_to_average:")
          .append(fraction(mean == 0 ? 0 : max / mean))
          .append("\r\n");
      out.append("ring_adds:").append(keyspace.ringAdds).append("\r\n");
      out.append("ring_removes:").append(keyspace.ringRemoves).append("\r\n");
      out.append("ring_keys_moved_total:").append(keyspace.keysMovedTotal).append("\r\n");
      out.append("ring_last_change_keys_moved:")
          .append(keyspace.lastChangeKeysMoved)
          .append("\r\n");
      out.append("ring_last_change_us:").append(keyspace.lastChangeMicros).append("\r\n");
    } finally {
      lock.unlock();
    }
    return Replies.bulk(s.alloc(), out.toString());
  }

  /** Appends INFO's ring section; lock held. */
  static void info(Keyspace keyspace, StringBuilder out) {
    LoadBalancer lb = keyspace.balancer();
    Placement p = lb.placement();
    int labels = 0;
    for (int id : lb.servers()) {
      labels += p.points(id);
    }
    long total = lb.size();
    out.append("ring_placement:").append(p.name()).append("\r\n");
    HashTag tag = HashTag.tagOf(p);
    out.append("ring_hash_tag:").append(tag == null ? "none" : tag.toString()).append("\r\n");
    out.append("ring_servers:").append(p.size()).append("\r\n");
    out.append("ring_labels:").append(labels).append("\r\n");
    out.append("ring_epoch:").append(epoch(keyspace)).append("\r\n");
    out.append("ring_keys:").append(total).append("\r\n");
    for (int id : lb.servers()) {
      int keys = lb.keys(id);
      out.append("server")
          .append(id)
          .append(":labels=")
          .append(p.points(id))
          .append(",keys=")
          .append(keys)
          .append(",keys_share=")
          .append(fraction(total == 0 ? 0 : (double) keys / total))
          .append(",ring_share=")
          .append(fraction(p.share(id)))
          .append("\r\n");
    }
  }

  /** Returns the ring's epoch: 1, plus one for every RING ADD and RING REMOVE; lock held. */
  static long epoch(Keyspace keyspace) {
    return 1 + keyspace.ringAdds + keyspace.ringRemoves;
  }

  private static String fraction(double v) {
    return String.format(Locale.ROOT, "%.4f", v);
  }
}
