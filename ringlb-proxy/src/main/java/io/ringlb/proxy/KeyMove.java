package io.ringlb.proxy;

import io.netty.handler.codec.redis.ErrorRedisMessage;
import io.netty.handler.codec.redis.RedisMessage;
import io.netty.handler.codec.redis.SimpleStringRedisMessage;
import io.netty.util.ReferenceCountUtil;
import java.util.List;

/**
 * The per-key move of a request during a migration: its keys are moved one by one from their old
 * owner to the new one with MIGRATE (no REPLACE), then the request is sent to the new owner.
 *
 * <p>A read therefore finds the key wherever it was, and a write lands on the new owner after the
 * old copy is gone, so no later copy can overwrite it. A key on both (BUSYKEY) has its newest copy
 * on the owner before the change, as no request reaches the new owner while the old one holds the
 * key: that copy replaces the other one (MIGRATE REPLACE), or, when the migration undoes an aborted
 * change, the old owner is the target and the source's copy is deleted.
 *
 * <p>When the old owner holds every key but cannot hand them over ({@code IOERR}: the new owner is
 * unreachable), the request is served by the old owner, which holds the newest copy; the keys move
 * later with the migration. See {@code docs/ARCHITECTURE.md}.
 */
final class KeyMove extends Pending {

  private final Worker worker;
  private final long client;
  private final Topology topology;
  private final Backend from;
  private final Backend to;
  private final byte[][] keys;

  /** Sends the client's request to the new owner once the keys moved. */
  private final Sender then;

  /** The key being moved. */
  private int next;

  /** Whether the reply awaited is that of the DEL or MIGRATE REPLACE resolving a BUSYKEY. */
  private boolean resolving;

  /** The keys, from the first, that the old owner holds but could not hand over. */
  private int stayed;

  /** The old owner's error for the first key that stayed. */
  private String unreachable;

  private KeyMove(
      Worker worker,
      long client,
      Topology topology,
      Backend from,
      Backend to,
      byte[][] keys,
      Sender then) {
    this.worker = worker;
    this.client = client;
    this.topology = topology;
    this.from = from;
    this.to = to;
    this.keys = keys;
    this.then = then;
  }

  /**
   * Moves {@code keys} from {@code from} to {@code to} on the connections of {@code client}, then
   * lets {@code then} send to {@code to} (or to {@code from} when none could be moved, see above).
   */
  static void start(
      Worker worker,
      long client,
      Topology topology,
      Backend from,
      Backend to,
      byte[][] keys,
      Sender then) {
    new KeyMove(worker, client, topology, from, to, keys, then).moveNext();
  }

  private void moveNext() {
    resolving = false;
    List<Object> args = Migration.migrateArgs(worker.upstream(), to, keys[next]);
    from.connection(worker, client).send(args.toArray(), this);
  }

  /** Resolves a BUSYKEY: the copy on the owner before the change wins. */
  private void resolve() {
    resolving = true;
    Migration m = topology.migration();
    Object[] args;
    if (m != null && m.undoing()) {
      args = new Object[] {"DEL", keys[next]};
    } else {
      List<Object> replace = Migration.migrateArgs(worker.upstream(), to, keys[next]);
      replace.add("REPLACE");
      args = replace.toArray();
    }
    from.connection(worker, client).send(args, this);
  }

  @Override
  void complete(RedisMessage reply) {
    try {
      if (!resolving && reply instanceof ErrorRedisMessage e && e.content().contains("BUSYKEY")) {
        resolve();
        return;
      }
      if (reply instanceof ErrorRedisMessage e) {
        if (!resolving && e.content().startsWith("IOERR") && stayed == next && !then.pinned()) {
          // The old owner holds this key and cannot reach the new owner: it stays there.
          if (stayed++ == 0) {
            unreachable = e.content();
          }
          if (++next < keys.length) {
            moveNext();
            return;
          }
          Migration m = topology.migration();
          if (m != null) {
            m.countServedByOldOwner();
          }
          then.sendTo(from.connection(worker, client));
          return;
        }
        fail(cannotMove(stayed > 0 ? unreachable : e.content()));
        return;
      }
      if (stayed > 0) {
        // An earlier key stayed on the old owner and this one is on the new owner: no backend
        // holds them all.
        fail(cannotMove(unreachable));
        return;
      }
      if (!resolving && reply instanceof SimpleStringRedisMessage s && "OK".equals(s.content())) {
        Migration m = topology.migration();
        if (m != null) {
          m.countClientMove();
        }
      }
      if (++next < keys.length) {
        moveNext();
        return;
      }
      then.sendTo(to.connection(worker, client));
    } finally {
      ReferenceCountUtil.release(reply);
    }
  }

  private String cannotMove(String error) {
    return "ERR ringlb: could not move the key from "
        + from.describe()
        + " to "
        + to.describe()
        + ": "
        + error;
  }

  @Override
  void fail(String error) {
    then.fail(error);
  }
}
