package io.ringlb.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.redis.ArrayRedisMessage;
import io.netty.handler.codec.redis.ErrorRedisMessage;
import io.netty.handler.codec.redis.IntegerRedisMessage;
import io.netty.handler.codec.redis.RedisMessage;
import io.netty.handler.codec.redis.SimpleStringRedisMessage;
import io.netty.util.ReferenceCountUtil;
import io.ringlb.proxy.ProxyCommand.Route;
import io.ringlb.server.CommandHandler;
import io.ringlb.server.DeferredReply;
import io.ringlb.server.Replies;
import io.ringlb.server.Request;
import io.ringlb.server.Session;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * MGET, MSET and the key-counting commands (DEL, EXISTS, UNLINK, TOUCH) split by owner: one part
 * per backend holding some of the keys (and, during a migration, one per key that moves, after its
 * move), and one reply assembled from the parts: values in key order, the sum, or OK.
 */
final class SplitCommand {

  private final Worker worker;
  private final Router router;

  SplitCommand(Worker worker, Router router) {
    this.worker = worker;
    this.router = router;
  }

  /** Serves {@code r}, a command of route MGET, COUNT_KEYS or MSET. */
  RedisMessage send(Session client, ProxyCommand command, Request r) {
    Route route = command.route();
    boolean write = CommandFlags.writes(command.spec());
    int argc = r.argc();
    int step = route == Route.MSET ? 2 : 1;
    if (route == Route.MSET && argc % 2 == 0) {
      return Replies.error(Replies.wrongArity(KeyPositions.lower(r.arg(0))));
    }
    Topology t = worker.topology();
    int n = (argc - 1) / step;
    int[] owners = new int[n];
    int[] from = new int[n];
    boolean split = false;
    for (int i = 0; i < n; i++) {
      int h = router.hash(t, r.arg(1 + i * step));
      owners[i] = t.placement().serverFor(h);
      if (owners[i] < 0) {
        return Replies.error(Router.NO_BACKEND);
      }
      from[i] = -1;
      if (t.previous() != null) {
        int before = t.previous().serverFor(h);
        if (before != owners[i] && before >= 0) {
          from[i] = before;
          split = true;
        }
      }
      if (owners[i] != owners[0]) {
        split = true;
      }
    }
    DeferredReply slot = client.defer();
    if (!split) {
      t.backend(owners[0])
          .connection(worker, client.id(), client.protocol() == 3)
          .send(r, new ClientReply(slot, worker, t).write(write));
      return CommandHandler.DEFERRED;
    }
    // Group the keys staying put by owner; each moving key is a part of its own.
    Map<Integer, List<Integer>> groups = new LinkedHashMap<>();
    List<Integer> moving = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      if (from[i] >= 0) {
        moving.add(i);
      } else {
        groups.computeIfAbsent(owners[i], x -> new ArrayList<>()).add(i);
      }
    }
    Gather gather = new Gather(slot, worker, t, route, n, groups.size() + moving.size());
    for (Map.Entry<Integer, List<Integer>> group : groups.entrySet()) {
      int[] keys = group.getValue().stream().mapToInt(Integer::intValue).toArray();
      ByteBuf[] part = part(r, keys, step);
      t.backend(group.getKey())
          .connection(worker, client.id(), client.protocol() == 3)
          .send(part, part.length, gather.part(keys).write(write));
    }
    for (int i : moving) {
      int[] keys = {i};
      ByteBuf[] part = part(r, keys, step);
      ByteBuf encoded = Unpooled.buffer(64);
      Resp.writeCommand(encoded, part, part.length);
      KeyMove.start(
          worker,
          client.id(),
          client.protocol() == 3,
          t,
          t.backend(from[i]),
          t.backend(owners[i]),
          new byte[][] {ByteBufUtil.getBytes(r.arg(1 + i * step))},
          Sender.encoded(encoded, gather.part(keys).write(write)));
    }
    return CommandHandler.DEFERRED;
  }

  /** Returns the command name and the arguments of {@code keys} (not retained). */
  private static ByteBuf[] part(Request r, int[] keys, int step) {
    ByteBuf[] part = new ByteBuf[1 + keys.length * step];
    part[0] = r.arg(0);
    int at = 1;
    for (int i : keys) {
      for (int j = 0; j < step; j++) {
        part[at++] = r.arg(1 + i * step + j);
      }
    }
    return part;
  }

  /** Combines the parts of a split request into one reply. */
  private static final class Gather {
    private final DeferredReply slot;
    private final Worker worker;
    private final Topology topology;
    private final Route route;
    private final RedisMessage[] values;
    private int remaining;
    private long sum;
    private String error;

    Gather(DeferredReply slot, Worker worker, Topology topology, Route route, int keys, int parts) {
      this.slot = slot;
      this.worker = worker;
      this.topology = topology;
      this.route = route;
      this.values = route == Route.MGET ? new RedisMessage[keys] : null;
      this.remaining = parts;
      worker.begin();
    }

    Pending part(int[] keys) {
      return new Pending() {
        @Override
        void complete(RedisMessage reply) {
          try {
            if (reply instanceof ErrorRedisMessage e) {
              recordError(e.content());
            } else if (route == Route.MGET
                && reply instanceof ArrayRedisMessage a
                && a.children().size() == keys.length) {
              for (int j = 0; j < keys.length; j++) {
                values[keys[j]] = ReferenceCountUtil.retain(a.children().get(j));
              }
            } else if (route == Route.COUNT_KEYS && reply instanceof IntegerRedisMessage i) {
              sum += i.value();
            } else if (route == Route.MSET && reply instanceof SimpleStringRedisMessage) {
              // OK
            } else {
              recordError("ERR ringlb: unexpected reply from a backend");
            }
          } finally {
            ReferenceCountUtil.release(reply);
          }
          done();
        }

        @Override
        void fail(String text) {
          recordError(text);
          done();
        }
      };
    }

    private void recordError(String text) {
      if (error == null) {
        error = text;
      }
    }

    private void done() {
      if (--remaining > 0) {
        return;
      }
      RedisMessage reply;
      if (error != null) {
        if (values != null) {
          for (RedisMessage v : values) {
            ReferenceCountUtil.release(v);
          }
        }
        reply = new ErrorRedisMessage(error);
      } else if (route == Route.MGET) {
        reply = new ArrayRedisMessage(Arrays.asList(values));
      } else if (route == Route.COUNT_KEYS) {
        reply = new IntegerRedisMessage(sum);
      } else {
        reply = Replies.OK;
      }
      slot.complete(reply);
      worker.end(topology);
    }
  }
}
