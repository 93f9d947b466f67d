package io.ringlb.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.handler.codec.redis.ArrayRedisMessage;
import io.netty.handler.codec.redis.RedisMessage;
import io.ringlb.server.CommandHandler;
import io.ringlb.server.CommandSpec;
import io.ringlb.server.DeferredReply;
import io.ringlb.server.Replies;
import io.ringlb.server.Request;
import io.ringlb.server.Session;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * One client's MULTI/EXEC/DISCARD and WATCH/UNWATCH through the proxy: a transaction holds commands
 * on keys routed as one (a hash tag), and commands without keys (PING, ECHO, TIME, PUBLISH), and
 * runs on the keys' owner as one contiguous block.
 *
 * <p>Once the transaction's backend is known (its first key, or its watched keys) it is opened
 * there on a connection of its own ({@link BackendTransaction}), and each command is sent as it is
 * queued, so that redis-server checks it when it would without the proxy. Until then, while a
 * migration runs, when no such connection is left or it was lost, the proxy answers QUEUED itself,
 * and EXEC sends MULTI, the queued commands and EXEC in one piece on the owner's pooled connection,
 * where no other command can cut in. A ring change between the first command and EXEC sends it that
 * way too, to the keys' owner then. WATCH goes to the watched keys' owners on connections of the
 * client's own ({@link Watches}); if a ring change moved the watched keys before EXEC, EXEC answers
 * nil, as if they had changed.
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

  /** The transaction opened on its backend, the commands of {@link #queued} sent; or null. */
  private BackendTransaction open;

  /** The transaction is sent whole at EXEC: it was not opened on its backend, and will not be. */
  private boolean whole;

  /**
   * A transaction opened on the WATCH connection was discarded there before EXEC (a ring change),
   * and the watches with it: EXEC answers nil, as if the watched keys had changed.
   */
  private boolean watchesLost;

  /** The keys this client WATCHes, on connections of its own. */
  private final Watches watches;

  /** Returns whether keys are watched on this client's connection. */
  boolean watching() {
    return watches.any();
  }

  Transactions(Session client, Worker worker, Router router) {
    this.client = client;
    this.worker = worker;
    this.router = router;
    this.watches = new Watches(client, worker, router);
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
    int before = queued.size();
    RedisMessage reply = queueCommand(spec, handler, r);
    if (reply != QUEUED) {
      return reply;
    }
    count++;
    return queued.size() > before ? forward() : reply;
  }

  /**
   * The command just queued goes to the transaction's backend, opened there first if its backend is
   * now known, and the backend's reply is the client's; or the proxy answers QUEUED itself.
   */
  private RedisMessage forward() {
    if (whole) {
      return QUEUED;
    }
    Topology t = worker.topology();
    if (open != null
        && (open.topology() != t
            || open.lost()
            || !fits(t, open.backend(), !queuedKeys.isEmpty()))) {
      // A ring change, its connection lost, or a key routed elsewhere: EXEC sends it whole, or
      // refuses it; watches on that connection are gone with the DISCARD (or the connection).
      watchesLost |= watches.any();
      open.discard();
      open = null;
      whole = true;
      return QUEUED;
    }
    if (open == null) {
      Backend target = target(t);
      if (target == null) {
        return QUEUED;
      }
      open =
          BackendTransaction.open(
              worker,
              t,
              target,
              watches.any() ? watches.connection(target) : null,
              client.protocol() == 3);
      if (open == null) {
        whole = true;
        return QUEUED;
      }
    }
    int last = queued.size() - 1;
    for (int i = open.sent(); i < last; i++) {
      open.sendQueued(queued.get(i));
    }
    DeferredReply slot = client.defer();
    open.send(queued.get(last), new ClientReply(slot, worker, t));
    return CommandHandler.DEFERRED;
  }

  /**
   * Returns the backend the transaction is known to run on under {@code t}, or null while it is not
   * known (no key yet, nothing watched) or the transaction must be sent whole at EXEC (a migration
   * runs, or its keys are not where it can run).
   */
  private Backend target(Topology t) {
    if (t.previous() != null) {
      whole = true; // its keys may have to move first, at EXEC (KeyMove)
      return null;
    }
    if (!watches.any() && queuedKeys.isEmpty()) {
      return null;
    }
    Backend b;
    if (watches.any()) {
      b = watches.single();
    } else {
      int owner = t.placement().serverFor(hash);
      b = owner < 0 ? null : t.backend(owner);
    }
    if (b == null || !fits(t, b, !queuedKeys.isEmpty())) {
      whole = true;
      return null;
    }
    return b;
  }

  /**
   * Returns whether the keys watched and those queued, when {@code keyed}, all live on {@code b}
   * under {@code t}.
   */
  private boolean fits(Topology t, Backend b, boolean keyed) {
    if (watches.any() && (b != watches.single() || watches.moved(t) || watches.lost())) {
      return false;
    }
    return !keyed || t.placement().serverFor(hash) == b.id();
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
        || (command != null && KeylessScript.keyless(command, r))) {
      // Runs on the transaction's backend, wherever its keys take it, as in Redis Cluster; so does
      // a script given no key, which may write.
      queued.add(Router.encode(r));
      writes |= command != null && CommandFlags.writes(spec);
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

  /**
   * EXEC: on the transaction opened on its backend when it still runs there, else MULTI, the queued
   * commands and EXEC to their backend in one piece.
   */
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
    whole = false;
    Topology t = worker.topology();
    BackendTransaction opened = open;
    open = null;
    if (opened != null) {
      refused |= opened.refused();
      if (!refused
          && opened.topology() == t
          && !opened.lost()
          && fits(t, opened.backend(), keys.length > 0)) {
        for (int i = opened.sent(); i < commands.size(); i++) {
          opened.sendQueued(commands.get(i));
        }
        release(commands);
        watches.forget();
        opened.exec(execReply(t, opened.backend().id(), write, own, fanOut));
        return CommandHandler.DEFERRED;
      }
      watchesLost |= watches.any();
      opened.discard();
    }
    boolean lost = watchesLost;
    watchesLost = false;
    if (refused || (commands.isEmpty() && !watches.any())) {
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
      new TransactionLocals(client, new ClientReply(slot, worker, t), own)
          .complete(ArrayRedisMessage.EMPTY_INSTANCE);
      return CommandHandler.DEFERRED;
    }
    boolean wasWatching = watches.any();
    // Nothing queued names a key: it runs where keys are watched, or on any backend of the ring.
    int owner =
        keys.length > 0
            ? t.placement().serverFor(hash)
            : wasWatching ? watches.backends().get(0).id() : t.placement().serverFor(0);
    boolean moved = wasWatching && (lost || watches.moved(t) || watches.lost());
    List<BackendConnection> elsewhere = new ArrayList<>(0);
    if (wasWatching) {
      for (Backend b : watches.backends()) {
        if (b.id() != owner) {
          elsewhere.add(watches.connection(b));
        }
      }
    }
    boolean changes = write || own != null || fanOut != null;
    if (owner < 0 || moved || (!elsewhere.isEmpty() && changes)) {
      release(commands);
      watches.unwatch();
      if (owner < 0) {
        return Replies.error(Router.NO_BACKEND);
      }
      if (moved) {
        // The watched keys changed owner since WATCH, or their watch was discarded with the
        // transaction opened on their backend (a ring change): as if they were modified.
        return ArrayRedisMessage.NULL_INSTANCE;
      }
      return Replies.error(
          "CROSSSLOT ringlb: a transaction that writes must be routed as its WATCHed keys are;"
              + " give them one hash tag");
    }
    Backend target = t.backend(owner);
    BackendConnection pinned = wasWatching ? watches.connection(target) : null;
    Pending reply = execReply(t, owner, write, own, fanOut);
    Pending execPending = elsewhere.isEmpty() ? reply : new WatchChecks(reply, elsewhere);
    watches.forget();
    Sender block =
        new Sender() {
          @Override
          public void sendTo(BackendConnection to) {
            // One contiguous write on a connection no other command of this worker can cut into:
            // redis-server runs the commands between MULTI and EXEC as one transaction.
            BackendTransaction tx = BackendTransaction.block(to, t, target);
            for (ByteBuf command : commands) {
              tx.sendQueued(command);
            }
            release(commands);
            tx.exec(execPending);
          }

          @Override
          public void fail(String error) {
            release(commands);
            execPending.fail(error);
          }
        };
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
   * Returns where EXEC's reply goes: to the client, after the commands to run on every backend ran
   * on those but {@code owner} and the proxy's own commands ran.
   */
  private Pending execReply(
      Topology t,
      int owner,
      boolean write,
      ArrayList<TransactionLocals.Command> own,
      ArrayList<TransactionFanOut.Command> fanOut) {
    DeferredReply slot = client.defer();
    Pending execReply = new ClientReply(slot, worker, t).write(write);
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
    return execReply;
  }

  /** WATCH: each key on its owner, on a connection of this client's own ({@link Watches}). */
  RedisMessage watch(Request r) {
    if (queued != null) {
      return Replies.error("ERR WATCH inside MULTI is not allowed");
    }
    return watches.watch(r);
  }

  /** UNWATCH outside MULTI. */
  RedisMessage unwatch() {
    watches.unwatch();
    return Replies.OK;
  }

  /** EXEC refused before it ran (a busy script): the transaction ends unrun, nothing watched. */
  void abort() {
    end();
    unwatch();
  }

  /** RESET: out of MULTI, nothing watched. */
  void reset() {
    end();
    unwatch();
  }

  /** The client left: drop what was queued and this client's own backend connection. */
  void close() {
    if (open != null) {
      open.abandon();
      open = null;
    }
    end();
    watches.close();
  }

  /** Leaves a transaction, if one is open, dropping what it queued. */
  private void end() {
    if (open != null) {
      open.discard();
      open = null;
    }
    whole = false;
    watchesLost = false;
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
}
