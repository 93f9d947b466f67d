package io.ringlb.proxy;

import io.netty.handler.codec.redis.RedisMessage;
import io.ringlb.server.CommandHandler;
import io.ringlb.server.DeferredReply;
import io.ringlb.server.Replies;
import io.ringlb.server.Request;
import io.ringlb.server.Session;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * The RING command through the proxy: ADD, REMOVE [FORCE] and ABORT handed to the control plane and
 * answered when the change is done, NODES and STATS from the backends' key counts, LOCATE.
 */
final class RingAdmin {

  private RingAdmin() {}

  /** Serves RING {@code r} for {@code client}. */
  static RedisMessage ring(
      Session client, ProxyContext proxy, FanOut fanOut, Router router, Topology t, Request r) {
    String sub = KeyPositions.lower(r.arg(1));
    switch (sub) {
      case "add" -> {
        if (r.argc() != 4) {
          return Replies.error("ERR ringlb: usage: RING ADD <id> <host:port>");
        }
        BackendSpec spec;
        try {
          int id = BackendSpec.parseId(r.string(2), "RING ADD");
          spec = BackendSpec.parse(id, r.string(3), "RING ADD");
        } catch (IllegalArgumentException e) {
          return Replies.error("ERR ringlb: " + e.getMessage());
        }
        return answerLater(client, proxy.ring().ringAdd(spec));
      }
      case "remove" -> {
        boolean force = r.argc() == 4 && r.is(3, "force");
        if (r.argc() != 3 && !force) {
          return Replies.error("ERR ringlb: usage: RING REMOVE <id> [FORCE]");
        }
        int id;
        try {
          id = BackendSpec.parseId(r.string(2), "RING REMOVE");
        } catch (IllegalArgumentException e) {
          return Replies.error("ERR ringlb: " + e.getMessage());
        }
        return answerLater(
            client, force ? proxy.ring().ringRemoveForce(id) : proxy.ring().ringRemove(id));
      }
      case "abort" -> {
        if (r.argc() != 2) {
          return Replies.error("ERR ringlb: usage: RING ABORT");
        }
        return answerLater(client, proxy.ring().ringAbort());
      }
      case "proxies" -> {
        if (r.argc() != 2) {
          return Replies.error("ERR ringlb: usage: RING PROXIES");
        }
        DeferredReply slot = client.defer();
        proxy
            .ring()
            .proxies()
            .whenComplete(
                (text, failure) -> {
                  if (failure == null) {
                    slot.complete(Values.bulk(text));
                  } else {
                    Throwable cause = failure.getCause() != null ? failure.getCause() : failure;
                    slot.fail("ERR ringlb: " + cause.getMessage());
                  }
                });
        return CommandHandler.DEFERRED;
      }
      case "nodes" -> {
        return fanOut.send(
            t.backends(),
            new Object[] {"DBSIZE"},
            (bs, replies) -> Values.bulk(ProxyInfo.nodes(proxy, t, bs, replies)));
      }
      case "stats" -> {
        return fanOut.send(
            t.backends(),
            new Object[] {"DBSIZE"},
            (bs, replies) -> Values.bulk(ProxyInfo.stats(proxy, t, bs, replies)));
      }
      case "locate" -> {
        if (r.argc() != 3) {
          return Replies.error("ERR ringlb: usage: RING LOCATE <key>");
        }
        return Values.bulk(ProxyInfo.locate(t, router.hash(t, r.arg(2))));
      }
      default ->
          // The front end's table knows RING's subcommands and answers any other one itself.
          throw new IllegalStateException("RING " + sub + " is registered but not served");
    }
  }

  /** Answers with the change's OK, or its error, when the control plane is done with it. */
  private static RedisMessage answerLater(Session client, CompletableFuture<String> change) {
    DeferredReply slot = client.defer();
    change.whenComplete(
        (ok, failure) -> {
          if (failure == null) {
            slot.complete(Replies.simple(ok));
          } else {
            Throwable cause =
                failure instanceof CompletionException && failure.getCause() != null
                    ? failure.getCause()
                    : failure;
            String text = cause.getMessage() == null ? cause.toString() : cause.getMessage();
            slot.fail(text.startsWith("ERR ") ? text : "ERR ringlb: " + text);
          }
        });
    return CommandHandler.DEFERRED;
  }
}
