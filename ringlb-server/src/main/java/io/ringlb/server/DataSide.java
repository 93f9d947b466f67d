package io.ringlb.server;

import io.netty.handler.codec.redis.RedisMessage;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The data side of a {@link RespServer}: the commands that read and write keys, and whatever holds
 * the keys.
 *
 * <p>This is the server's extension point; ringlb has two, the embedded server memories ({@code
 * io.ringlb.server.embedded}) and the sharding proxy over redis-servers ({@code io.ringlb.proxy}).
 * The front end is the same for every data side: the Netty pipeline, request limits, the command
 * table (lookup, arity, authentication), replies in request order with backpressure, and the
 * connection commands (PING, ECHO, QUIT, AUTH, HELLO, SELECT, TIME, CLIENT, COMMAND, CONFIG, RESET,
 * and INFO's server, clients, memory and stats sections). A data side adds to it:
 *
 * <ol>
 *   <li><b>Commands</b>, registered once in {@link #register} with a {@link CommandSpec} (name,
 *       arity, flags, key positions) and a {@link CommandHandler}. A handler runs on the
 *       connection's event loop and either returns its reply, or takes a slot with {@link
 *       Session#defer()}, returns {@link CommandHandler#DEFERRED} and completes the slot later,
 *       from any thread, with a message ({@link DeferredReply#complete}) or, on the event loop,
 *       with RESP bytes passed through as they are ({@link DeferredReply#completeRaw}, what a proxy
 *       does with a backend's reply). Replies are written in request order whatever order slots
 *       complete in, and at most once per event-loop turn.
 *   <li><b>Per-connection state</b>, from {@link #open}: a {@link ConnectionState} that sees every
 *       command of its connection before its handler ({@link ConnectionState#before}), so that it
 *       can queue commands inside MULTI, refuse them in subscribed mode, or hold them (return
 *       {@link CommandHandler#HELD}, then {@link Session#resume()}) while the data side changes its
 *       topology; it is told when its connection is RESET and closed.
 *   <li><b>Its own parts of INFO</b> ({@link #infoSections}, {@link #info}), which may be gathered
 *       asynchronously, its parameters for CONFIG GET and SET ({@link #configGet}, {@link
 *       #configSet}), what it shows of its ring on the HTTP port ({@link #view}), and a better
 *       source for COMMAND's descriptions ({@link #describeCommands}) when the data side knows more
 *       than its command table.
 *   <li><b>Lifecycle</b>: {@link #start} once the event loops run (before the port is bound),
 *       {@link #stopping} when the server stops accepting, {@link #close} after the last connection
 *       closed.
 * </ol>
 *
 * <p>Messages pushed to a client outside request/reply (pub/sub) go through {@link Session#push}.
 */
public interface DataSide extends AutoCloseable {

  /** Registers this data side's commands; called once, before the server accepts connections. */
  void register(CommandRegistry registry);

  /**
   * Called once the server's event loops run, before the port is bound and before {@link
   * #register}, e.g. to set up per-loop state or schedule background work.
   *
   * @throws Exception if the data side cannot start; the server then does not start either
   */
  default void start(ServerRuntime runtime) throws Exception {}

  /**
   * Returns the state of a new client connection, called on its event loop when it becomes active;
   * {@link ConnectionState#NONE} when the data side keeps none.
   */
  default ConnectionState open(Session session) {
    return ConnectionState.NONE;
  }

  /**
   * Returns whether clients may run the registered command {@code name} (lowercase): false for a
   * command registered only to be refused with its reason. COMMAND COUNT and COMMAND LIST count and
   * list the commands served.
   */
  default boolean serves(String name) {
    return true;
  }

  /** Returns the clients waiting in a blocking command now, as INFO's {@code blocked_clients}. */
  default int blockedClients() {
    return 0;
  }

  /** Returns the name INFO shows as {@code ringlb_mode} ({@code embedded}, {@code proxy}). */
  default String mode() {
    return "embedded";
  }

  /**
   * Starts this data side's own INFO counters (hits, misses...) again from 0: CONFIG RESETSTAT,
   * after the front end reset its command and error counts.
   */
  default void resetStats() {}

  /** Returns the INFO sections this data side adds, lowercase, in the order shown. */
  default String[] infoSections() {
    return new String[0];
  }

  /**
   * Returns this data side's lines of each wanted INFO section ({@code field:value}, each ending in
   * CRLF), by lowercase section name: a line of a field the front end shows too replaces the front
   * end's in place (the proxy's {@code redis_version}), the others follow the front end's. {@code
   * sections} holds the sections asked for, among the front end's and {@link #infoSections()}. May
   * complete later, on any thread (a proxy asks its backends for key counts), and must complete
   * within the data side's own request timeout.
   */
  default CompletionStage<Map<String, String>> info(Set<String> sections) {
    Map<String, String> lines = new HashMap<>();
    for (String section : sections) {
      StringBuilder out = new StringBuilder();
      info(section, out);
      if (out.length() > 0) {
        lines.put(section, out.toString());
      }
    }
    return CompletableFuture.completedFuture(lines);
  }

  /**
   * Appends this data side's lines of INFO section {@code section} at once; what the default {@link
   * #info(Set)} calls for each section, for a data side whose INFO needs no waiting.
   */
  default void info(String section, StringBuilder out) {}

  /**
   * Returns this data side's own CONFIG parameters and their current values, by lowercase name:
   * CONFIG GET matches them after the front end's, and CONFIG SET of one reaches {@link #configSet}
   * (a name given twice refused by the front end). None by default.
   */
  default Map<String, String> configParameters() {
    return Map.of();
  }

  /**
   * Answers CONFIG GET: {@code matched} holds the front end's parameters (port, bind,
   * maxclients...) and this data side's own that match the request's names and patterns, in order,
   * named as the client did when it named one exactly. The default answers them alone; a data side
   * with servers behind it adds theirs. May defer its reply like a handler.
   */
  default RedisMessage configGet(Session session, Request request, Map<String, String> matched) {
    return ConfigReplies.pairs(session.alloc(), matched);
  }

  /**
   * Answers CONFIG SET once the front end took its share (the arguments in pairs, its own
   * parameters refused or left as they are): {@code changes} holds the other pairs, in order, named
   * as the client did. All of them are applied, or none, with redis-server's error for the first
   * refused ({@link ConfigReplies}). The default knows none of them. May defer its reply like a
   * handler.
   */
  default RedisMessage configSet(
      Session session, Request request, List<Map.Entry<String, String>> changes) {
    return Replies.error(ConfigReplies.unknown(changes.get(0).getKey()));
  }

  /**
   * Returns what this data side shows of its ring now (servers, keys, arcs, migration), for the
   * HTTP port's metrics, readiness and dashboard. May complete later, on any thread (a proxy asks
   * its backends for key counts), within the data side's own request timeout; called a few times a
   * second at most, never on the hot path.
   */
  default CompletionStage<RingView> view() {
    return CompletableFuture.completedFuture(RingView.none(mode()));
  }

  /**
   * Answers {@code COMMAND}, {@code COMMAND INFO}, {@code COMMAND DOCS} or {@code COMMAND
   * GETKEYS[ANDFLAGS]} from a better source than the command table (a proxy asks a backend), or
   * returns null to let the front end answer from the table. May defer its reply like a handler.
   */
  default RedisMessage describeCommands(Session session, Request request) {
    return null;
  }

  /**
   * The server stopped accepting and is about to finish the replies of requests already read: end
   * long work now (a proxy stops its migration, which stays recorded, and answers the ring change
   * waiting for it), so that no reply waits for it.
   */
  default void stopping() {}

  /** Releases what the data side holds, after the last connection has closed. */
  @Override
  default void close() {}
}
