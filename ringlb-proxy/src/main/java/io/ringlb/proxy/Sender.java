package io.ringlb.proxy;

import io.netty.buffer.ByteBuf;

/**
 * What a request sends to its keys' owner once they are there: sent at once, or after a migration
 * moved the keys ({@link KeyMove}).
 */
interface Sender {

  /** Sends on {@code owner}, the pooled connection to the keys' owner. */
  void sendTo(BackendConnection owner);

  /** The keys could not be brought to their owner: answer {@code error} instead. */
  void fail(String error);

  /**
   * Returns whether this sender sends on a connection of its own (a client's WATCH connection)
   * whatever connection it is given, so that it can be sent to the keys' owner only.
   */
  default boolean pinned() {
    return false;
  }

  /** Returns a sender of {@code command} (RESP, released once sent or failed) for {@code reply}. */
  static Sender encoded(ByteBuf command, Pending reply) {
    return new Sender() {
      @Override
      public void sendTo(BackendConnection owner) {
        owner.sendEncoded(command, reply);
        command.release();
      }

      @Override
      public void fail(String error) {
        command.release();
        reply.fail(error);
      }
    };
  }

  /** Returns {@code sender} sending on {@code connection} rather than the owner's pooled one. */
  static Sender on(BackendConnection connection, Sender sender) {
    return new Sender() {
      @Override
      public void sendTo(BackendConnection pooled) {
        sender.sendTo(connection);
      }

      @Override
      public void fail(String error) {
        sender.fail(error);
      }

      @Override
      public boolean pinned() {
        return true;
      }
    };
  }
}
