package io.ringlb.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.redis.RedisDecoder;
import io.netty.util.ReferenceCountUtil;
import io.ringlb.server.TurnFlusher;
import java.net.ConnectException;

/**
 * One pipelined connection to a redis-server, owned by one event loop.
 *
 * <p>Requests are appended, in RESP form, to one buffer and their {@link Pending}s queued in the
 * same order; each reply completes the head of the queue. The buffer is written once per event-loop
 * turn by the {@link Worker}, so requests of many clients share one system call. Values are decoded
 * by netty-codec-redis's {@code RedisDecoder} and assembled by a {@link ReplyAssembler}. A request
 * not answered within the request timeout fails with every request behind it on the connection
 * (their replies could no longer be matched), and the connection is closed; the next request
 * connects again. After a failed connect, requests fail at once for a short while instead of piling
 * up.
 *
 * <p>To a Sentinel-managed shard it connects to the primary Sentinel names now, and asks it {@code
 * ROLE} before sending anything: a server that says it is not a primary gets no request. While the
 * shard has no reachable primary, requests wait (each up to the request timeout) and the connection
 * tries again every {@value #RECONNECT_MANAGED_MILLIS} ms; when the shard fails over, {@link
 * #retarget} closes the connection to the old primary.
 *
 * <p>A RESP3 connection (for clients that said {@code HELLO 3}) says {@code HELLO 3} first when it
 * opens, and frames its replies with a {@link Resp3FrameDecoder} instead: they pass on to a client
 * as they came, or are read with {@link Resp3Reader}; a push that is no reply (client tracking) is
 * dropped.
 */
final class BackendConnection implements TurnFlusher.Flushable, BackendHandshake.Outcome {

  /** How long requests fail fast after a failed connect before the next connect attempt. */
  private static final long RETRY_AFTER_FAILURE_NANOS = 250_000_000L;

  /** How often a connection to a Sentinel-managed shard with requests waiting tries again. */
  static final long RECONNECT_MANAGED_MILLIS = 100;

  private final Backend backend;
  private final Worker worker;
  private final Upstream upstream;
  private final long timeoutNanos;
  private final boolean resp3;

  private Channel channel;
  private boolean connecting;
  private boolean closed;
  private int generation;

  /** Times the connection was dropped or moved to another primary, see {@link #drops}. */
  private int drops;

  private long retryAt;
  private String downError;

  /** Sentinel-managed: a connect is scheduled while requests wait for a primary. */
  private boolean awaiting;

  /** Sentinel-managed: connected, ROLE asked, nothing sent until it says master. */
  private boolean verifying;

  /** Requests sent or queued, oldest first; each reply completes the head. */
  private final ReplySlots replies;

  /** Commands encoded since the last flush (while connecting: since the start). */
  private ByteBuf out;

  /** With {@code durability: replicated}: the writes waiting for their WAIT; else null. */
  private final ReplicaWaits waits;

  private boolean dirty;

  /** A connection to {@code backend} of {@code worker}'s, speaking RESP3 when {@code resp3}. */
  BackendConnection(Backend backend, Worker worker, boolean resp3) {
    this.backend = backend;
    this.resp3 = resp3;
    this.worker = worker;
    this.upstream = worker.upstream();
    this.timeoutNanos = upstream.requestTimeoutNanos();
    Durability d = upstream.durability();
    this.waits = d.replicated() ? new ReplicaWaits(backend, d) : null;
    this.replies = new ReplySlots(backend::recordSuccess, backend::countErrorReply);
  }

  /** Returns whether the connection speaks RESP3 (it said HELLO 3 when opened). */
  boolean resp3() {
    return resp3;
  }

  EventLoop loop() {
    return worker.loop();
  }

  /**
   * Returns how many times the connection was dropped or moved to another primary: when it changed,
   * what the server kept for the connection before (MULTI, WATCH) is gone, as the next request goes
   * on a new one.
   */
  int drops() {
    return drops;
  }

  /** Sends a command of {@code argc} arguments (copied) and completes {@code pending}. */
  void send(ByteBuf[] args, int argc, Pending pending) {
    if (admit(pending)) {
      Resp.writeCommand(out(), args, argc);
      queued(pending);
    }
  }

  /** Sends a client's request (copied) and completes {@code pending}. */
  void send(io.ringlb.server.Request r, Pending pending) {
    if (admit(pending)) {
      Resp.writeCommand(out(), r);
      queued(pending);
    }
  }

  /** Sends a command already in RESP form (copied, not released). */
  void sendEncoded(ByteBuf command, Pending pending) {
    if (admit(pending)) {
      out().writeBytes(command, command.readerIndex(), command.readableBytes());
      queued(pending);
    }
  }

  /**
   * Sends a command of {@code String} and {@code byte[]} arguments (see {@link
   * Resp#writeCommand(ByteBuf, Object...)}) and completes {@code pending} with its reply.
   */
  void send(Object[] args, Pending pending) {
    if (admit(pending)) {
      Resp.writeCommand(out(), args);
      queued(pending);
    }
  }

  /**
   * Sends a blocking command (see {@link Blocked}): its reply is overdue only {@code waitNanos}
   * after the request timeout, as the command itself may wait that long for data.
   */
  void sendBlocking(Object[] args, Pending pending, long waitNanos) {
    if (admit(pending)) {
      Resp.writeCommand(out(), args);
      pending.deadline(pending.deadline() + waitNanos);
      queued(pending);
    }
  }

  /** Checks that a request may be queued now, connecting if needed; fails it otherwise. */
  private boolean admit(Pending pending) {
    pending.deadline(System.nanoTime() + timeoutNanos);
    if (channel != null || connecting || awaiting) {
      return true;
    }
    if (closed) {
      pending.fail("ERR ringlb: " + backend.describe() + " left the ring");
      return false;
    }
    if (!backend.managed() && System.nanoTime() - retryAt < 0) {
      pending.fail(downError);
      return false;
    }
    connect();
    return true;
  }

  private ByteBuf out() {
    ByteBuf o = out;
    if (o == null) {
      o = out = PooledByteBufAllocator.DEFAULT.directBuffer(1024);
    }
    return o;
  }

  private void queued(Pending request) {
    Pending pending = request;
    if (waits != null && request.write()) {
      pending = waits.hold(request);
      pending.deadline(request.deadline());
    }
    pending.end(out.writerIndex());
    replies.add(pending);
    backend.countRequest();
    if (!dirty && channel != null) {
      dirty = true;
      worker.markDirty(this);
    }
  }

  /** Writes what {@link #send} queued; called once per loop turn by the loop's flusher. */
  @Override
  public void flush() {
    dirty = false;
    Channel ch = channel;
    ByteBuf o = out;
    if (ch != null && !verifying && o != null && o.isReadable()) {
      if (waits != null && waits.pending()) {
        // One WAIT after the writes of this turn: their replies are held until it answers.
        Pending w = waits.follow(o);
        w.deadline(System.nanoTime() + timeoutNanos);
        w.end(o.writerIndex());
        replies.add(w);
      }
      out = null;
      ch.writeAndFlush(o, ch.voidPromise());
    }
  }

  private void connect() {
    awaiting = false;
    BackendSpec target = backend.target();
    if (target == null) {
      await("ERR ringlb: " + backend.describe() + " has no primary: Sentinel names none yet");
      return;
    }
    connecting = true;
    int gen = ++generation;
    ChannelFuture future =
        upstream.connect(
            worker.loop(),
            target,
            ch ->
                ch.pipeline()
                    .addLast(resp3 ? new Resp3FrameDecoder() : new RedisDecoder())
                    .addLast(new Handler(gen)));
    future.addListener(f -> connected(future, gen));
  }

  /**
   * Sentinel-managed, no primary reachable: keeps what waits (up to each deadline) and tries again
   * soon; with nothing waiting, the next request connects.
   */
  private void await(String error) {
    downError = error;
    if (replies.isEmpty() || closed) {
      return;
    }
    awaiting = true;
    int gen = generation;
    worker
        .loop()
        .schedule(
            () -> {
              if (awaiting && gen == generation && channel == null && !connecting && !closed) {
                connect();
              }
            },
            RECONNECT_MANAGED_MILLIS,
            java.util.concurrent.TimeUnit.MILLISECONDS);
  }

  /**
   * The shard failed over: closes the connection to the old primary, failing with {@code error}
   * what was sent on it; requests not sent yet go to the new primary. On this loop.
   */
  void retarget(String error) {
    if (closed) {
      return;
    }
    if (channel != null && !verifying) {
      drop(error);
      return;
    }
    Channel ch = channel;
    channel = null;
    verifying = false;
    generation++;
    drops++;
    connecting = false;
    dropChecks();
    if (ch != null) {
      ch.close();
    }
    replies.resetAssembler();
    if (!replies.isEmpty()) {
      connect();
    }
  }

  /** Removes the AUTH and ROLE checks at the head of the queue: nothing else was sent. */
  private void dropChecks() {
    while (replies.peek() instanceof BackendHandshake.Check) {
      replies.poll();
    }
  }

  private void connected(ChannelFuture future, int gen) {
    if (gen != generation) {
      future.channel().close();
      return;
    }
    connecting = false;
    if (!future.isSuccess()) {
      Throwable cause = future.cause();
      String reason =
          cause instanceof ConnectException
              ? "connection refused"
              : String.valueOf(
                  cause.getMessage() != null
                      ? cause.getMessage()
                      : cause.getClass().getSimpleName());
      if (backend.managed()) {
        String error =
            "ERR ringlb: "
                + backend.describe()
                + " has no reachable primary: "
                + reason
                + " at "
                + backend.target().address();
        backend.recordFailure(error);
        await(error);
        return;
      }
      downError = "ERR ringlb: " + backend.describe() + " is down: " + reason;
      retryAt = System.nanoTime() + RETRY_AFTER_FAILURE_NANOS;
      failAll(downError);
      backend.recordFailure(downError);
      return;
    }
    Channel ch = future.channel();
    if (closed) {
      ch.close();
      failAll("ERR ringlb: " + backend.describe() + " left the ring");
      return;
    }
    channel = ch;
    verifying =
        BackendHandshake.start(
            ch, resp3, backend.managed(), upstream.authenticates(), timeoutNanos, replies, this);
    dirty = false;
    flush();
    ch.flush();
  }

  /** Fails requests that waited past their deadline; called periodically by the worker. */
  void checkTimeouts(long now) {
    Pending head = replies.peek();
    if (head != null && channel == null && backend.managed()) {
      // Nothing sent: each request waits its own time for a primary.
      while (head != null && now - head.deadline() > 0) {
        replies.poll();
        backend.countTimeout();
        if (out != null) {
          out.readerIndex(head.end());
        }
        head.fail(
            (downError != null
                    ? downError
                    : "ERR ringlb: " + backend.describe() + " has no reachable primary")
                + " (waited "
                + upstream.requestTimeoutMillis()
                + " ms)");
        head = replies.peek();
      }
      if (head == null && out != null) {
        out.release();
        out = null;
      }
      return;
    }
    if (head != null && now - head.deadline() > 0) {
      backend.countTimeout();
      abandon(
          "ERR ringlb: "
              + backend.describe()
              + " did not answer within "
              + upstream.requestTimeoutMillis()
              + " ms");
    }
  }

  /** Fails everything queued with {@code error}, drops the connection, and counts a failure. */
  private void abandon(String error) {
    drop(error);
    backend.recordFailure(error);
  }

  /** Closes for good: the backend left the ring (or the client owning the connection left). */
  void close(String error) {
    closed = true;
    drop(error);
  }

  /** Fails everything queued with {@code error} and closes the channel, ignoring its events. */
  private void drop(String error) {
    Channel ch = channel;
    channel = null;
    connecting = false;
    verifying = false;
    awaiting = false;
    generation++;
    drops++;
    failAll(error);
    if (ch != null) {
      ch.close();
    }
  }

  private void failAll(String error) {
    replies.resetAssembler();
    if (waits != null) {
      waits.reset();
    }
    if (out != null) {
      out.release();
      out = null;
    }
    replies.failAll(error);
  }

  int queued() {
    return replies.size();
  }

  /** Returns whether the connection is up now (the next request goes on the same channel). */
  boolean connected() {
    return channel != null && !verifying;
  }

  @Override
  public void refused(String what, boolean login, String error) {
    if (login) {
      upstream.loginRefused();
    }
    abandon("ERR ringlb: " + backend.describe() + " refused " + what + ": " + error);
  }

  /** Sends the requests queued once the server says it is the primary; otherwise waits again. */
  @Override
  public void roleSaid(Channel ch, String said) {
    if (channel != ch) {
      return;
    }
    if ("master".equals(said)) {
      verifying = false;
      flush();
      return;
    }
    // A stale primary (now a replica, or not answering ROLE): keep the requests, look again.
    channel = null;
    verifying = false;
    generation++;
    dropChecks();
    replies.resetAssembler();
    ch.close();
    String error =
        "ERR ringlb: "
            + backend.describe()
            + " has no primary: "
            + backend.target().address()
            + " says it is "
            + said;
    backend.recordFailure(error);
    SentinelShard s = backend.shard();
    if (s != null) {
      s.refreshSoon();
    }
    await(error);
  }

  /**
   * The pipeline's last handler for one channel; events of a channel no longer current are dropped.
   */
  private final class Handler extends ChannelInboundHandlerAdapter {
    private final int gen;

    Handler(int gen) {
      this.gen = gen;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (gen != generation) {
        ReferenceCountUtil.release(msg);
        return;
      }
      boolean asked = msg instanceof ByteBuf frame ? replies.frame(frame) : replies.read(msg);
      if (!asked) {
        abandon("ERR ringlb: " + backend.describe() + " sent a reply nobody asked for");
      }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      if (gen == generation && !closed) {
        abandon("ERR ringlb: connection to " + backend.describe() + " lost");
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      if (gen == generation && !closed) {
        abandon(
            "ERR ringlb: connection to "
                + backend.describe()
                + " failed: "
                + (cause.getMessage() != null
                    ? cause.getMessage()
                    : cause.getClass().getSimpleName()));
      }
      ctx.close();
    }
  }
}
