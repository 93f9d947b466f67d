package io.ringlb.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.redis.RedisMessage;
import io.ringlb.core.HashTag;
import io.ringlb.server.CommandHandler;
import io.ringlb.server.DeferredReply;
import io.ringlb.server.Replies;
import io.ringlb.server.Request;
import io.ringlb.server.Session;

/**
 * Routes a client's command to the backend owning its keys, on one I/O thread: hashes the keys,
 * finds the owner in the worker's topology, and during a migration moves the keys whose owner
 * changes before sending ({@link KeyMove}).
 */
final class Router {

  private static final int[] FIRST_ARGUMENT = {1};

  /**
   * Read-only commands of one key that read-from never sends to a replica: a script or function the
   * proxy loads through the primaries.
   */
  private static final java.util.Set<String> PRIMARY_READS =
      java.util.Set.of("eval_ro", "evalsha_ro", "fcall_ro");

  private final Worker worker;

  /** Scratch space for hashing keys without allocating. */
  private byte[] scratch = new byte[256];

  /** The backends this client wrote through the proxy: it reads them from their primaries. */
  private java.util.BitSet wrote;

  /** This client ran a write not routed by one key (MSET, DEL, EXEC...): reads from primaries. */
  private boolean wroteEverywhere;

  Router(Worker worker) {
    this.worker = worker;
  }

  /**
   * This client ran a write that may touch any shard: its reads go to primaries from now on, so it
   * reads its own writes.
   */
  void wroteEverywhere() {
    wroteEverywhere = true;
  }

  /** Returns the routing hash of {@code key} in topology {@code t}. */
  int hash(Topology t, ByteBuf key) {
    int len = key.readableBytes();
    if (key.hasArray()) {
      return t.placement().hashKey(key.array(), key.arrayOffset() + key.readerIndex(), len);
    }
    if (scratch.length < len) {
      scratch = new byte[Math.max(len, scratch.length * 2)];
    }
    key.getBytes(key.readerIndex(), scratch, 0, len);
    return t.placement().hashKey(scratch, 0, len);
  }

  /** A command of one key, its first argument: sent to the key's owner. */
  RedisMessage key(Session client, ProxyCommand command, Request r) {
    Topology t = worker.topology();
    return sendToOwner(
        client,
        t,
        hash(t, r.arg(1)),
        r,
        FIRST_ARGUMENT,
        CommandFlags.writes(command.spec()),
        command);
  }

  /**
   * A command whose keys must be routed as one (a hash tag): sent whole to their owner, or refused
   * with the reason.
   */
  RedisMessage sameSlot(Session client, HashTag tag, ProxyCommand command, Request r) {
    String name = command.name();
    int[] keys = command.keys().find(r);
    if (keys == null && command.keys().first() == 2 && r.argc() >= 2) {
      // MEMORY STATS, OBJECT HELP...: no key to route by
      return Replies.error(
          "ERR ringlb: '"
              + name
              + " "
              + KeyPositions.lower(r.arg(1))
              + "' concerns one redis-server; run it on the backends directly");
    }
    if (keys == null) {
      KeyPositions p = command.keys();
      if (p.numkeys() > 0) {
        // A script given no key never comes here: it runs on a connection of its own
        // (KeylessScript). A count of keys redis-server refuses (0, negative, more than the
        // arguments): any
        // backend answers with redis-server's own error, and runs nothing.
        return sendToAny(client, r);
      }
      return Replies.error(
          p.parser() == KeyPositions.Parser.STREAMS
              ? "ERR ringlb: '"
                  + name
                  + "' needs STREAMS and as many keys as ids after its"
                  + " options (the proxy routes the command by its keys)"
              : Replies.wrongArity(name));
    }
    Topology t = worker.topology();
    int h = hash(t, r.arg(keys[0]));
    for (int i = 1; i < keys.length; i++) {
      if (hash(t, r.arg(keys[i])) != h) {
        return Replies.error(crossSlot(name, tag));
      }
    }
    return sendToOwner(client, t, h, r, keys, CommandFlags.writes(command.spec()), command);
  }

  /** The error of command {@code name} given keys that are not routed as one. */
  static String crossSlot(String name, HashTag tag) {
    return "CROSSSLOT ringlb: the keys of '"
        + name
        + "' are not routed as one, so they may live on different backends; "
        + tagHint(tag);
  }

  /** Returns how to route keys as one under the proxy's hash tag, for CROSSSLOT errors. */
  static String tagHint(HashTag tag) {
    if (tag == null) {
      return "hash tags are off (hash-tag: none), so only one key can be used";
    }
    String user = tag.toString().charAt(0) + "user1" + tag.toString().charAt(1);
    return "give them one hash tag, as in " + user + ".a and " + user + ".b";
  }

  /**
   * Sends a client's command to the owner of routing hash {@code h}. While a migration moves {@code
   * h}, the command's keys (the arguments at {@code keys}) are moved to the new owner first; {@code
   * write} says whether it may change data. A read of one key may go to a replica ({@link
   * #toReplica}).
   */
  RedisMessage sendToOwner(
      Session client,
      Topology t,
      int h,
      Request r,
      int[] keys,
      boolean write,
      ProxyCommand command) {
    int owner = t.placement().serverFor(h);
    if (owner < 0) {
      return Replies.error(NO_BACKEND);
    }
    Backend target = t.backend(owner);
    DeferredReply slot = client.defer();
    ClientReply reply = new ClientReply(slot, worker, t);
    reply.write(write);
    if (t.previous() != null) {
      int before = t.previous().serverFor(h);
      if (before != owner && before >= 0) {
        byte[][] moving = new byte[keys.length][];
        for (int i = 0; i < keys.length; i++) {
          moving[i] = ByteBufUtil.getBytes(r.arg(keys[i]));
        }
        KeyMove.start(
            worker,
            client.id(),
            client.protocol() == 3,
            t,
            t.backend(before),
            target,
            moving,
            Sender.encoded(encode(r), reply));
        return CommandHandler.DEFERRED;
      }
    }
    ReplicaReads reads = target.replicaReads();
    if (reads != null) {
      if (write) {
        wrote(owner);
      } else if (keys.length == 1 && toReplica(client, owner, reads, command)) {
        Backend replica = reads.pick(client.id());
        if (replica != null) {
          new ReplicaRead(
                  reply,
                  encode(r),
                  replica,
                  target,
                  reads,
                  worker,
                  client.id(),
                  client.protocol() == 3)
              .send();
          return CommandHandler.DEFERRED;
        }
        if (reads.replicaOnly()) {
          reply.fail(
              "ERR ringlb: "
                  + target.describe()
                  + " has no replica up to read from (read-from: replica)");
          return CommandHandler.DEFERRED;
        }
      }
    }
    target.connection(worker, client.id(), client.protocol() == 3).send(r, reply);
    return CommandHandler.DEFERRED;
  }

  private void wrote(int owner) {
    java.util.BitSet w = wrote;
    if (w == null) {
      w = wrote = new java.util.BitSet();
    }
    w.set(owner);
  }

  /**
   * Returns whether a command of one key, routed to a shard that reads from replicas and not moving
   * with a ring change, goes to a replica: it is read-only by Redis's flags (not a script), the
   * client has not written the shard through this connection, and watches no key.
   */
  private boolean toReplica(Session client, int owner, ReplicaReads reads, ProxyCommand command) {
    if (wroteEverywhere || (wrote != null && wrote.get(owner))) {
      return false;
    }
    if (!command.spec().flags().contains(io.ringlb.server.CommandSpec.READONLY)
        || PRIMARY_READS.contains(command.name())) {
      return false;
    }
    return !ProxyClient.of(client).watching();
  }

  /**
   * Sends a client's command that touches no key (or that a backend will refuse before touching
   * any) to one backend holding keys, the first by id.
   */
  RedisMessage sendToAny(Session client, Request r) {
    Topology t = worker.topology();
    Backend[] all = FanOut.dataBackends(t);
    if (all.length == 0) {
      return Replies.error(NO_BACKEND);
    }
    DeferredReply slot = client.defer();
    all[0]
        .connection(worker, client.id(), client.protocol() == 3)
        .send(r, new ClientReply(slot, worker, t));
    return CommandHandler.DEFERRED;
  }

  /** The error of a command routed while the ring has no backend. */
  static final String NO_BACKEND = "ERR ringlb: no backend in the ring";

  /** Returns {@code r} as a RESP command in a buffer of its own. */
  static ByteBuf encode(Request r) {
    ByteBuf encoded = Unpooled.buffer(64);
    Resp.writeCommand(encoded, r);
    return encoded;
  }
}
