package io.ringlb.server;

import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.redis.RedisMessage;

/** One client connection as a command handler and its {@link DataSide} see it. */
public interface Session {

  /** Returns the connection's id, unique for the server's lifetime ({@code CLIENT ID}). */
  long id();

  /** Returns the name set with {@code CLIENT SETNAME}, or null. */
  String name();

  /**
   * Returns the protocol the client speaks, 2 or 3 ({@code HELLO 3}): the front end encodes the
   * replies for it, and a data side that must answer differently in RESP3 asks.
   */
  int protocol();

  /** Returns the allocator replies should take buffers from. */
  ByteBufAllocator alloc();

  /** Returns the event loop the connection runs on. */
  EventLoop eventLoop();

  /** Returns the data side's state of this connection, from {@link DataSide#open}. */
  ConnectionState state();

  /**
   * Returns a bulk-string reply holding a copy of {@code length} bytes of {@code bytes}. When no
   * reply is outstanding before this one, the copy is encoded straight into the connection's output
   * and the result is a marker, which the handler must return as its reply and use for nothing
   * else. Only callable from within {@link CommandHandler#execute}.
   */
  RedisMessage bulk(byte[] bytes, int offset, int length);

  /**
   * Takes the reply slot of the command being executed; the handler then returns {@link
   * CommandHandler#DEFERRED} and completes the slot later. Only callable from within {@link
   * CommandHandler#execute} or {@link ConnectionState#before}, once per command.
   */
  DeferredReply defer();

  /**
   * Sends {@code message} to the client outside request/reply (a pub/sub message), after every
   * reply already due; takes ownership of it. Callable from any thread.
   */
  void push(RedisMessage message);

  /**
   * Runs the requests held since a handler or {@link ConnectionState#before} returned {@link
   * CommandHandler#HELD}, in order, then reads on. Callable from any thread.
   */
  void resume();

  /** Returns whether replies of earlier requests are still to come. */
  default boolean awaitingReplies() {
    return false;
  }

  /**
   * Runs {@link #resume} once every earlier request has been answered: for a request held ({@link
   * CommandHandler#HELD}) until then, as one sent on another connection than theirs could overtake
   * them.
   */
  default void resumeWhenAnswered() {
    resume();
  }

  /** Closes the connection once the reply of the running command has been written (QUIT). */
  void closeAfterReply();
}
