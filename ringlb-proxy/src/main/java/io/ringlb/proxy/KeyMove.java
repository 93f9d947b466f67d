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
 * old copy is gone, so no later copy can overwrite it. A key already on the new owner (BUSYKEY) was
 * written there after the move began and is the newer: the old copy is deleted instead.
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

  private boolean deleting;

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
   * lets {@code then} send to {@code to}.
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
    deleting = false;
    List<Object> args = Migration.migrateArgs(worker.upstream(), to, keys[next]);
    from.connection(worker, client).send(args.toArray(), this);
  }

  @Override
  void complete(RedisMessage reply) {
    try {
      if (!deleting && reply instanceof ErrorRedisMessage e && e.content().contains("BUSYKEY")) {
        deleting = true;
        from.connection(worker, client).send(new Object[] {"DEL", keys[next]}, this);
        return;
      }
      if (reply instanceof ErrorRedisMessage e) {
        fail(
            "ERR ringlb: could not move the key from "
                + from.describe()
                + " to "
                + to.describe()
                + ": "
                + e.content());
        return;
      }
      if (!deleting && reply instanceof SimpleStringRedisMessage s && "OK".equals(s.content())) {
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

  @Override
  void fail(String error) {
    then.fail(error);
  }
}
