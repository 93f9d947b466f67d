package io.ringlb.proxy;

import io.netty.channel.Channel;
import io.netty.handler.codec.redis.ErrorRedisMessage;
import io.netty.handler.codec.redis.RedisMessage;
import io.netty.util.ReferenceCountUtil;

/**
 * What a new connection to a redis-server asks before it carries a request: whether the server took
 * the password (AUTH, which {@link Upstream} writes first) and {@code HELLO 3}, and on a
 * Sentinel-managed shard whether {@code ROLE} says it is the primary.
 */
final class BackendHandshake {

  /** What the connection does with the answers. */
  interface Outcome {

    /**
     * The server refused {@code what} with {@code error}; {@code login}: it was the password, whose
     * refusal the upstream hears of (fencing).
     */
    void refused(String what, boolean login, String error);

    /**
     * The server on {@code ch} answered ROLE with {@code said} ({@code master}, {@code slave}...).
     */
    void roleSaid(Channel ch, String said);
  }

  private BackendHandshake() {}

  /**
   * Writes {@code HELLO 3} (for {@code resp3}) and {@code ROLE} (for a {@code managed} shard) on
   * {@code ch}, and puts the checks of their replies, and of AUTH's when the upstream {@code
   * authenticates}, at the head of {@code replies}; returns whether ROLE was asked, when nothing
   * may be sent until the server says it is the primary.
   */
  static boolean start(
      Channel ch,
      boolean resp3,
      boolean managed,
      boolean authenticates,
      long timeoutNanos,
      ReplySlots replies,
      Outcome outcome) {
    boolean verifying = false;
    Pending hello = null;
    if (resp3) {
      // After AUTH (Upstream wrote it first), before ROLE and every request.
      ch.write(Resp.command("HELLO", "3"), ch.voidPromise());
      hello = new Refusal("RESP3 (HELLO 3)", false, outcome);
      hello.deadline(System.nanoTime() + timeoutNanos);
    }
    if (managed) {
      // Nothing is sent until the server says it is the primary: a stale one gets no write.
      verifying = true;
      ch.writeAndFlush(Resp.command("ROLE"), ch.voidPromise());
      Pending role = new RoleCheck(ch, outcome);
      role.deadline(System.nanoTime() + timeoutNanos);
      replies.addFirst(role);
    }
    if (hello != null) {
      replies.addFirst(hello);
    }
    if (authenticates) {
      // Upstream wrote AUTH first: its reply comes before those of the requests queued.
      Pending check = new Refusal("the password", true, outcome);
      check.deadline(System.nanoTime() + timeoutNanos);
      replies.addFirst(check);
    }
    return verifying;
  }

  /** A reply the connection asked for itself (AUTH, ROLE), before any request. */
  abstract static class Check extends Pending {}

  /** The answer to AUTH or {@code HELLO 3}: a server that refuses it gets no request. */
  private static final class Refusal extends Check {
    private final String what;
    private final boolean login;
    private final Outcome outcome;

    /** {@code login}: the check of the login, whose refusal the upstream hears of (fencing). */
    Refusal(String what, boolean login, Outcome outcome) {
      this.what = what;
      this.login = login;
      this.outcome = outcome;
    }

    @Override
    void complete(RedisMessage reply) {
      if (reply instanceof ErrorRedisMessage error) {
        outcome.refused(what, login, error.content());
      }
      ReferenceCountUtil.release(reply);
    }

    @Override
    void fail(String error) {}
  }

  /** Hands the connection what the server said it is, to send the requests queued or wait again. */
  private static final class RoleCheck extends Check {
    private final Channel ch;
    private final Outcome outcome;

    RoleCheck(Channel ch, Outcome outcome) {
      this.ch = ch;
      this.outcome = outcome;
    }

    @Override
    void complete(RedisMessage reply) {
      Object role;
      try {
        role = Values.toValue(reply);
      } finally {
        ReferenceCountUtil.release(reply);
      }
      String said =
          role instanceof java.util.List<?> l && !l.isEmpty() && l.get(0) instanceof byte[] b
              ? new String(b, java.nio.charset.StandardCharsets.US_ASCII)
              : String.valueOf(role);
      outcome.roleSaid(ch, said);
    }

    @Override
    void fail(String error) {}
  }
}
