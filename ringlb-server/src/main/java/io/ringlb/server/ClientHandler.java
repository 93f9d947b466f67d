package io.ringlb.server;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.netty.channel.unix.UnixChannel;
import io.netty.handler.codec.redis.ArrayRedisMessage;
import io.netty.handler.codec.redis.ErrorRedisMessage;
import io.netty.handler.codec.redis.FullBulkStringRedisMessage;
import io.netty.handler.codec.redis.InlineCommandRedisMessage;
import io.netty.handler.codec.redis.IntegerRedisMessage;
import io.netty.handler.codec.redis.RedisMessage;
import io.netty.handler.codec.redis.SimpleStringRedisMessage;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
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
 * {@link TurnFlusher}. Reading pauses while the queue is long, and a client that pipelines without
 * ever reading is disconnected past {@link ServerConfig#MAX_UNREAD_REPLY_BYTES} of unread replies,
 * so neither can grow memory without bound.
 *
 * <p>Holding. A data side that must not run requests for a while (a proxy switching topology)
 * answers {@link CommandHandler#HELD}; the request and every later one are then kept, with their
 * buffers retained, until {@link #resume()} runs them in order.
 */
final class ClientHandler extends ChannelInboundHandlerAdapter
    implements Session, TurnFlusher.Flushable {

  private static final Logger LOG = Logger.getLogger(ClientHandler.class.getName());
  private static final int MAX_PENDING = 1024;

  private final ServerContext server;
  private final long id;
  private final long createdNanos = System.nanoTime();
  private final Request request = new Request();
  private final ArrayDeque<Slot> pending = new ArrayDeque<>();
  private ChannelHandlerContext ctx;
  private TurnFlusher flusher;
  private ConnectionState state = ConnectionState.NONE;
  private ReplyBatch out; // replies encoded in this read batch, not yet written
  private Slot current; // the slot the running handler took, if any
  private ArrayDeque<ByteBuf[]> held; // requests held by the data side, oldest first
  private boolean holding;
  private User user; // null until authenticated
  private final AuthThrottle.Attempts authAttempts = new AuthThrottle.Attempts();
  private boolean closing;
  private boolean closeWhenDrained;
  private boolean unflushed;
  private boolean flushQueued;
  private boolean pausedReading;
  private boolean counted;
  private long processed;
  // Read by CLIENT LIST from other threads without synchronization: a snapshot, as in Redis.
  private long totalCommands;
  private long lastActiveNanos = createdNanos;
  private String name;
  private String libName;
  private String libVersion;
  private String lastCommand = "NULL";

  ClientHandler(ServerContext server) {
    this.server = server;
    this.id = server.nextClientId();
    this.user = server.autoLogin();
  }

  // ---- Session -------------------------------------------------------------------------------

  @Override
  public long id() {
    return id;
  }

  @Override
  public String name() {
    return name;
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
    Slot slot = new Slot();
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
    if (pending.isEmpty() && current == null && out.writeBulk(bytes, offset, length)) {
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
    send(message);
    scheduleFlush();
  }

  @Override
  public void resume() {
    EventLoop loop = ctx.channel().eventLoop();
    if (!loop.inEventLoop()) {
      loop.execute(this::resume);
      return;
    }
    holding = false;
    ByteBuf[] next;
    while (!holding && !closing && held != null && (next = held.poll()) != null) {
      request.set(next);
      boolean ran;
      try {
        ran = run();
      } finally {
        request.clear();
      }
      if (ran) {
        release(next);
      } else {
        held.addFirst(next);
        holding = true;
      }
      afterRequest();
    }
    if (closing) {
      releaseHeld();
    }
    maybeResumeReading();
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

  boolean authenticated() {
    return user != null;
  }

  /** Returns the user the connection is logged in as, or null before it authenticates. */
  User user() {
    return user;
  }

  /** Logs the connection in as {@code user}. */
  void login(User user) {
    this.user = user;
  }

  /** Returns the connection's failed logins, which RESET keeps. */
  AuthThrottle.Attempts authAttempts() {
    return authAttempts;
  }

  void name(String value) {
    name = value;
  }

  void libInfo(String libName, String libVersion) {
    if (libName != null) {
      this.libName = libName;
    }
    if (libVersion != null) {
      this.libVersion = libVersion;
    }
  }

  /** Records the name of the command being run, for CLIENT LIST's {@code cmd}. */
  void lastCommand(String fullName) {
    lastCommand = fullName;
  }

  /** RESET: the connection's own state back to a new connection's, the data side's too. */
  void reset() {
    user = server.autoLogin();
    name = null;
    state.reset();
  }

  /** Returns the client's address as CLIENT LIST and CLIENT KILL name it. */
  String remoteAddress() {
    return address(ctx.channel().remoteAddress());
  }

  /** Closes the connection at once (CLIENT KILL of another client); from any thread. */
  void kill() {
    ctx.channel().close();
  }

  /**
   * Returns this client's CLIENT LIST / CLIENT INFO line, without the line end: Redis 7.0's fields
   * in Redis 7.0's order, so that tools that read Redis's lines read these. The sizes of Redis's
   * own per-client buffers ({@code qbuf} to {@code tot-mem}) are 0: ringlb's buffers are Netty's,
   * shared by the connections of an event loop. {@code fd} is the socket's descriptor on epoll and
   * -1 where the transport does not tell it. {@code lib-name} and {@code lib-ver} follow, as in
   * Redis 7.2, once the client has set either with CLIENT SETINFO.
   */
  String describe() {
    long now = System.nanoTime();
    ConnectionState s = state;
    StringBuilder sb =
        new StringBuilder(320)
            .append("id=")
            .append(id)
            .append(" addr=")
            .append(remoteAddress())
            .append(" laddr=")
            .append(address(ctx.channel().localAddress()))
            .append(" fd=")
            .append(fd())
            .append(" name=")
            .append(name == null ? "" : name)
            .append(" age=")
            .append((now - createdNanos) / 1_000_000_000L)
            .append(" idle=")
            .append(Math.max(0, now - lastActiveNanos) / 1_000_000_000L)
            .append(" flags=")
            .append(flags(s))
            .append(" db=0 sub=")
            .append(s.subscriptions())
            .append(" psub=")
            .append(s.patternSubscriptions())
            .append(" ssub=0 multi=")
            .append(s.queued())
            .append(
                " qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=0 rbs=0 rbp=0 obl=0 oll=0 omem=0"
                    + " tot-mem=0 events=")
            .append(ctx.channel().config().isAutoRead() ? "r" : "")
            .append(" cmd=")
            .append(lastCommand)
            .append(" user=default redir=-1 resp=2");
    if (libName != null || libVersion != null) {
      sb.append(" lib-name=")
          .append(libName == null ? "" : libName)
          .append(" lib-ver=")
          .append(libVersion == null ? "" : libVersion);
    }
    return sb.toString();
  }

  /** Returns CLIENT LIST's flags: P subscribed, x in MULTI, c closing after the reply, or N. */
  private String flags(ConnectionState s) {
    StringBuilder flags = new StringBuilder(4);
    if (s.subscriptions() > 0 || s.patternSubscriptions() > 0) {
      flags.append('P');
    }
    if (s.queued() >= 0) {
      flags.append('x');
    }
    if (closeWhenDrained) {
      flags.append('c');
    }
    return flags.length() == 0 ? "N" : flags.toString();
  }

  /** Returns the socket's file descriptor, or -1 where the transport does not tell it. */
  private int fd() {
    return ctx.channel() instanceof UnixChannel unix ? unix.fd().intValue() : -1;
  }

  private static String address(SocketAddress address) {
    if (address instanceof InetSocketAddress inet) {
      return inet.getAddress().getHostAddress() + ":" + inet.getPort();
    }
    return String.valueOf(address);
  }

  // ---- channel events ------------------------------------------------------------------------

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
    this.flusher = TurnFlusher.of(ctx.channel().eventLoop());
    this.out = new ReplyBatch(ctx);
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
    Slot slot;
    while ((slot = pending.poll()) != null) {
      slot.discard();
    }
    releaseHeld();
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
      if (msg instanceof ArrayRedisMessage array) {
        List<RedisMessage> children = array.children();
        if (array.isNull() || children.isEmpty()) {
          return; // Redis ignores *0 and *-1
        }
        request.set(children);
      } else if (msg instanceof ProtocolError error) {
        protocolError(error.reason());
        return;
      } else if (msg instanceof RedisMessage) {
        String line = inlineText((RedisMessage) msg);
        // The decoder checks an inline line's length only while its CRLF has not arrived; a
        // whole line read at once is checked here, as Redis refuses any over 64 KB.
        if (line.length() > RespServer.MAX_INLINE / 3
            && ByteBufUtil.utf8Bytes(line) > RespServer.MAX_INLINE) {
          protocolError("too big inline request");
          return;
        }
        List<byte[]> args;
        try {
          args = InlineArgs.split(line);
        } catch (InlineArgs.UnbalancedQuotes e) {
          protocolError(e.getMessage());
          return;
        }
        if (args.isEmpty()) {
          return; // an empty line
        }
        request.setInline(args);
      } else {
        protocolError("unexpected message " + msg.getClass().getSimpleName());
        return;
      }
      execute();
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

  /**
   * Returns the line of an inline command. Redis reads any line that does not start with {@code *}
   * as one, so a line the decoder took for a simple string, error or integer gets its type
   * character back ({@code +PING} is an unknown command, as in Redis).
   */
  private static String inlineText(RedisMessage msg) {
    if (msg instanceof InlineCommandRedisMessage inline) {
      return inline.content();
    }
    if (msg instanceof SimpleStringRedisMessage simple) {
      return "+" + simple.content();
    }
    if (msg instanceof ErrorRedisMessage error) {
      return "-" + error.content();
    }
    if (msg instanceof IntegerRedisMessage integer) {
      return ":" + integer.value();
    }
    return "";
  }

  /** Runs the request just read, or holds it behind those already held. */
  private void execute() {
    if (holding || !run()) {
      hold(request.retainAll());
      return;
    }
    afterRequest();
  }

  /** Runs {@link #request}; returns false when the data side held it instead. */
  private boolean run() {
    RedisMessage reply;
    try {
      reply = server.commands().dispatch(this, request, user);
    } catch (RuntimeException e) {
      LOG.log(Level.WARNING, "command " + request.string(0) + " failed", e);
      reply = Replies.error("ERR internal error: " + e);
    }
    Slot slot = current;
    current = null;
    if (reply == CommandHandler.HELD) {
      if (slot != null) { // a contract breach: held after taking a slot
        slot.complete(Replies.error("ERR internal error: request held after deferring"));
        return true;
      }
      return false;
    }
    processed++;
    totalCommands++;
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

  private void hold(ByteBuf[] args) {
    if (held == null) {
      held = new ArrayDeque<>();
    }
    held.add(args);
    holding = true;
    if (held.size() >= MAX_PENDING) {
      pauseReading();
    }
  }

  private void releaseHeld() {
    if (held != null) {
      ByteBuf[] args;
      while ((args = held.poll()) != null) {
        release(args);
      }
    }
  }

  private static void release(ByteBuf[] args) {
    for (ByteBuf arg : args) {
      arg.release();
    }
  }

  /** What follows every request run: drain, backpressure, the unread-reply limit, closing. */
  private void afterRequest() {
    if (!pending.isEmpty() && pending.peek().done) {
      drain();
    }
    if (pending.size() >= MAX_PENDING) {
      pauseReading();
    }
    closeIfOutputTooLarge();
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
      Slot slot = new Slot();
      slot.reply = reply;
      slot.done = true;
      pending.add(slot);
    }
  }

  private void protocolError(String reason) {
    send(Replies.error("ERR Protocol error: " + reason));
    closing = true;
    closeWhenDrained = true;
    ctx.channel().config().setAutoRead(false);
    closeIfDrained();
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
    if (!ctx.channel().isActive()) {
      return;
    }
    closing = true;
    closeWhenDrained = true;
    ctx.channel().config().setAutoRead(false);
    closeIfDrained();
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    // Once per read rather than per command: what CLIENT LIST's idle needs, at little cost.
    lastActiveNanos = System.nanoTime();
    if (unflushed) {
      unflushed = false;
      out.writeOut();
      ctx.flush();
    }
    flushStats();
    ctx.fireChannelReadComplete();
  }

  /** Flushes what was written outside a read of this connection; run by the loop's flusher. */
  @Override
  public void flush() {
    flushQueued = false;
    if (unflushed) {
      unflushed = false;
      out.writeOut();
      ctx.flush();
    }
    flushStats();
    closeIfOutputTooLarge();
  }

  private void scheduleFlush() {
    if (unflushed && !flushQueued) {
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
    maybeResumeReading();
    super.channelWritabilityChanged(ctx);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (!(cause instanceof IOException)) {
      LOG.log(Level.FINE, "closing connection " + id + " after an error", cause);
    }
    closing = true;
    ctx.close();
  }

  /** Disconnects a client whose unread replies exceed the unread-reply limit. */
  private void closeIfOutputTooLarge() {
    if (!ctx.channel().isWritable() && outputTooLarge()) {
      LOG.warning(
          "closing client "
              + id
              + ": more than "
              + ServerConfig.MAX_UNREAD_REPLY_BYTES
              + " bytes of replies unread");
      closing = true;
      ctx.close();
    }
  }

  /** Returns whether the client's unread replies exceed the unread-reply limit. */
  private boolean outputTooLarge() {
    io.netty.channel.ChannelOutboundBuffer out = ctx.channel().unsafe().outboundBuffer();
    return out != null && out.totalPendingWriteBytes() > ServerConfig.MAX_UNREAD_REPLY_BYTES;
  }

  private void pauseReading() {
    if (!pausedReading) {
      pausedReading = true;
      ctx.channel().config().setAutoRead(false);
    }
  }

  private void maybeResumeReading() {
    if (pausedReading
        && !closing
        && pending.size() < MAX_PENDING / 2
        && (held == null || held.size() < MAX_PENDING / 2)) {
      pausedReading = false;
      ctx.channel().config().setAutoRead(true);
    }
  }

  /** Writes the completed replies at the head of the queue; runs on the event loop. */
  private void drain() {
    boolean wrote = false;
    Slot head;
    while ((head = pending.peek()) != null && head.done) {
      pending.poll();
      if (head.raw != null) {
        out.writeRaw(head.raw);
        head.raw.release();
        head.raw = null;
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
    maybeResumeReading();
  }

  /** A reply slot in request order; {@link #complete} may be called from any thread, once. */
  private final class Slot implements DeferredReply {
    private static final AtomicIntegerFieldUpdater<Slot> COMPLETED =
        AtomicIntegerFieldUpdater.newUpdater(Slot.class, "completed");

    private volatile int completed;
    RedisMessage reply; // event loop only
    ByteBuf raw; // event loop only: a reply held as RESP bytes
    boolean done; // event loop only
    boolean discarded; // event loop only

    @Override
    public void complete(RedisMessage message) {
      if (!COMPLETED.compareAndSet(this, 0, 1)) {
        ReferenceCountUtil.release(message);
        throw new IllegalStateException("reply already completed");
      }
      EventLoop loop = ctx.channel().eventLoop();
      if (loop.inEventLoop()) {
        deliver(message);
      } else {
        loop.execute(() -> deliver(message));
      }
    }

    @Override
    public void completeRaw(ByteBuf resp) {
      if (!COMPLETED.compareAndSet(this, 0, 1)) {
        throw new IllegalStateException("reply already completed");
      }
      EventLoop loop = ctx.channel().eventLoop();
      if (!loop.inEventLoop()) {
        ByteBuf copy = resp.copy();
        loop.execute(
            () -> {
              deliverRaw(copy);
              copy.release();
            });
        return;
      }
      deliverRaw(resp);
    }

    private void deliver(RedisMessage message) {
      if (discarded) {
        ReferenceCountUtil.release(message);
        return;
      }
      reply = message;
      done = true;
      if (pending.peek() == this && current != this) {
        drain();
        scheduleFlush();
      }
    }

    private void deliverRaw(ByteBuf resp) {
      if (discarded) {
        return;
      }
      done = true;
      if (pending.peek() == this && current != this) {
        pending.poll();
        out.writeRaw(resp);
        unflushed = true;
        drain();
        scheduleFlush();
      } else {
        raw = resp.copy();
      }
    }

    void discard() {
      discarded = true;
      if (reply != null) {
        ReferenceCountUtil.release(reply);
        reply = null;
      }
      if (raw != null) {
        raw.release();
        raw = null;
      }
    }
  }
}
