package io.ringlb.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.redis.RedisMessage;
import io.ringlb.server.DeferredReply;

/**
 * A backend's reply delivered as the reply of one client request, passed on as the backend's RESP
 * bytes; the end of the request is counted for the topology it was routed by.
 */
final class ClientReply extends Pending {

  private final DeferredReply slot;
  private final Worker worker;
  private final Topology topology;

  /** Counts a request routed by {@code topology} as begun; its reply goes to {@code slot}. */
  ClientReply(DeferredReply slot, Worker worker, Topology topology) {
    this.slot = slot;
    this.worker = worker;
    this.topology = topology;
    worker.begin();
  }

  @Override
  boolean raw() {
    return true;
  }

  @Override
  void completeRaw(ByteBuf reply) {
    slot.completeRaw(reply);
    worker.end(topology);
  }

  @Override
  void complete(RedisMessage reply) {
    slot.complete(reply);
    worker.end(topology);
  }

  @Override
  void fail(String error) {
    slot.fail(error);
    worker.end(topology);
  }
}
