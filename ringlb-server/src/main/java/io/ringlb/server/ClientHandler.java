package io.ringlb.server;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.redis.FullBulkStringRedisMessage;
import io.netty.handler.codec.redis.RedisMessage;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.Objects;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The last inbound handler of a connection: turns each request into a {@link Request}, runs it
 * through the {@link CommandTable} and writes the replies in request order.
 *
 * <p>Ordering. While no reply is outstanding, a synchronous reply is written at once (flushed when
 * the read batch ends, so a pipeline of N requests costs one write). Once a handler defers, every
 * later reply queues behind its slot in {@code pending} and the queue drains from the head as slots
 * complete; completions from other threads hop onto this connection's event loop first, so the
 * queue is only ever touched by that thread. Replies that complete outside a read of this
 * connection (a backend answered) are flushed once at the end of the loop's turn by the loop's
 * {@link TurnFlusher}.
 *
 * <p>Waiting. A data side that must not run requests for a while (a proxy switching topology)
 * answers {@link CommandHandler#HELD}; the request and every later one then wait, kept in {@code
 * held}, until {@link #resume()} runs them in order. Requests also wait while too many replies are
 * outstanding or unread ({@link FlowControl}); what the connection holds counts in the server's
 * {@link ClientMemory}, and a buffer that cannot be had ({@link OutOfMemoryError}) closes it alone.
 */
final class ClientHandler extends ChannelInboundHandlerAdapter
    implements Session, TurnFlusher.Flushable {

  private static final Logger LOG = Logger.getLogger(ClientHandler.class.getName());

  private final ServerContext server;
  private final long id;
  private final ClientInfo info = new ClientInfo();
  private final Request request = new Request();
  private final Request waited = new Request(); // a held request running (request may be mid-read)
  private final ArrayDeque<ReplySlot> pending = new ArrayDeque<>();
  private final CommandRecorder recorder = new CommandRecorder();
  private ChannelHandlerContext ctx;
  private ClientMemory.Account memory;
  private FlowControl flow;
  private TurnFlusher flusher;
  private ConnectionState state = ConnectionState.NONE;
  private ReplyBatch out; // replies encoded in this read batch, not yet written
  private ReplySlot current; // the slot the running handler took, if any
  private final HeldRequests held = new HeldRequests();

  /** {@link #resumeWhenAnswered} asked to resume once {@code pending} is empty. */
  private boolean resumeWhenAnswered;

  private final AuthThrottle.Attempts authAttempts = new AuthThrottle.Attempts();
  private boolean closing;
  private boolean closeWhenDrained;
  private boolean unflushed;
  private boolean flushQueued;
  private boolean runningHeld;
  private boolean counted;
  private long processed;

  private final ReplyMode replies = new ReplyMode();

  ClientHandler(ServerContext server) {
    this.server = server;
    this.id = server.nextClientId();
    info.login(server.autoLogin());
  }

  // ---- Session -------------------------------------------------------------------------------

  @Override
  public long id() {
    return id;
  }

  @Override
  public String name() {
    return info.name();
  }

  @Override
  public int protocol() {
    return info.protocol();
  }

  @Override
  public ByteBufAllocator alloc() {
    return ctx.alloc();
  }

  @Override
  public EventLoop eventLoop() {
    return ctx.channel().eventLoop();
  }

  @Override
  public ConnectionState state() {
    return state;
  }

  @Override
  public DeferredReply defer() {
    if (!ctx.executor().inEventLoop()) {
      throw new IllegalStateException("defer() must be called from the command handler");
    }
    if (current != null) {
      throw new IllegalStateException("defer() called twice for one command");
    }
    ReplySlot slot = new ReplySlot(this, ctx.channel().eventLoop());
    recorder.deferTo(slot);
    pending.add(slot);
    current = slot;
    return slot;
  }

  @Override
  public RedisMessage bulk(byte[] bytes, int offset, int length) {
    Objects.checkFromIndexSize(offset, length, bytes.length);
    if (!ctx.executor().inEventLoop()) {
      throw new IllegalStateException("bulk() must be called from the command handler");
    }
    if (pending.isEmpty()
        && current == null
        && !replies.silent()
        && out.writeBulk(bytes, offset, length)) {
      return Written.INSTANCE;
    }
    return length == 0
        ? FullBulkStringRedisMessage.EMPTY_INSTANCE
        : new FullBulkStringRedisMessage(Unpooled.copiedBuffer(bytes, offset, length));
  }

  @Override
  public void push(RedisMessage message) {
    EventLoop loop = ctx.channel().eventLoop();
    if (!loop.inEventLoop()) {
      loop.execute(() -> push(message));
      return;
    }
    if (closing) {
      ReferenceCountUtil.release(message);
      return;
    }
    try {
      send(message);
      scheduleFlush();
    } catch (OutOfMemoryError e) {
      memory.outOfMemory(e);
    }
  }

  @Override
  public boolean awaitingReplies() {
    return !pending.isEmpty();
  }

  @Override
  public void resumeWhenAnswered() {
    if (pending.isEmpty()) {
      resume();
    } else {
      resumeWhenAnswered = true;
    }
  }

  @Override
  public void resume() {
    EventLoop loop = ctx.channel().eventLoop();
    if (!loop.inEventLoop()) {
      loop.execute(this::resume);
      return;
    }
    held.resume();
    runHeld();
  }

  /** Runs the requests that wait, oldest first, while the data side and the client let them. */
  private void runHeld() {
    if (runningHeld) {
      return; // the data side resumed while one of them ran: the loop below goes on
    }
    runningHeld = true;
    try {
      ByteBuf[] next;
      while (!closing && !flow.mustWait(pending.size()) && (next = held.next()) != null) {
        waited.set(next);
        boolean ran;
        try {
          ran = run(waited);
        } finally {
          waited.clear();
        }
        if (ran) {
          HeldRequests.release(next);
        } else {
          held.putBack(next);
        }
        afterRequest();
      }
    } finally {
      runningHeld = false;
    }
    if (closing) {
      held.releaseAll();
    }
    resumeReading();
    scheduleFlush();
  }

  @Override
  public void closeAfterReply() {
    closing = true;
    closeWhenDrained = true;
  }

  /** The reply {@link #bulk} returns after encoding it into the output itself. */
  private enum Written implements RedisMessage {
    INSTANCE
  }

  // ---- connection state used by the connection commands --------------------------------------

  /** Returns the connection's failed logins, which RESET keeps. */
  AuthThrottle.Attempts authAttempts() {
    return authAttempts;
  }

  /** Returns the connection {@code session} is, or stands for inside EXEC ({@link ExecSession}). */
  static ClientHandler of(Session session) {
    return (ClientHandler) (session instanceof ExecSession exec ? exec.connection() : session);
  }

  /** Returns this connection's side of the command metrics. */
  CommandRecorder recorder() {
    return recorder;
  }

  /** Returns what CLIENT LIST shows of this connection besides the data side's state. */
  ClientInfo info() {
    return info;
  }

  /**
   * Switches the connection to RESP {@code version} (2 or 3): the replies written from now on, this
   * command's included, are encoded for it.
   */
  void protocol(int version) {
    info.protocol(version);
    out.resp3(version == 3);
  }

  /** RESET: the connection's own state back to a new connection's, the data side's too. */
  void reset() {
    protocol(2);
    info.login(server.autoLogin());
    info.name(null);
    state.reset();
  }

  /** Returns the client's address as CLIENT LIST and CLIENT KILL name it. */
  String remoteAddress() {
    return ClientInfo.address(ctx.channel().remoteAddress());
  }

  /** Closes the connection at once (CLIENT KILL of another client); from any thread. */
  void kill() {
    ctx.channel().close();
  }

  /** Returns the account of what this connection holds in the server's {@link ClientMemory}. */
  ClientMemory.Account memory() {
    return memory;
  }

  /** Returns this client's CLIENT LIST / CLIENT INFO line, without the line end. */
  String describe() {
    return info.line(id, ctx.channel(), state, closeWhenDrained, memory);
  }

  // ---- channel events ------------------------------------------------------------------------

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
    this.flusher = TurnFlusher.of(ctx.channel().eventLoop());
    this.out = new ReplyBatch(ctx);
    this.memory = server.clientMemory().open(id, ctx.channel(), this::closeForMemory);
    this.flow = new FlowControl(ctx.channel(), memory);
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) throws Exception {
    counted = true;
    if (!server.clientConnected(ctx.channel())) {
      closing = true;
      ctx.channel().config().setAutoRead(false);
      ctx.writeAndFlush(Replies.error("ERR max number of clients reached"))
          .addListener(ChannelFutureListener.CLOSE);
    } else {
      ConnectionState opened = server.dataSide().open(this);
      state = opened == null ? ConnectionState.NONE : opened;
    }
    super.channelActive(ctx);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    if (counted) {
      counted = false;
      server.clientDisconnected();
    }
    closing = true;
    out.release();
    ReplySlot slot;
    while ((slot = pending.poll()) != null) {
      slot.discard();
    }
    held.releaseAll();
    memory.close();
    flushStats();
    ConnectionState s = state;
    state = ConnectionState.NONE;
    s.closed();
    super.channelInactive(ctx);
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    try {
      if (closing) {
        return;
      }
      if (request.read(msg)) {
        execute();
      }
    } catch (InlineArgs.Refused e) {
      protocolError(e.getMessage());
    } finally {
      request.clear();
      ReferenceCountUtil.release(msg);
    }
  }

  /** Returns the request object {@link RequestLimits} fills on its fast path. */
  Request request() {
    return request;
  }

  /**
   * Runs the request {@link RequestLimits} assembled in {@link #request()} and releases its
   * arguments; the fast path's counterpart of {@link #channelRead}.
   */
  void runAssembled() {
    try {
      if (!closing) {
        execute();
      }
    } finally {
      request.release();
    }
  }

  /** Runs the request just read, or holds it behind those waiting, or when it must wait. */
  private void execute() {
    if (held.waiting() || flow.mustWait(pending.size())) {
      held.add(request.holdAll());
    } else if (!run(request)) {
      held.hold(request.holdAll());
    } else {
      afterRequest();
      return;
    }
    flow.pauseIfFull(pending.size(), held.size());
  }

  /** Runs {@code r}; returns false when the data side held it instead. */
  private boolean run(Request r) {
    replies.begin(r);
    RedisMessage reply;
    try {
      reply = server.commands().dispatch(this, r, info.user());
    } catch (RuntimeException e) {
      LOG.log(Level.WARNING, "command " + r.string(0) + " failed", e);
      reply = Replies.error("ERR internal error: " + e);
    }
    ReplySlot slot = current;
    current = null;
    if (reply == CommandHandler.HELD) {
      if (slot != null) { // a contract breach: held after taking a slot
        slot.complete(Replies.error("ERR internal error: request held after deferring"));
        return true;
      }
      replies.held();
      return false;
    }
    processed++;
    if (replies.answered()) {
      dropReply(slot, reply);
      return true;
    }
    if (slot != null) {
      if (reply != CommandHandler.DEFERRED) {
        slot.complete(reply); // took a slot but answered at once: fine, in order
      }
    } else if (reply == Written.INSTANCE) {
      unflushed = true;
    } else if (reply == CommandHandler.DEFERRED) {
      send(Replies.error("ERR internal error: reply deferred without a slot"));
    } else {
      send(reply);
    }
    return true;
  }

  /** Drops the reply of a command whose reply CLIENT REPLY turned off or skipped. */
  private void dropReply(ReplySlot slot, RedisMessage reply) {
    if (slot != null) {
      slot.silence();
      if (reply != CommandHandler.DEFERRED) {
        slot.complete(reply);
      }
    } else if (reply != Written.INSTANCE && reply != CommandHandler.DEFERRED) {
      ReferenceCountUtil.release(reply);
    }
  }

  /** This connection's CLIENT REPLY mode. */
  ReplyMode replies() {
    return replies;
  }

  /** What follows every request run: drain, backpressure, the unread-reply limit, closing. */
  private void afterRequest() {
    if (!pending.isEmpty() && pending.peek().done) {
      drain();
    }
    flow.pauseIfFull(pending.size(), 0);
    if (!ctx.channel().isWritable()) { // replies pile up within this read: count them now
      memory.report(held.bytes());
      flow.check();
    }
    if (closeWhenDrained) {
      closeIfDrained();
    }
  }

  /** Writes a reply now if nothing is outstanding, else queues it behind the outstanding ones. */
  private void send(RedisMessage reply) {
    if (pending.isEmpty()) {
      out.write(reply);
      unflushed = true;
    } else {
      ReplySlot slot = ReplySlot.ready(reply);
      memory.queued(slot.bytes);
      pending.add(slot);
    }
  }

  private void protocolError(String reason) {
    send(Replies.error("ERR Protocol error: " + reason));
    closeOnceReplied();
  }

  private void closeIfDrained() {
    if (pending.isEmpty()) {
      closeWhenDrained = false;
      out.writeOut();
      ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
      unflushed = false;
    }
  }

  /** Stops taking requests and closes once the replies of those already taken are written. */
  void shutdown() {
    if (ctx.channel().isActive()) {
      closeOnceReplied();
    }
  }

  private void closeOnceReplied() {
    closing = true;
    closeWhenDrained = true;
    ctx.channel().config().setAutoRead(false);
    closeIfDrained();
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    // Once per read rather than per command: what CLIENT LIST's idle needs, at little cost.
    info.active();
    writeOut();
    ctx.fireChannelReadComplete();
  }

  /** Runs the requests that waited for replies or for the client, unless the data side holds. */
  private void runHeldIfAny() {
    if (held.size() != 0 && !held.holding()) {
      runHeld();
    }
  }

  /** Flushes what was written outside a read, and accounts for it; run by the loop's flusher. */
  @Override
  public void flush() {
    try {
      runHeldIfAny(); // here, outside any command or callback
      flushQueued = false;
      writeOut();
    } catch (OutOfMemoryError e) {
      memory.outOfMemory(e);
    }
  }

  /** Writes and flushes what is encoded, counts the commands run, accounts for memory. */
  private void writeOut() {
    if (unflushed) {
      unflushed = false;
      out.writeOut();
      ctx.flush();
    }
    flushStats();
    memory.report(held.bytes() + request.size());
    flow.check();
  }

  /** Flushes, and accounts for this client's memory, at the end of the loop's turn. */
  private void scheduleFlush() {
    if (!flushQueued) {
      flushQueued = true;
      flusher.downstream(this);
    }
  }

  private void flushStats() {
    if (processed != 0) {
      server.commandsProcessed(processed);
      processed = 0;
    }
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
    flow.check();
    if (held.size() != 0) {
      scheduleFlush(); // the client read its replies: those that waited for it may run
    }
    resumeReading();
    super.channelWritabilityChanged(ctx);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (cause instanceof OutOfMemoryError e) {
      memory.outOfMemory(e);
      return;
    }
    if (!(cause instanceof IOException)) {
      LOG.log(Level.FINE, "closing connection " + id + " after an error", cause);
    }
    closing = true;
    ctx.close();
  }

  /**
   * Closes this connection for the memory it holds or could not get, logging {@code why} (null:
   * {@link ClientMemory} logged it).
   */
  private void closeForMemory(String why) {
    if (why != null && ctx.channel().isActive()) {
      LOG.warning("closing client " + id + " (" + remoteAddress() + "): " + why);
    }
    closing = true;
    ctx.close();
  }

  private void resumeReading() {
    if (!closing) {
      flow.resumeIfRoom(pending.size(), held.size());
    }
  }

  /** Writes the completed replies at the head of the queue; runs on the event loop. */
  private void drain() {
    boolean wrote = false;
    ReplySlot head;
    while ((head = pending.peek()) != null && head.done) {
      pending.poll();
      memory.queued(-head.bytes);
      if (head.silenced()) {
        head.discard();
        continue;
      }
      if (head.raw != null) {
        ByteBuf raw = head.raw;
        head.raw = null;
        try {
          out.writeRaw(raw);
        } finally {
          raw.release();
        }
      } else {
        out.write(head.reply);
        head.reply = null;
      }
      wrote = true;
    }
    if (wrote) {
      unflushed = true;
    }
    if (closeWhenDrained) {
      closeIfDrained();
    }
    if (resumeWhenAnswered && pending.isEmpty()) {
      resumeWhenAnswered = false;
      resume();
    }
    resumeReading();
  }

  /** {@code slot}'s reply arrived, on the event loop: written now if it is the head. */
  void delivered(ReplySlot slot) {
    memory.queued(slot.bytes);
    if (pending.peek() == slot && current != slot) {
      drain();
    }
    scheduleFlush();
  }

  /**
   * {@code slot}'s reply arrived as RESP bytes, on the event loop; returns whether they were
   * written straight into the output (the slot was the head), else the slot keeps a copy.
   */
  boolean deliveredRaw(ReplySlot slot, ByteBuf resp) {
    if (pending.peek() != slot || current == slot) {
      slot.bytes = resp.readableBytes();
      memory.queued(slot.bytes);
      scheduleFlush();
      return false;
    }
    pending.poll();
    if (!slot.silenced()) {
      out.writeRaw(resp);
      unflushed = true;
    }
    drain();
    scheduleFlush();
    return true;
  }
}
