package io.ringlb.server;

import io.netty.handler.codec.redis.RedisMessage;

/** The reply slot of a command that answers later; thread-safe, completed exactly once. */
public interface DeferredReply {

  /**
   * Delivers the reply; it is written once every earlier reply of the connection is. Takes
   * ownership of {@code reply} (released if the connection has gone).
   *
   * @throws IllegalStateException if the slot was already completed
   */
  void complete(RedisMessage reply);

  /** Delivers an error reply; {@code error} is the text without the leading {@code -}. */
  default void fail(String error) {
    complete(Replies.error(error));
  }
}
