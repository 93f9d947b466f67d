package io.ringlb.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.redis.ArrayRedisMessage;
import io.netty.handler.codec.redis.RedisMessage;
import io.netty.util.ReferenceCountUtil;
import io.ringlb.server.CommandHandler;
import io.ringlb.server.CommandSpec;
import io.ringlb.server.DeferredReply;
import io.ringlb.server.Replies;
import io.ringlb.server.Request;
import io.ringlb.server.Session;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * One client's MULTI/EXEC/DISCARD and WATCH/UNWATCH through the proxy: a transaction holds commands
 * on keys routed as one (a hash tag), and commands without keys (PING, ECHO, TIME, PUBLISH), and
 * runs on the keys' owner as one contiguous block.
 *
 * <p>The proxy answers QUEUED itself, then at EXEC sends MULTI, the queued commands and EXEC in one
 * piece on the owner's connection, where no other command can cut in. WATCH goes to the watched
 * keys' owner on a connection of the client's own, since a watch belongs to a connection; if a ring
 * change moved the watched keys before EXEC, EXEC answers nil, as if they had changed.
 */
final class Transactions {

  private static final RedisMessage QUEUED = Replies.simple("QUEUED");

  /**
   * Commands without keys queued as they are, to run on whichever backend the transaction runs on:
   * their replies do not depend on which (PUBLISH reaches the subscribers of every backend).
   */
  private static final Set<String> KEYLESS = Set.of("ping", "echo", "time", "publish");

  private static final String KEYLESS_NAMES = "PING, ECHO, TIME, PUBLISH, FLUSHALL and FLUSHDB";

  /**
   * Commands of every backend that a transaction may queue: run inside it on its backend, then on
   * every other backend once its EXEC answered ({@link TransactionFanOut}).
   */
  private static final Set<String> EVERYWHERE = Set.of("flushall", "flushdb");

  /**
   * Commands the proxy runs itself at EXEC, once the backend's EXEC answered ({@link
   * TransactionLocals}): CONFIG SET, whose parameters are the proxy's or every backend's.
   */
  private static final Set<String> LOCAL = Set.of("config|set");

  /** Commands Redis refuses inside a transaction, with its own words, whatever the proxy does. */
  private static final Set<String> NO_MULTI = Set.of("save", "shutdown", "sync", "psync");

  private static final byte[] MULTI = "*1\r\n$5\r\nMULTI\r\n".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] EXEC = "*1\r\n$4\r\nEXEC\r\n".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] UNWATCH =
      "*1\r\n$7\r\nUNWATCH\r\n".getBytes(StandardCharsets.US_ASCII);

  private final Session client;
  private final Worker worker;
  private final Router router;

  /** The commands queued since MULTI, in RESP form; null outside a transaction. */
  private ArrayList<ByteBuf> queued;

  /** The commands of {@link #queued} to run on every backend too; null when none. */
  private ArrayList<TransactionFanOut.Command> everywhere;

  /** The commands the proxy runs itself at EXEC; null when none. */
  private ArrayList<TransactionLocals.Command> locals;

  /** The commands queued, those of {@link #queued} and of {@link #locals}. */
  private int count;

  /** The keys of {@link #queued}, to move first while a migration moves them. */
  private ArrayList<byte[]> queuedKeys;

  /** The routing hash every key of {@link #queued} has. */
  private int hash;

  /** A command was refused while queuing: EXEC answers EXECABORT, as Redis does. */
  private boolean failed;

  /** A command queued may change data: EXEC's reply waits for the replicas (replicated). */
  private boolean writes;

  /** This client's own connection to the backend its watched keys live on. */
  private BackendConnection watchConnection;

  private Backend watchBackend;

  /** Keys are watched (on {@link #watchConnection}); they all have {@link #watchHash}. */
  private int watched;

  private int watchHash;

  /** Returns whether keys are watched on this client's connection. */
  boolean watching() {
    return watched > 0;
  }

  Transactions(Session client, Worker worker, Router router) {
    this.client = client;
    this.worker = worker;
    this.router = router;
  }

  /** Returns whether a MULTI is open. */
  boolean open() {
    return queued != null;
  }

  /** Returns the commands queued, or -1 outside a transaction (CLIENT LIST's multi). */
  int queuedCount() {
    return queued == null ? -1 : count;
  }

  /** A command was refused before it ran: inside MULTI, EXEC will answer EXECABORT. */
  void refused() {
    if (queued != null) {
      failed = true;
    }
  }

  RedisMessage multi() {
    if (queued != null) {
      return Replies.error("ERR MULTI calls can not be nested");
    }
    queued = new ArrayList<>();
    queuedKeys = new ArrayList<>();
    return Replies.OK;
  }

  RedisMessage discard() {
    if (queued == null) {
      return Replies.error("ERR DISCARD without MULTI");
    }
    end();
    unwatch();
    return Replies.OK;
  }

  /** Queues a command of the transaction, or refuses it (and so the transaction). */
  RedisMessage queue(CommandSpec spec, CommandHandler handler, Request r) {
    RedisMessage reply = queueCommand(spec, handler, r);
    if (reply == QUEUED) {
      count++;
    }
    return reply;
  }

  private RedisMessage queueCommand(CommandSpec spec, CommandHandler handler, Request r) {
    String name = spec.name();
    if (name.equals("unwatch")) {
      // Queued by Redis too, and without effect: the watches are checked when EXEC starts. Sent
      // inside the transaction, so that its OK takes its place in EXEC's reply.
      queued.add(Router.encode(r));
      return QUEUED;
    }
    if (NO_MULTI.contains(name)) {
      failed = true;
      return Replies.error("ERR Command not allowed inside a transaction");
    }
    ProxyCommand command = handler instanceof ProxyCommand c && c.queuedByKeys() ? c : null;
    if ((command == null && KEYLESS.contains(name))
        || (command != null
            && ProxyClient.isScript(command)
            && KeylessScript.keyless(r, command.keys().numkeys()))) {
      // Runs on the transaction's backend, wherever its keys take it, as in Redis Cluster (and a
      // PING with too many arguments fails there, inside EXEC's reply, as in Redis); so does a
      // script given no key.
      queued.add(Router.encode(r));
      return QUEUED;
    }
    String container = KeyPositions.lower(r.arg(0));
    String fullName = container.equals(name) ? name : container + "|" + name;
    if (LOCAL.contains(fullName)) {
      if (locals == null) {
        locals = new ArrayList<>();
      }
      byte[][] args = new byte[r.argc()][];
      for (int i = 0; i < args.length; i++) {
        args[i] = r.bytes(i);
      }
      locals.add(new TransactionLocals.Command(count, handler, Request.of(args)));
      return QUEUED;
    }
    if (EVERYWHERE.contains(name)) {
      if (everywhere == null) {
        everywhere = new ArrayList<>();
      }
      everywhere.add(new TransactionFanOut.Command(queued.size(), FanOut.commandOf(r)));
      queued.add(Router.encode(r));
      writes = true;
      return QUEUED;
    }
    int[] keys = command == null ? null : command.keys().find(r);
    if (keys == null) {
      failed = true;
      return Replies.error(
          command == null
              ? "ERR ringlb: '"
                  + fullName
                  + "' cannot be queued in a transaction through the proxy; a"
                  + " transaction holds commands on keys under one hash tag, and "
                  + KEYLESS_NAMES
              : Replies.wrongArity(name));
    }
    Topology t = worker.topology();
    for (int i : keys) {
      int h = router.hash(t, r.arg(i));
      if (queuedKeys.isEmpty() && i == keys[0]) {
        hash = h;
      } else if (h != hash) {
        failed = true;
        return Replies.error(
            "CROSSSLOT ringlb: a transaction's keys must all be routed as one,"
                + " so that it runs on one backend; give them one hash tag");
      }
    }
    for (int i : keys) {
      queuedKeys.add(ByteBufUtil.getBytes(r.arg(i)));
    }
    queued.add(Router.encode(r));
    writes |= CommandFlags.writes(spec);
    return QUEUED;
  }

  /** EXEC: sends MULTI, the queued commands and EXEC to their backend in one piece. */
  RedisMessage exec() {
    if (queued == null) {
      return Replies.error("ERR EXEC without MULTI");
    }
    ArrayList<ByteBuf> commands = queued;
    queued = null;
    byte[][] keys = queuedKeys.toArray(new byte[0][]);
    queuedKeys = null;
    boolean refused = failed;
    failed = false;
    boolean write = writes;
    writes = false;
    ArrayList<TransactionFanOut.Command> fanOut = everywhere;
    everywhere = null;
    ArrayList<TransactionLocals.Command> own = locals;
    locals = null;
    count = 0;
    if (refused || (commands.isEmpty() && watched == 0)) {
      release(commands);
      unwatch();
      if (refused) {
        return Replies.error("EXECABORT Transaction discarded because of previous errors.");
      }
      if (own == null) {
        return ArrayRedisMessage.EMPTY_INSTANCE;
      }
      // Only commands the proxy runs itself: no backend is asked.
      DeferredReply slot = client.defer();
      new TransactionLocals(client, new ClientReply(slot, worker, worker.topology()), own)
          .complete(ArrayRedisMessage.EMPTY_INSTANCE);
      return CommandHandler.DEFERRED;
    }
    boolean wasWatching = watched > 0;
    if (keys.length == 0 && wasWatching) {
      hash = watchHash; // no key queued after WATCH: runs where the watched keys are
    }
    Topology t = worker.topology();
    // Nothing queued names a key and nothing is watched: any backend of the ring serves it.
    int owner = t.placement().serverFor(keys.length == 0 && !wasWatching ? 0 : hash);
    watched = 0;
    if (owner < 0 || (wasWatching && (hash != watchHash || owner != watchBackend.id()))) {
      release(commands);
      if (wasWatching) {
        watchConnection.sendEncoded(Unpooled.wrappedBuffer(UNWATCH), new Discarded());
      }
      if (owner < 0) {
        return Replies.error(Router.NO_BACKEND);
      }
      if (hash != watchHash) {
        return Replies.error(
            "CROSSSLOT ringlb: a transaction must be routed as its WATCHed keys"
                + " are; give them one hash tag");
      }
      // The watched keys changed owner since WATCH (a ring change): as if they were modified.
      return ArrayRedisMessage.NULL_INSTANCE;
    }
    BackendConnection pinned = wasWatching ? watchConnection : null;
    DeferredReply slot = client.defer();
    ClientReply reply = new ClientReply(slot, worker, t);
    reply.write(write);
    Pending execReply = reply;
    if (own != null) {
      // Runs after the commands of every backend ran everywhere: their places are the backend's.
      execReply = new TransactionLocals(client, execReply, own).write(write);
    }
    if (fanOut != null) {
      List<Backend> others = new ArrayList<>();
      for (Backend b : FanOut.dataBackends(t)) {
        if (b.id() != owner) {
          others.add(b);
        }
      }
      execReply =
          new TransactionFanOut(client, execReply, others.toArray(new Backend[0]), fanOut)
              .write(write);
    }
    Pending execPending = execReply;
    Sender block =
        new Sender() {
          @Override
          public void sendTo(BackendConnection to) {
            // One contiguous write on a connection no other command of this worker can cut into:
            // redis-server runs the commands between MULTI and EXEC as one transaction.
            to.sendEncoded(Unpooled.wrappedBuffer(MULTI), new Discarded());
            for (ByteBuf command : commands) {
              to.sendEncoded(command, new Discarded());
              command.release();
            }
            to.sendEncoded(Unpooled.wrappedBuffer(EXEC), execPending);
          }

          @Override
          public void fail(String error) {
            release(commands);
            reply.fail(error);
          }
        };
    Backend target = t.backend(owner);
    Sender send = pinned == null ? block : Sender.on(pinned, block);
    if (t.previous() != null) {
      int before = t.previous().serverFor(hash);
      if (before != owner && before >= 0 && keys.length > 0) {
        KeyMove.start(
            worker, client.id(), client.protocol() == 3, t, t.backend(before), target, keys, send);
        return CommandHandler.DEFERRED;
      }
    }
    send.sendTo(target.connection(worker, client.id(), client.protocol() == 3));
    return CommandHandler.DEFERRED;
  }

  /**
   * WATCH: the keys must be routed as one (and as keys watched before); the command goes to their
   * owner on this client's own connection, after the keys moved there if a migration is moving
   * them.
   */
  RedisMessage watch(Request r) {
    if (queued != null) {
      return Replies.error("ERR WATCH inside MULTI is not allowed");
    }
    Topology t = worker.topology();
    int h = router.hash(t, r.arg(1));
    for (int i = 2; i < r.argc(); i++) {
      if (router.hash(t, r.arg(i)) != h) {
        return Replies.error(
            "CROSSSLOT ringlb: the keys of 'watch' are not routed as one; give"
                + " them one hash tag");
      }
    }
    if (watched > 0 && h != watchHash) {
      return Replies.error(
          "CROSSSLOT ringlb: keys watched together must be routed as one; give"
              + " them one hash tag");
    }
    int owner = t.placement().serverFor(h);
    if (owner < 0) {
      return Replies.error(Router.NO_BACKEND);
    }
    Backend target = t.backend(owner);
    if (watched > 0 && watchBackend != target) {
      // Keys watched before moved with a ring change: their watch is gone with the old owner,
      // and the transaction must not run as if it held.
      return Replies.OK;
    }
    if (watchConnection == null || watchBackend != target) {
      closeWatchConnection();
      watchConnection = new BackendConnection(target, worker, client.protocol() == 3);
      worker.register(watchConnection);
      watchBackend = target;
    }
    watched += r.argc() - 1;
    watchHash = h;
    BackendConnection pinned = watchConnection;
    DeferredReply slot = client.defer();
    Sender send = Sender.encoded(Router.encode(r), new ClientReply(slot, worker, t));
    if (t.previous() != null) {
      int before = t.previous().serverFor(h);
      if (before != owner && before >= 0) {
        byte[][] keys = new byte[r.argc() - 1][];
        for (int i = 1; i < r.argc(); i++) {
          keys[i - 1] = ByteBufUtil.getBytes(r.arg(i));
        }
        KeyMove.start(
            worker,
            client.id(),
            client.protocol() == 3,
            t,
            t.backend(before),
            target,
            keys,
            Sender.on(pinned, send));
        return CommandHandler.DEFERRED;
      }
    }
    send.sendTo(pinned);
    return CommandHandler.DEFERRED;
  }

  /** UNWATCH outside MULTI. */
  RedisMessage unwatch() {
    if (watched > 0) {
      watched = 0;
      watchConnection.sendEncoded(Unpooled.wrappedBuffer(UNWATCH), new Discarded());
    }
    return Replies.OK;
  }

  /** RESET: out of MULTI, nothing watched. */
  void reset() {
    end();
    unwatch();
  }

  /** The client left: drop what was queued and this client's own backend connection. */
  void close() {
    end();
    closeWatchConnection();
  }

  private void closeWatchConnection() {
    if (watchConnection != null) {
      watchConnection.close("ERR ringlb: the client closed");
      worker.unregister(watchConnection);
      watchConnection = null;
      watchBackend = null;
      watched = 0;
    }
  }

  /** Leaves a transaction, if one is open, dropping what it queued. */
  private void end() {
    if (queued != null) {
      release(queued);
    }
    queued = null;
    queuedKeys = null;
    everywhere = null;
    locals = null;
    count = 0;
    failed = false;
    writes = false;
  }

  private static void release(ArrayList<ByteBuf> commands) {
    for (ByteBuf command : commands) {
      command.release();
    }
  }

  /**
   * The reply to MULTI or to a queued command inside a transaction sent to a backend, and to
   * UNWATCH: dropped, since EXEC's reply says all (EXECABORT when redis-server refused one).
   */
  private static final class Discarded extends Pending {
    @Override
    void complete(RedisMessage reply) {
      ReferenceCountUtil.release(reply);
    }

    @Override
    void fail(String error) {}
  }
}
