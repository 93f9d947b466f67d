package io.ringlb.proxy;

import io.netty.buffer.ByteBufUtil;
import io.netty.handler.codec.redis.ArrayRedisMessage;
import io.netty.handler.codec.redis.ErrorRedisMessage;
import io.netty.handler.codec.redis.IntegerRedisMessage;
import io.netty.handler.codec.redis.RedisMessage;
import io.netty.handler.codec.redis.SimpleStringRedisMessage;
import io.netty.util.ReferenceCountUtil;
import io.ringlb.server.CommandHandler;
import io.ringlb.server.DeferredReply;
import io.ringlb.server.Replies;
import io.ringlb.server.Request;
import io.ringlb.server.Session;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Predicate;

/**
 * Commands one client sends to several backends at once, or to one that stands for all: DBSIZE,
 * FLUSHALL/FLUSHDB, SCRIPT and FUNCTION (on every backend, so that EVALSHA and FCALL find them
 * wherever their keys go; KILL too), PUBSUB and COMMAND's descriptions (from one backend), INFO's
 * key counts, RING NODES and STATS, KEYS and RANDOMKEY ({@link ProxyKeys}). The replies come back
 * as plain values ({@link Values}) and are combined into one.
 */
final class FanOut {

  /** Combines one plain-value reply per backend (or a {@link Values.Error}) into the reply. */
  @FunctionalInterface
  interface Gather {
    RedisMessage combine(Backend[] backends, Object[] replies);
  }

  private static final Set<String> DESCRIPTIONS =
      Set.of("", "info", "docs", "getkeys", "getkeysandflags");

  private final Session client;
  private final Worker worker;

  FanOut(Session client, Worker worker) {
    this.client = client;
    this.worker = worker;
  }

  /** Returns the topology this client's requests are routed by now. */
  Topology topology() {
    return worker.topology();
  }

  /** Sends {@code command} to each of {@code targets}; {@code gather} makes the one reply. */
  RedisMessage send(Backend[] targets, Object[] command, Gather gather) {
    Topology t = worker.topology();
    if (targets.length == 0) {
      return gather.combine(targets, new Object[0]);
    }
    DeferredReply slot = client.defer();
    Object[] results = new Object[targets.length];
    int[] remaining = {targets.length};
    worker.begin();
    for (int i = 0; i < targets.length; i++) {
      int index = i;
      targets[i]
          .connection(worker, client.id(), client.protocol() == 3)
          .send(
              command,
              new Pending() {
                @Override
                void complete(RedisMessage reply) {
                  try {
                    results[index] = Values.toValue(reply);
                  } finally {
                    ReferenceCountUtil.release(reply);
                  }
                  done();
                }

                @Override
                void fail(String error) {
                  results[index] = new Values.Error(error);
                  done();
                }

                private void done() {
                  if (--remaining[0] == 0) {
                    RedisMessage combined;
                    try {
                      combined = gather.combine(targets, results);
                    } catch (RuntimeException e) {
                      combined = new ErrorRedisMessage("ERR ringlb: " + e.getMessage());
                    }
                    slot.complete(combined);
                    worker.end(t);
                  }
                }
              });
    }
    return CommandHandler.DEFERRED;
  }

  /**
   * Sends {@code command} to each of {@code targets} one after the other, each once the one before
   * it answered; {@code gather} makes the one reply.
   */
  RedisMessage sendInTurn(Backend[] targets, Object[] command, Gather gather) {
    if (targets.length == 0) {
      return gather.combine(targets, new Object[0]);
    }
    InTurn turns = new InTurn(targets, command, gather, client.defer());
    worker.begin();
    turns.sendNext();
    return CommandHandler.DEFERRED;
  }

  /** The replies of {@link #sendInTurn}, each backend asked once the one before it answered. */
  private final class InTurn extends Pending {
    private final Backend[] targets;
    private final Object[] command;
    private final Gather gather;
    private final DeferredReply slot;
    private final Topology routedBy = worker.topology();
    private final Object[] results;
    private int at;

    InTurn(Backend[] targets, Object[] command, Gather gather, DeferredReply slot) {
      this.targets = targets;
      this.command = command;
      this.gather = gather;
      this.slot = slot;
      this.results = new Object[targets.length];
    }

    void sendNext() {
      targets[at].connection(worker, client.id(), client.protocol() == 3).send(command, this);
    }

    @Override
    void complete(RedisMessage reply) {
      try {
        results[at] = Values.toValue(reply);
      } finally {
        ReferenceCountUtil.release(reply);
      }
      next();
    }

    @Override
    void fail(String error) {
      results[at] = new Values.Error(error);
      next();
    }

    private void next() {
      if (++at < targets.length) {
        sendNext();
        return;
      }
      RedisMessage combined;
      try {
        combined = gather.combine(targets, results);
      } catch (RuntimeException e) {
        combined = new ErrorRedisMessage("ERR ringlb: " + e.getMessage());
      }
      slot.complete(combined);
      worker.end(routedBy);
    }
  }

  /** The backends holding keys now: the ring's serving members and, while migrating, old owners. */
  static Backend[] dataBackends(Topology t) {
    List<Backend> out = new ArrayList<>();
    for (Backend b : t.backends()) {
      if (!b.isEjected()
          && (t.placement().contains(b.id())
              || (t.previous() != null && t.previous().contains(b.id())))) {
        out.add(b);
      }
    }
    return out.toArray(new Backend[0]);
  }

  /** DBSIZE: the sum over the backends holding keys. */
  RedisMessage dbsize() {
    return send(
        dataBackends(worker.topology()),
        new Object[] {"DBSIZE"},
        (bs, replies) -> {
          long total = 0;
          for (Object r : replies) {
            if (r instanceof Values.Error e) {
              return new ErrorRedisMessage(e.text());
            }
            total += (Long) r;
          }
          return new IntegerRedisMessage(total);
        });
  }

  /** FLUSHALL and FLUSHDB, with their options, on every backend holding keys. */
  RedisMessage flush(Request r) {
    return send(dataBackends(worker.topology()), commandOf(r), FanOut::okUnlessError);
  }

  /**
   * SCRIPT LOAD/EXISTS/FLUSH and FUNCTION LOAD/DELETE/FLUSH/RESTORE, run on every backend holding
   * keys so that EVALSHA and FCALL find the script or function whichever backend their keys route
   * to; FUNCTION LIST and DUMP asked of one of them; SCRIPT and FUNCTION KILL ({@link #kill}).
   */
  RedisMessage everywhere(Request r) {
    String name = KeyPositions.lower(r.arg(0));
    String sub = KeyPositions.lower(r.arg(1));
    if (sub.equals("kill")) {
      return kill(r);
    }
    if (name.equals("function") && (sub.equals("list") || sub.equals("dump"))) {
      return askOne(r, null); // every backend holds the same libraries
    }
    boolean exists = name.equals("script") && sub.equals("exists");
    boolean served =
        name.equals("script")
            ? sub.equals("load") || sub.equals("flush") || exists
            : sub.equals("load")
                || sub.equals("delete")
                || sub.equals("flush")
                || sub.equals("restore");
    if (!served) {
      return Replies.error(
          "ERR ringlb: '"
              + name
              + " "
              + sub
              + "' concerns one redis-server;"
              + " run it on the backends directly");
    }
    return send(
        dataBackends(worker.topology()),
        commandOf(r),
        (backends, replies) -> {
          for (Object v : replies) {
            if (v instanceof Values.Error e) {
              return new ErrorRedisMessage(e.text());
            }
          }
          if (replies.length == 0) {
            return new ErrorRedisMessage(Router.NO_BACKEND);
          }
          if (exists) {
            // A script exists when every backend has it.
            List<RedisMessage> all = new ArrayList<>();
            for (int i = 0; i < ((List<?>) replies[0]).size(); i++) {
              long everywhere = 1;
              for (Object v : replies) {
                everywhere = Math.min(everywhere, (Long) ((List<?>) v).get(i));
              }
              all.add(new IntegerRedisMessage(everywhere));
            }
            return new ArrayRedisMessage(all);
          }
          return replies[0] instanceof byte[] bytes
              ? Values.bulk(bytes)
              : new SimpleStringRedisMessage(String.valueOf(replies[0]));
        });
  }

  /**
   * Sends the client's command to one backend holding keys (all hold the same subscriptions,
   * commands and docs); {@code gather} makes the reply, or the backend's reply is passed on.
   */
  RedisMessage askOne(Request r, Gather gather) {
    Backend[] all = dataBackends(worker.topology());
    if (all.length == 0) {
      return Replies.error(Router.NO_BACKEND);
    }
    return send(
        new Backend[] {all[0]},
        commandOf(r),
        gather != null ? gather : (backends, replies) -> Values.toMessage(replies[0]));
  }

  /**
   * COMMAND, COMMAND INFO, DOCS and GETKEYS: asked of a backend, which knows every command's arity,
   * flags, keys and docs, and filtered to the commands the proxy serves ({@code served}).
   */
  RedisMessage describeCommands(Request r, Predicate<byte[]> served) {
    String sub = r.argc() >= 2 ? KeyPositions.lower(r.arg(1)) : "";
    if (!DESCRIPTIONS.contains(sub)) {
      return null;
    }
    boolean named = sub.equals("info") && r.argc() > 2;
    return askOne(
        r,
        (backends, replies) -> {
          Object v = replies[0];
          if (!(v instanceof List<?> items) || sub.startsWith("getkeys")) {
            return Values.toMessage(v);
          }
          List<Object> out = Values.Aggregate.like(items, items.size());
          for (int i = 0; i < items.size(); i++) {
            Object item = items.get(i);
            if (sub.equals("docs")) {
              // name, docs, name, docs...
              if (served.test((byte[]) item)) {
                out.add(item);
                out.add(items.get(i + 1));
              }
              i++;
            } else {
              byte[] name =
                  item instanceof List<?> entry
                      ? (byte[]) entry.get(0)
                      : item instanceof byte[] b ? b : null;
              if (name != null && served.test(name)) {
                out.add(item);
              } else if (named) {
                out.add(null); // COMMAND INFO of a command the proxy does not serve: nil, as Redis
              }
            }
          }
          return Values.toMessage(out);
        });
  }

  /**
   * SCRIPT KILL and FUNCTION KILL: sent to every backend holding keys on its administrative
   * connection, since the script to stop holds up the pooled connection it runs on. OK when one
   * backend stopped a script; otherwise a backend's refusal (UNKILLABLE before NOTBUSY).
   */
  private RedisMessage kill(Request r) {
    if (r.argc() != 2) {
      return Replies.error(Replies.wrongArity(KeyPositions.lower(r.arg(0)) + "|kill"));
    }
    Backend[] all = dataBackends(worker.topology());
    if (all.length == 0) {
      return Replies.error(Router.NO_BACKEND);
    }
    Object[] command = commandOf(r);
    DeferredReply slot = client.defer();
    CompletableFuture<?>[] calls = new CompletableFuture<?>[all.length];
    Object[] replies = new Object[all.length];
    for (int i = 0; i < all.length; i++) {
      int index = i;
      calls[i] =
          all[i]
              .call(command)
              .handle(
                  (v, failure) -> {
                    replies[index] = failure == null ? v : new Values.Error(failure.getMessage());
                    return null;
                  });
    }
    CompletableFuture.allOf(calls).thenRun(() -> slot.complete(combineKill(replies)));
    return CommandHandler.DEFERRED;
  }

  /** OK if one backend stopped a script, else the first refusal that is not NOTBUSY, else that. */
  static RedisMessage combineKill(Object[] replies) {
    Values.Error refusal = null;
    for (Object v : replies) {
      if (!(v instanceof Values.Error e)) {
        return Replies.OK;
      }
      if (refusal == null
          || (refusal.text().startsWith("NOTBUSY") && !e.text().startsWith("NOTBUSY"))) {
        refusal = e;
      }
    }
    return new ErrorRedisMessage(refusal.text());
  }

  private static RedisMessage okUnlessError(Backend[] backends, Object[] replies) {
    for (Object v : replies) {
      if (v instanceof Values.Error e) {
        return new ErrorRedisMessage(e.text());
      }
    }
    return Replies.OK;
  }

  /**
   * Returns a client's command as the arguments {@link Resp#writeCommand} takes, bytes as they are.
   */
  static Object[] commandOf(Request r) {
    Object[] command = new Object[r.argc()];
    for (int i = 0; i < r.argc(); i++) {
      command[i] = ByteBufUtil.getBytes(r.arg(i));
    }
    return command;
  }
}
