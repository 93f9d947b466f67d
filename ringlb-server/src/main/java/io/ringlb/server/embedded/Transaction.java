package io.ringlb.server.embedded;

import io.netty.buffer.ByteBufUtil;
import io.netty.handler.codec.redis.ArrayRedisMessage;
import io.netty.handler.codec.redis.RedisMessage;
import io.ringlb.server.CommandHandler;
import io.ringlb.server.CommandSpec;
import io.ringlb.server.ExecSession;
import io.ringlb.server.Replies;
import io.ringlb.server.Request;
import io.ringlb.server.Session;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One connection's MULTI/EXEC/DISCARD and WATCH/UNWATCH on the embedded keyspace, as Redis runs
 * them: commands queued after MULTI (each answered QUEUED, a refused one failing the whole
 * transaction with EXECABORT), then run at EXEC one after the other under the keyspace lock, so no
 * other client's command comes between them; EXEC answers a null array instead when a watched key
 * was written, deleted, flushed or expired since WATCH. Runs on the connection's event loop.
 */
final class Transaction {

  private static final RedisMessage QUEUED = Replies.simple("QUEUED");

  /** A queued command: what to run and a copy of its arguments. */
  private record Queued(CommandSpec spec, CommandHandler handler, Request request) {}

  private final Keyspace keyspace;
  private final ReentrantLock lock;
  private final Watches.Watcher watcher = new Watches.Watcher();

  /** The commands queued since MULTI; null outside a transaction. */
  private List<Queued> queued;

  /** A command was refused while queuing: EXEC answers EXECABORT. */
  private boolean failed;

  Transaction(Keyspace keyspace) {
    this.keyspace = keyspace;
    this.lock = keyspace.lock();
  }

  boolean open() {
    return queued != null;
  }

  int queuedCount() {
    return queued == null ? -1 : queued.size();
  }

  /** A command was refused before it could run: inside MULTI, EXEC will answer EXECABORT. */
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
    failed = false;
    return Replies.OK;
  }

  /** Queues a command of the transaction. */
  RedisMessage queue(CommandSpec spec, CommandHandler handler, Request r) {
    if (ServerCommands.NO_MULTI.contains(spec.name())) {
      failed = true;
      return Replies.error(ServerCommands.NOT_IN_MULTI);
    }
    if (spec.name().endsWith("subscribe")) {
      failed = true;
      return Replies.error(
          "ERR ringlb: '"
              + spec.name()
              + "' cannot be queued in a transaction on the embedded server");
    }
    byte[][] args = new byte[r.argc()][];
    for (int i = 0; i < args.length; i++) {
      args[i] = ByteBufUtil.getBytes(r.arg(i));
    }
    queued.add(new Queued(spec, handler, Request.of(args)));
    return QUEUED;
  }

  RedisMessage discard() {
    if (queued == null) {
      return Replies.error("ERR DISCARD without MULTI");
    }
    queued = null;
    failed = false;
    unwatch();
    return Replies.OK;
  }

  /** EXEC: runs the queued commands as one, or answers why not. */
  RedisMessage exec(Session session) {
    if (queued == null) {
      return Replies.error("ERR EXEC without MULTI");
    }
    List<Queued> commands = queued;
    queued = null;
    boolean refused = failed;
    failed = false;
    lock.lock();
    try {
      if (refused) {
        unwatch();
        return Replies.error("EXECABORT Transaction discarded because of previous errors.");
      }
      if (watcher.dirty() || watchedKeyExpired()) {
        unwatch();
        return ArrayRedisMessage.NULL_INSTANCE;
      }
      unwatch();
      ExecSession exec = new ExecSession(session);
      List<RedisMessage> replies = new ArrayList<>(commands.size());
      for (Queued q : commands) {
        replies.add(exec.run(q.spec, q.handler, q.request));
      }
      return replies.isEmpty() ? ArrayRedisMessage.EMPTY_INSTANCE : new ArrayRedisMessage(replies);
    } finally {
      lock.unlock();
    }
  }

  /** Returns whether a key live at WATCH has passed its deadline since (not yet deleted). */
  private boolean watchedKeyExpired() {
    for (Watches.Watch w : watcher.watches()) {
      if (!w.expired && keyspace.isExpired(w.hash, w.key)) {
        return true;
      }
    }
    return false;
  }

  RedisMessage watch(Request r) {
    if (queued != null) {
      return Replies.error("ERR WATCH inside MULTI is not allowed");
    }
    lock.lock();
    try {
      for (int i = 1; i < r.argc(); i++) {
        byte[] key = r.bytes(i);
        int hash = keyspace.hash(key);
        keyspace.watches().watch(watcher, key, hash, keyspace.isExpired(hash, key));
      }
    } finally {
      lock.unlock();
    }
    return Replies.OK;
  }

  /** Forgets every watch of this connection. */
  void unwatch() {
    lock.lock();
    try {
      keyspace.watches().unwatchAll(watcher);
    } finally {
      lock.unlock();
    }
  }

  /** RESET or the connection's end: no transaction, no watches. */
  void reset() {
    queued = null;
    failed = false;
    unwatch();
  }
}
