package io.ringlb.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.redis.ErrorRedisMessage;
import io.netty.handler.codec.redis.IntegerRedisMessage;
import io.netty.handler.codec.redis.RedisMessage;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayList;
import java.util.List;

/**
 * The writes of one backend connection waiting for their replicas ({@code durability: replicated}):
 * the writes sent since the last flush form a group, followed on the connection by one {@code WAIT
 * min-replicas timeout}; their replies are held until WAIT answers, then passed on when enough
 * replicas have them, or replaced by an error naming the shard.
 *
 * <p>One WAIT covers every write before it on the connection (Redis counts the replicas that
 * acknowledged the connection's last write offset), so a pipeline of writes costs one WAIT, and a
 * connection carrying no write sends none. On the connection's event loop only.
 */
final class ReplicaWaits {

  private final Backend backend;
  private final int minReplicas;
  private final long timeoutMillis;
  private final byte[] wait;

  /** The writes queued since the last WAIT was, or null. */
  private Group open;

  ReplicaWaits(Backend backend, Durability durability) {
    this.backend = backend;
    this.minReplicas = durability.minReplicas();
    this.timeoutMillis = durability.timeout().toMillis();
    ByteBuf encoded =
        Resp.command("WAIT", Integer.toString(minReplicas), Long.toString(timeoutMillis));
    this.wait = new byte[encoded.readableBytes()];
    encoded.readBytes(wait);
    encoded.release();
  }

  /** Returns the pending to queue in place of {@code write}: its reply is held for the WAIT. */
  Pending hold(Pending write) {
    Group g = open;
    if (g == null) {
      g = open = new Group();
    }
    Held h = new Held(write);
    g.held.add(h);
    return h;
  }

  /** Returns whether writes were queued since the last WAIT. */
  boolean pending() {
    return open != null;
  }

  /** Appends WAIT to {@code out} and returns its pending, which releases the held replies. */
  Pending follow(ByteBuf out) {
    Group g = open;
    open = null;
    out.writeBytes(wait);
    return g;
  }

  /** Forgets the open group: its writes failed with the connection. */
  void reset() {
    open = null;
  }

  /** A write's reply, kept until its group's WAIT answers. */
  private static final class Held extends Pending {
    private final Pending write;
    private ByteBuf raw;
    private RedisMessage message;
    private boolean answered;
    private boolean done;

    Held(Pending write) {
      this.write = write;
    }

    @Override
    boolean raw() {
      return write.raw();
    }

    @Override
    void completeRaw(ByteBuf reply) {
      raw = Unpooled.copiedBuffer(reply);
      answered = true;
    }

    @Override
    void complete(RedisMessage reply) {
      message = reply;
      answered = true;
    }

    @Override
    void fail(String error) {
      if (done) {
        return;
      }
      done = true;
      release();
      write.fail(error);
    }

    /** Returns whether the write's own reply is an error (nothing to wait for). */
    boolean failedItself() {
      return raw != null
          ? raw.isReadable() && raw.getByte(raw.readerIndex()) == '-'
          : message instanceof ErrorRedisMessage;
    }

    /** Passes the held reply on. */
    void deliver() {
      if (done) {
        return;
      }
      done = true;
      if (raw != null) {
        try {
          write.completeRaw(raw);
        } finally {
          release();
        }
      } else {
        RedisMessage m = message;
        message = null;
        write.complete(m);
      }
    }

    private void release() {
      if (raw != null) {
        raw.release();
        raw = null;
      }
      if (message != null) {
        ReferenceCountUtil.release(message);
        message = null;
      }
    }
  }

  /** The WAIT following a group of writes. */
  private final class Group extends Pending {
    private final List<Held> held = new ArrayList<>(4);

    @Override
    void complete(RedisMessage reply) {
      long acknowledged = -1;
      String error = null;
      if (reply instanceof IntegerRedisMessage n) {
        acknowledged = n.value();
      } else if (reply instanceof ErrorRedisMessage e) {
        error = "ERR ringlb: " + shard() + " refused WAIT: " + e.content();
      } else {
        error = "ERR ringlb: " + shard() + " answered WAIT with something else than a count";
      }
      ReferenceCountUtil.release(reply);
      if (error == null && acknowledged < minReplicas) {
        backend.countUnreplicated();
        error =
            "NOREPLICAS ringlb: "
                + shard()
                + ": write not acknowledged by "
                + minReplicas
                + (minReplicas == 1 ? " replica" : " replicas")
                + " within "
                + timeoutMillis
                + " ms ("
                + acknowledged
                + " did); it may or may not have been applied";
      }
      for (Held h : held) {
        if (!h.answered) {
          continue; // failed with the connection, before its reply came
        }
        if (error == null || h.failedItself()) {
          h.deliver();
        } else {
          h.fail(error);
        }
      }
    }

    @Override
    void fail(String error) {
      for (Held h : held) {
        h.fail(error);
      }
    }
  }

  /** {@code backend ID (ADDRESS)}, with the primary's address for a Sentinel-managed shard. */
  private String shard() {
    BackendSpec t = backend.target();
    return backend.managed() && t != null
        ? backend.describe() + " at " + t.address()
        : backend.describe();
  }
}
