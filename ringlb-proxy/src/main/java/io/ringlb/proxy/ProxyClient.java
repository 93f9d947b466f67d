package io.ringlb.proxy;

import io.netty.handler.codec.redis.RedisMessage;
import io.ringlb.server.CommandHandler;
import io.ringlb.server.CommandSpec;
import io.ringlb.server.ConnectionState;
import io.ringlb.server.DeferredReply;
import io.ringlb.server.Replies;
import io.ringlb.server.Request;
import io.ringlb.server.Session;

/**
 * One client connection of the proxy, as the front end's {@link ConnectionState}: what it holds (a
 * transaction, watched keys, subscriptions) and where each of its commands goes.
 *
 * <p>Every command passes {@link #before} (held while the worker switches topology, refused while a
 * script given no key is busy, queued inside MULTI, checked in subscribed mode, held behind the
 * client's unanswered requests when it goes on a connection of its own), then {@link #serve}, which
 * reads how to route it from its {@link ProxyCommand} and hands it to the class that does: the
 * {@link Router} (one key, or keys under one tag), {@link SplitCommand} (MGET, MSET, DEL...), or
 * the command's own handler (transactions, subscriptions, fan-out, SCAN, RING). Everything runs on
 * the connection's event loop, which is also the loop of the backend connections it uses.
 */
final class ProxyClient implements ConnectionState {

  private final Session session;
  private final ProxyContext proxy;
  private final Worker worker;
  private final Router router;
  private final SplitCommand split;
  private Transactions transactions;
  private Subscriptions subscriptions;
  private FanOut fanOut;

  /** Some shard reads from replicas ({@code read-from}): writes are remembered. */
  private final boolean readsReplicas;

  /** Waiting in the worker's list for the topology to settle. */
  private boolean parked;

  /** When {@link #before} parked this client's first held request ({@link System#nanoTime}). */
  private long parkedAt;

  /** The blocking command running, if any: the client's later requests wait for its reply. */
  private Blocked blocked;

  /** Inside {@link #block}: a blocking command answered at once has no request to resume. */
  private boolean blocking;

  /** The script given no key running, if any: the client's later requests wait for its reply. */
  private KeylessScript script;

  ProxyClient(Session session, ProxyContext proxy, Worker worker) {
    this.session = session;
    this.proxy = proxy;
    this.worker = worker;
    this.router = new Router(worker);
    this.split = new SplitCommand(worker, router);
    this.readsReplicas = proxy.config().readFrom().fromReplicas();
  }

  /** Returns whether this client watches keys (WATCH): it reads from primaries meanwhile. */
  boolean watching() {
    Transactions tx = transactions;
    return tx != null && tx.watching();
  }

  /** Returns the proxy's state of {@code session}'s connection. */
  static ProxyClient of(Session session) {
    return (ProxyClient) session.state();
  }

  @Override
  public RedisMessage before(CommandSpec spec, CommandHandler handler, Session s, Request r) {
    if (blocked != null || script != null) {
      // As redis-server does not read a blocked client's next commands, none runs before the
      // blocking command's reply: they wait, and run in order once it came.
      return CommandHandler.HELD;
    }
    if (!worker.ready()) {
      if (!parked) {
        parked = true;
        parkedAt = System.nanoTime();
        worker.park(this);
      }
      return CommandHandler.HELD;
    }
    Transactions tx = transactions;
    String busy = worker.busyScripts().error();
    if (busy != null && !BusyScripts.allowed(spec, r)) {
      return busy(spec, busy);
    }
    if (tx != null && tx.open() && !spec.flags().contains(CommandSpec.NO_QUEUE)) {
      return tx.queue(spec, handler, r);
    }
    Subscriptions sub = subscriptions;
    if (sub != null && sub.active()) {
      return sub.before(spec, r);
    }
    if (handler instanceof ProxyCommand c && ownConnection(c, r) && session.awaitingReplies()) {
      // It goes on a connection of its own, where it could overtake the client's earlier
      // requests still on their way to the same backend: it waits for their replies.
      session.resumeWhenAnswered();
      return CommandHandler.HELD;
    }
    return null;
  }

  /**
   * Returns whether {@code r} runs on a connection of its own: a blocking command, or a script
   * given no key.
   */
  private static boolean ownConnection(ProxyCommand c, Request r) {
    return c.route() == ProxyCommand.Route.BLOCKING
        || (c.route() == ProxyCommand.Route.SAME_SLOT
            && (c.keys().blocks(r) || KeylessScript.keyless(c, r)));
  }

  /**
   * Refuses a command while a script given no key is busy ({@link BusyScripts}) with {@code error},
   * as redis-server does: inside MULTI the transaction will abort, and EXEC ends it.
   */
  private RedisMessage busy(CommandSpec spec, String error) {
    if (spec.name().equals("exec")) {
      transactions().abort();
      return Replies.error("EXECABORT Transaction discarded because of: " + error);
    }
    refused();
    return Replies.error(error);
  }

  /**
   * Every worker drained the older topology: runs the requests held meanwhile; returns when the
   * first of them was held ({@link System#nanoTime}).
   */
  long unpark() {
    parked = false;
    session.resume();
    return parkedAt;
  }

  /** Serves {@code command}, after {@link #before} let it through. */
  RedisMessage serve(ProxyCommand command, Request r) {
    if (readsReplicas
        && command.route() != ProxyCommand.Route.KEY
        && command.route() != ProxyCommand.Route.SAME_SLOT
        && (CommandFlags.writes(command.spec()) || command.name().equals("exec"))) {
      router.wroteEverywhere(); // its own writes are read from the primaries from now on
    }
    return switch (command.route()) {
      case KEY -> router.key(session, command, r);
      case MGET, COUNT_KEYS, MSET -> split.send(session, command, r);
      case SAME_SLOT ->
          command.keys().blocks(r)
              ? block(command, r)
              : KeylessScript.keyless(command, r)
                  ? runKeyless(command, r)
                  : router.sameSlot(session, proxy.ring().hashTag(), command, r);
      case BLOCKING -> block(command, r);
      case REFUSED -> Replies.error("ERR ringlb: '" + command.name() + "' " + command.refusal());
      case LOCAL -> command.local().execute(session, r);
    };
  }

  /**
   * A blocking command: its keys must be routed as one, as for any command of several keys; it then
   * blocks on a connection of its own to their owner ({@link Blocked}). Commands a backend refuses
   * at once (a count of keys or a timeout it does not take) go the way of the others.
   */
  private RedisMessage block(ProxyCommand command, Request r) {
    int[] keys = command.keys().find(r);
    BlockingArgs args = keys == null ? null : BlockingArgs.of(r);
    if (args == null || args.timeoutMillis() < 0) {
      return router.sameSlot(session, proxy.ring().hashTag(), command, r);
    }
    Topology t = worker.topology();
    int h = router.hash(t, r.arg(keys[0]));
    byte[][] names = new byte[keys.length][];
    for (int i = 0; i < keys.length; i++) {
      if (router.hash(t, r.arg(keys[i])) != h) {
        return Replies.error(Router.crossSlot(command.name(), proxy.ring().hashTag()));
      }
      names[i] = io.netty.buffer.ByteBufUtil.getBytes(r.arg(keys[i]));
    }
    DeferredReply slot = session.defer();
    blocking = true;
    try {
      blocked =
          new Blocked(
              worker, session.id(), slot, args, h, names, session.protocol() == 3, this::unblocked);
      blocked.route();
    } finally {
      blocking = false;
    }
    return CommandHandler.DEFERRED;
  }

  /**
   * A script given no key: it runs on the backend at ring position 0, on a connection of its own
   * ({@link KeylessScript}), and the client's later requests wait for its reply.
   */
  private RedisMessage runKeyless(ProxyCommand command, Request r) {
    DeferredReply slot = session.defer();
    blocking = true;
    try {
      script = new KeylessScript(worker, slot, this::scriptDone);
      script.send(r, session.protocol() == 3, CommandFlags.writes(command.spec()));
    } finally {
      blocking = false;
    }
    return CommandHandler.DEFERRED;
  }

  /** The script given no key was answered: the requests that waited for it run. */
  private void scriptDone() {
    script = null;
    if (!blocking) {
      session.resume();
    }
  }

  /** The blocking command was answered: the requests that waited for it run. */
  private void unblocked() {
    blocked = null;
    if (!blocking) {
      session.resume();
    }
  }

  Transactions transactions() {
    Transactions tx = transactions;
    if (tx == null) {
      tx = transactions = new Transactions(session, worker, router);
    }
    return tx;
  }

  Subscriptions pubsub() {
    Subscriptions sub = subscriptions;
    if (sub == null) {
      sub = subscriptions = new Subscriptions(session, worker, router);
    }
    return sub;
  }

  FanOut fanOut() {
    FanOut f = fanOut;
    if (f == null) {
      f = fanOut = new FanOut(session, worker);
    }
    return f;
  }

  /**
   * Returns the fan-out of {@code s}: this connection's own, or for a command the proxy runs inside
   * EXEC ({@link TransactionLocals}) one whose replies go to that command's place.
   */
  FanOut fanOut(Session s) {
    return s == session ? fanOut() : new FanOut(s, worker);
  }

  RedisMessage scan(Request r) {
    return ProxyScan.scan(fanOut(), worker.topology(), r);
  }

  RedisMessage ring(Request r) {
    return RingAdmin.ring(session, proxy, fanOut(), router, worker.topology(), r);
  }

  @Override
  public void refused() {
    if (transactions != null) {
      transactions.refused();
    }
  }

  @Override
  public void reset() {
    if (transactions != null) {
      transactions.reset();
    }
    if (subscriptions != null) {
      subscriptions.close();
    }
  }

  @Override
  public int subscriptions() {
    Subscriptions sub = subscriptions;
    return sub == null ? 0 : sub.count(false);
  }

  @Override
  public int patternSubscriptions() {
    Subscriptions sub = subscriptions;
    return sub == null ? 0 : sub.count(true);
  }

  @Override
  public int queued() {
    Transactions tx = transactions;
    return tx == null ? -1 : tx.queuedCount();
  }

  @Override
  public boolean unblock(boolean error) {
    return blocked != null && blocked.unblockedByClient(error);
  }

  @Override
  public void closed() {
    if (blocked != null) {
      blocked.abandon();
    }
    if (script != null) {
      script.abandon();
      script = null;
    }
    if (transactions != null) {
      transactions.close();
    }
    if (subscriptions != null) {
      subscriptions.close();
    }
  }
}
