package io.ringlb.proxy;

import io.netty.handler.codec.redis.RedisMessage;
import io.ringlb.server.CommandHandler;
import io.ringlb.server.CommandSpec;
import io.ringlb.server.Request;
import io.ringlb.server.Session;

/**
 * Everything the proxy knows of one command, read from this one record after the front end looked
 * the command up: how it is routed, where its keys are, why it is refused, and which handler
 * answers it when the proxy answers it itself. What it may do inside MULTI or while subscribed is
 * in its {@link CommandSpec}'s flags ({@link CommandSpec#NO_QUEUE}, {@link
 * CommandSpec#PUBSUB_CONTEXT}).
 *
 * @param spec the name, arity and flags the front end checks
 * @param route how the proxy serves the command
 * @param keys where its keys are ({@link KeyPositions#NONE} for none)
 * @param refusal why the proxy does not serve it ({@link Route#REFUSED}), else null
 * @param local the handler of a command the proxy answers itself ({@link Route#LOCAL}), else null
 */
record ProxyCommand(
    CommandSpec spec, Route route, KeyPositions keys, String refusal, CommandHandler local)
    implements CommandHandler {

  /** How the proxy serves a command. */
  enum Route {
    /** One key, the first argument: sent to the key's owner. */
    KEY,
    /** Keys only (MGET): split by owner, replies reassembled in key order. */
    MGET,
    /** Keys only, integer reply (DEL, EXISTS, UNLINK, TOUCH): split by owner, replies summed. */
    COUNT_KEYS,
    /** Key-value pairs (MSET): split by owner, OK when every part is. */
    MSET,
    /**
     * Several keys in one atomic command (RENAME, SINTERSTORE, EVAL...): the keys must share a
     * routing hash (a hash tag), and the command goes whole to their owner.
     */
    SAME_SLOT,
    /**
     * A blocking command (BLPOP, BZPOPMIN...): its keys must be routed as one, as for {@link
     * #SAME_SLOT}, and it blocks on a connection of its own to their owner ({@link Blocked}).
     */
    BLOCKING,
    /** Answered by the proxy itself, or fanned out to every backend: {@link #local} does. */
    LOCAL,
    /** Known but not served through the proxy: {@link #refusal} says why. */
    REFUSED
  }

  /** Validates that the fields the route needs are there. */
  ProxyCommand {
    if ((route == Route.REFUSED) != (refusal != null)) {
      throw new IllegalArgumentException("a refusal goes with REFUSED, and only: " + spec.name());
    }
    if ((route == Route.LOCAL) != (local != null)) {
      throw new IllegalArgumentException(
          "a local handler goes with LOCAL, and only: " + spec.name());
    }
  }

  /** Returns the command's lowercase name. */
  String name() {
    return spec.name();
  }

  /** Returns whether the command, once known, is served (not refused). */
  boolean served() {
    return route != Route.REFUSED;
  }

  /** Returns whether the command is sent to a backend by its keys (not local, not refused). */
  boolean routedByKeys() {
    return route != Route.LOCAL && route != Route.REFUSED;
  }

  /**
   * Returns whether the command may be queued inside MULTI by its keys: those routed by keys, the
   * blocking commands among them, which Redis runs inside a transaction without blocking.
   */
  boolean queuedByKeys() {
    return routedByKeys();
  }

  /** Serves the command for its connection's {@link ProxyClient}. */
  @Override
  public RedisMessage execute(Session session, Request request) {
    return ((ProxyClient) session.state()).serve(this, request);
  }
}
