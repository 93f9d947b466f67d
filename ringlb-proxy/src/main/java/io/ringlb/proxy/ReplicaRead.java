package io.ringlb.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.redis.RedisMessage;

/**
 * A client's read sent to a replica ({@code read-from}): its reply goes to the client; when the
 * replica cannot be reached or does not answer in time, the read goes to the primary ({@code
 * replica-preferred}) or fails with an error naming the shard and the replica ({@code replica}).
 */
final class ReplicaRead extends Pending {

  private final ClientReply reply;
  private final ByteBuf request;
  private final Backend replica;
  private final Backend primary;
  private final ReplicaReads reads;
  private final Worker worker;
  private final long client;
  private final boolean resp3;

  /**
   * A read of {@code request} (in RESP, owned) to {@code replica} of {@code primary}'s shard, over
   * a RESP3 connection when {@code resp3} (the client's protocol).
   */
  ReplicaRead(
      ClientReply reply,
      ByteBuf request,
      Backend replica,
      Backend primary,
      ReplicaReads reads,
      Worker worker,
      long client,
      boolean resp3) {
    this.reply = reply;
    this.request = request;
    this.replica = replica;
    this.primary = primary;
    this.reads = reads;
    this.worker = worker;
    this.client = client;
    this.resp3 = resp3;
  }

  /** Sends the read to the replica, on the worker's loop. */
  void send() {
    replica.connection(worker, client, resp3).sendEncoded(request, this);
  }

  @Override
  boolean raw() {
    return true;
  }

  @Override
  void completeRaw(ByteBuf bytes) {
    ReplicaReads.answered(replica);
    request.release();
    reply.completeRaw(bytes);
  }

  @Override
  void complete(RedisMessage message) {
    ReplicaReads.answered(replica);
    request.release();
    reply.complete(message);
  }

  @Override
  void fail(String error) {
    if (reads.replicaOnly()) {
      request.release();
      reply.fail(
          "ERR ringlb: "
              + primary.describe()
              + ": the read from replica "
              + replica.address()
              + " failed (read-from: replica): "
              + (error.startsWith("ERR ") ? error.substring(4) : error));
      return;
    }
    primary.connection(worker, client, resp3).sendEncoded(request, reply);
    request.release();
  }
}
