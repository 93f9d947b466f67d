package io.ringlb.server;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.redis.RedisMessage;

/** The reply slot of a command that answers later; completed exactly once. */
public interface DeferredReply {

  /**
   * Delivers the reply, from any thread; it is written once every earlier reply of the connection
   * is. Takes ownership of {@code reply} (released if the connection has gone).
   *
   * @throws IllegalStateException if the slot was already completed
   */
  void complete(RedisMessage reply);

  /**
   * Delivers the reply as RESP bytes, passed to the client as they are (a backend's reply through a
   * proxy). The readable bytes of {@code resp} are copied during the call and not owned. On the
   * connection's event loop the bytes go straight into its output when no earlier reply is
   * outstanding; from another thread they are copied first.
   *
   * @throws IllegalStateException if the slot was already completed
   */
  void completeRaw(ByteBuf resp);

  /** Delivers an error reply; {@code error} is the text without the leading {@code -}. */
  default void fail(String error) {
    complete(Replies.error(error));
  }
}
