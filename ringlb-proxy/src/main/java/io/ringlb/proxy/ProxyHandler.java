package io.ringlb.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.redis.ArrayHeaderRedisMessage;
import io.netty.handler.codec.redis.BulkStringHeaderRedisMessage;
import io.netty.handler.codec.redis.BulkStringRedisContent;
import io.netty.handler.codec.redis.LastBulkStringRedisContent;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.redis.ArrayRedisMessage;
import io.netty.handler.codec.redis.ErrorRedisMessage;
import io.netty.handler.codec.redis.FullBulkStringRedisMessage;
import io.netty.handler.codec.redis.InlineCommandRedisMessage;
import io.netty.handler.codec.redis.IntegerRedisMessage;
import io.netty.handler.codec.redis.RedisMessage;
import io.netty.handler.codec.redis.SimpleStringRedisMessage;
import io.netty.util.ReferenceCountUtil;
import io.ringlb.core.HashTag;
import io.ringlb.server.InlineArgs;
import io.ringlb.server.ServerConfig;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Serves one client connection of the proxy: routes each command to the backend owning its key
 * (or splits it by key, or answers it itself) and writes the replies in request order.
 *
 * <p>Replies come back from several backends in any order; each request takes the next sequence
 * number, and a reply is written only when every earlier one has been. Everything runs on the
 * connection's event loop, which is also the loop of the backend connections it uses.
 *
 * <p>During a migration a key whose owner changes is first moved by the request itself — {@code
 * MIGRATE} of that one key from the old owner to the new one, without REPLACE — and only then is
 * the command sent to the new owner. A read therefore finds the key wherever it was, and a write
 * lands on the new owner after the old copy is gone, so no later copy can overwrite it.
 */
final class ProxyHandler extends ChannelInboundHandlerAdapter {

  private static final int PAUSE_READING_AT = 1024;
  private static final int RESUME_READING_AT = 256;
  /**
   * A SCAN cursor through the proxy is the backend's own cursor, then {@value #SCAN_PLACE_BITS}
   * bits of the backend's place in the scan order, then {@value #SCAN_EPOCH_BITS} bits of the
   * topology's epoch.
   */
  private static final int SCAN_PLACE_BITS = 10;
  private static final int SCAN_EPOCH_BITS = 16;
  private static final int SCAN_SHIFT = SCAN_PLACE_BITS + SCAN_EPOCH_BITS;

  private static final SimpleStringRedisMessage OK = new SimpleStringRedisMessage("OK");
  private static final SimpleStringRedisMessage PONG = new SimpleStringRedisMessage("PONG");
  private static final SimpleStringRedisMessage QUEUED = new SimpleStringRedisMessage("QUEUED");
  private static final byte[] MULTI = "*1\r\n$5\r\nMULTI\r\n".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] EXEC = "*1\r\n$4\r\nEXEC\r\n".getBytes(StandardCharsets.US_ASCII);

  private final ProxyContext proxy;
  private final Worker worker;
  private final int clientId;
  private ChannelHandlerContext ctx;

  /** Replies that came before an earlier one, encoded, by sequence number. */
  private ByteBuf[] slots = new ByteBuf[16];
  private long nextSeq;
  private long headSeq;
  /** Replies to write at the next flush. */
  private ByteBuf out;
  /** Commands held while the worker waits for the topology to settle, in arrival order. */
  private ArrayDeque<ByteBuf[]> parked;

  /** The command being assembled from the decoder's pieces. */
  private ByteBuf[] args = new ByteBuf[8];
  private int argc;
  private int argsExpected;
  private CompositeByteBuf partial;
  private boolean closed;
  private boolean dirty;
  private boolean authenticated;
  private long quitSeq = -1;
  private String clientName;
  // Read by CLIENT LIST from other threads without synchronization: a snapshot, as in Redis.
  private final long createdNanos = System.nanoTime();
  private long lastActiveNanos = createdNanos;
  private Commands.Spec lastCommand;
  /** The commands queued since MULTI, in RESP form; null outside a transaction. */
  private ArrayList<ByteBuf> transaction;
  /** The keys of {@link #transaction}, to move first while a migration moves them. */
  private ArrayList<byte[]> transactionKeys;
  /** The routing hash every key of {@link #transaction} has. */
  private int transactionHash;
  /** A command was refused while queuing: EXEC answers EXECABORT, as Redis does. */
  private boolean transactionFailed;
  /**
   * This client's own connection to the backend its WATCHed keys live on: a watch belongs to a
   * connection, so WATCH and the MULTI...EXEC after it go there, not to the shared pool.
   */
  private BackendConnection watchConnection;
  private Backend watchBackend;
  /** Keys are watched (on {@link #watchConnection}); they all have {@link #watchHash}. */
  private boolean watching;
  private int watchHash;
  /** Subscriptions, while the client has any (or is being answered about them); else null. */
  private PubSub pubsub;
  private static final byte[] UNWATCH =
      "*1\r\n$7\r\nUNWATCH\r\n".getBytes(StandardCharsets.US_ASCII);

  ProxyHandler(ProxyContext proxy, Worker worker, int clientId) {
    this.proxy = proxy;
    this.worker = worker;
    this.clientId = clientId;
    this.authenticated = proxy.config().requirePass() == null;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
    proxy.clients().add(clientId, this);
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    // Once per read rather than per command: what CLIENT LIST's idle needs, at little cost.
    lastActiveNanos = System.nanoTime();
    ctx.fireChannelReadComplete();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    closed = true;
    proxy.clients().remove(clientId);
    for (int i = 0; i < slots.length; i++) {
      ReferenceCountUtil.release(slots[i]);
      slots[i] = null;
    }
    if (out != null) {
      out.release();
      out = null;
    }
    releaseArgs();
    endTransaction();
    closeWatchConnection();
    endPubSub();
    if (parked != null) {
      ByteBuf[] held;
      while ((held = parked.poll()) != null) {
        release(held, held.length);
      }
    }
    ctx.fireChannelInactive();
  }

  private void releaseArgs() {
    release(args, argc);
    argc = 0;
    argsExpected = 0;
    if (partial != null) {
      partial.release();
      partial = null;
    }
  }

  /** Appends an argument, growing the array as arguments come rather than as headers promise. */
  private void addArg(ByteBuf arg) {
    if (argc == args.length) {
      args = Arrays.copyOf(args, Math.max(8, argc * 2));
    }
    args[argc++] = arg;
  }

  private static void release(ByteBuf[] bufs, int n) {
    for (int i = 0; i < n; i++) {
      if (bufs[i] != null) {
        bufs[i].release();
        bufs[i] = null;
      }
    }
  }

  /**
   * Assembles commands from the pieces {@code RedisDecoder} emits (array header, then for each
   * argument a bulk string header and its content, possibly in chunks), keeping each argument as
   * the decoder's slice of the input instead of aggregating into new buffers.
   */
  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (closed || quitSeq >= 0) {
      ReferenceCountUtil.release(msg);
      return;
    }
    if (msg instanceof FullBulkStringRedisMessage full) {
      if (argsExpected == 0 || full.isNull()) {
        full.release();
        protocolError("expected a command array of bulk strings");
        return;
      }
      addArg(full.content());
      if (argc == argsExpected) {
        commandComplete();
      }
    } else if (msg instanceof BulkStringRedisContent content) {
      if (argsExpected == 0) {
        content.release();
        protocolError("expected a command array");
        return;
      }
      if (msg instanceof LastBulkStringRedisContent) {
        ByteBuf arg = content.content();
        if (partial != null) {
          partial.addComponent(true, arg);
          arg = partial;
          partial = null;
        }
        addArg(arg);
        if (argc == argsExpected) {
          commandComplete();
        }
      } else {
        if (partial == null) {
          partial = ctx.alloc().compositeBuffer(1024);
        }
        partial.addComponent(true, content.content());
      }
    } else if (msg instanceof BulkStringHeaderRedisMessage header) {
      if (argsExpected == 0) {
        protocolError("expected a command array");
      } else if (header.bulkStringLength() > proxy.config().protoMaxBulkLen()) {
        // Refused before any of it is buffered, as Redis does.
        protocolError("invalid bulk length");
      } else if (header.bulkStringLength() > ServerConfig.UNAUTHENTICATED_BULK
          && !authenticated) {
        protocolError("unauthenticated bulk length");
      }
    } else if (msg instanceof ArrayHeaderRedisMessage header) {
      if (argsExpected != 0) {
        protocolError("nested arrays are not commands");
        return;
      }
      long n = header.length();
      if (n <= 0) {
        return; // an empty or null array is no command; Redis ignores it too
      }
      if (n > ServerConfig.MAX_MULTIBULK) {
        protocolError("invalid multibulk length");
        return;
      }
      if (n > ServerConfig.UNAUTHENTICATED_MULTIBULK && !authenticated) {
        protocolError("unauthenticated multibulk length");
        return;
      }
      argsExpected = (int) n;
    } else if (msg instanceof InlineCommandRedisMessage inline && argsExpected == 0) {
      List<byte[]> words;
      try {
        words = InlineArgs.split(inline.content());
      } catch (InlineArgs.UnbalancedQuotes e) {
        protocolError(e.getMessage());
        return;
      }
      if (words.isEmpty()) {
        return;
      }
      for (byte[] word : words) {
        addArg(Unpooled.wrappedBuffer(word));
      }
      argsExpected = argc;
      commandComplete();
    } else {
      ReferenceCountUtil.release(msg);
      protocolError("expected an array of bulk strings");
    }
  }

  private void protocolError(String reason) {
    ctx.channel().config().setAutoRead(false);
    releaseArgs();
    long seq = nextSlot();
    quitSeq = seq;
    error(seq, "ERR Protocol error: " + reason);
  }

  private void commandComplete() {
    int n = argc;
    argc = 0;
    argsExpected = 0;
    if (!worker.ready() || (parked != null && !parked.isEmpty())) {
      if (parked == null) {
        parked = new ArrayDeque<>();
      }
      if (parked.isEmpty()) {
        worker.park(this);
      }
      parked.add(Arrays.copyOf(args, n));
      Arrays.fill(args, 0, n, null);
      return;
    }
    try {
      dispatch(args, n);
    } finally {
      release(args, n);
    }
  }

  /** The worker adopted a topology every worker has drained the predecessor of: go on. */
  void unpark() {
    ByteBuf[] held;
    while (worker.ready() && !closed && (held = parked.poll()) != null) {
      try {
        dispatch(held, held.length);
      } finally {
        release(held, held.length);
      }
    }
    if (closed) {
      while ((held = parked.poll()) != null) {
        release(held, held.length);
      }
    } else if (!parked.isEmpty()) {
      worker.park(this);
    }
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (closed) {
      return;
    }
    closed = true;
    if (cause instanceof DecoderException) {
      String reason = cause.getCause() != null && cause.getCause().getMessage() != null
          ? cause.getCause().getMessage() : cause.getMessage();
      ByteBuf error = ctx.alloc().buffer();
      Resp.writeSimple(error, '-', "ERR Protocol error: " + reason);
      ctx.writeAndFlush(error).addListener(ChannelFutureListener.CLOSE);
    } else {
      ctx.close();
    }
  }

  // ---- replies in request order

  private long nextSlot() {
    if (nextSeq - headSeq == slots.length) {
      ByteBuf[] bigger = new ByteBuf[slots.length * 2];
      for (long s = headSeq; s < nextSeq; s++) {
        bigger[(int) (s & (bigger.length - 1))] = slots[(int) (s & (slots.length - 1))];
      }
      slots = bigger;
    }
    long seq = nextSeq++;
    if (nextSeq - headSeq >= PAUSE_READING_AT) {
      ctx.channel().config().setAutoRead(false);
    }
    return seq;
  }

  private ByteBuf out() {
    ByteBuf o = out;
    if (o == null) {
      o = out = ctx.alloc().directBuffer(512);
    }
    return o;
  }

  /** Delivers the reply of request {@code seq} as RESP bytes (copied, not owned). */
  void replyRaw(long seq, ByteBuf reply) {
    if (closed) {
      return;
    }
    if (seq != headSeq) {
      slots[(int) (seq & (slots.length - 1))] = reply.copy();
      return;
    }
    out().writeBytes(reply, reply.readerIndex(), reply.readableBytes());
    advance();
  }

  /** Delivers the reply of request {@code seq}; takes ownership of {@code reply}. */
  void reply(long seq, RedisMessage reply) {
    try {
      if (closed) {
        return;
      }
      if (seq != headSeq) {
        ByteBuf encoded = Unpooled.buffer(64);
        Resp.write(encoded, reply);
        slots[(int) (seq & (slots.length - 1))] = encoded;
        return;
      }
      Resp.write(out(), reply);
      advance();
    } finally {
      ReferenceCountUtil.release(reply);
    }
  }

  /** The head reply was written: write those behind it that are ready, and schedule a flush. */
  private void advance() {
    if (closedAfterQuit()) {
      return;
    }
    headSeq++;
    while (headSeq < nextSeq) {
      int i = (int) (headSeq & (slots.length - 1));
      ByteBuf next = slots[i];
      if (next == null) {
        break;
      }
      slots[i] = null;
      out().writeBytes(next);
      next.release();
      if (closedAfterQuit()) {
        return;
      }
      headSeq++;
    }
    if (!dirty) {
      dirty = true;
      worker.markDirty(this);
    }
    if (nextSeq - headSeq <= RESUME_READING_AT && !ctx.channel().config().isAutoRead()
        && quitSeq < 0) {
      ctx.channel().config().setAutoRead(true);
    }
  }

  /** Closes the connection once the reply to QUIT (or a CLIENT KILL of itself) is written. */
  private boolean closedAfterQuit() {
    if (headSeq != quitSeq) {
      return false;
    }
    closed = true;
    flushNow();
    ctx.close();
    return true;
  }

  private void flushNow() {
    ByteBuf o = out;
    out = null;
    if (o != null) {
      ctx.writeAndFlush(o, ctx.voidPromise());
    }
  }

  void flush() {
    dirty = false;
    if (closed) {
      return;
    }
    flushNow();
    // Reading goes on while replies wait to be written: a client that pipelines before it reads
    // would otherwise wait for us while we wait for it. A client that reads nothing at all is
    // disconnected past a limit, as Redis's client-output-buffer-limit does.
    if (ctx.channel().bytesBeforeWritable() > ServerConfig.MAX_UNREAD_REPLY_BYTES) {
      closed = true;
      ctx.close();
    }
  }

  private void error(long seq, String text) {
    reply(seq, new ErrorRedisMessage(text));
  }

  // ---- dispatch

  /** Serves one command; the arguments stay owned by the caller. */
  private void dispatch(ByteBuf[] args, int argc) {
    Commands.Spec spec = Commands.lookup(args[0], worker.scratch(32));
    long seq = nextSlot();
    proxy.stats().countCommand();
    lastCommand = spec;
    if (spec == null) {
      transactionFailed = transaction != null;
      error(seq, unknownCommand(args, argc));
      return;
    }
    if (!authenticated && !spec.beforeAuth()) {
      error(seq, "NOAUTH Authentication required.");
      return;
    }
    if (transaction != null && !Commands.endsTransaction(spec)) {
      queue(seq, spec, args, argc);
      return;
    }
    if (pubsub != null && !Commands.allowedWhileSubscribed(spec)) {
      error(seq, "ERR Can't execute '" + spec.name() + "': only (P)SUBSCRIBE / (P)UNSUBSCRIBE /"
          + " PING / QUIT / RESET are allowed in this context");
      return;
    }
    switch (spec.kind()) {
      case KEY -> {
        if (argc < 2) {
          arity(seq, spec);
        } else {
          routeKey(seq, args, argc);
        }
      }
      case MGET, COUNT_KEYS -> {
        if (argc < 2) {
          arity(seq, spec);
        } else {
          routeKeys(seq, args, argc, spec.kind(), 1);
        }
      }
      case MSET -> {
        if (argc < 3 || argc % 2 == 0) {
          arity(seq, spec);
        } else {
          routeKeys(seq, args, argc, spec.kind(), 2);
        }
      }
      case SAME -> routeSame(seq, spec, args, argc);
      case REFUSED -> error(seq, "ERR ringlb: '" + spec.name() + "' " + spec.refusal());
      case LOCAL -> local(seq, spec.name(), args, argc);
      default -> throw new IllegalStateException(spec.kind().name());
    }
  }

  private static String unknownCommand(ByteBuf[] args, int argc) {
    StringBuilder sb = new StringBuilder("ERR unknown command '")
        .append(Replies.text(args[0]))
        .append("', with args beginning with: ");
    for (int i = 1; i < argc && i < 8; i++) {
      sb.append('\'').append(Replies.text(args[i])).append("' ");
    }
    return sb.toString();
  }

  private void arity(long seq, Commands.Spec spec) {
    error(seq, "ERR wrong number of arguments for '" + spec.name() + "' command");
  }

  private int hash(Topology t, ByteBuf key) {
    int len = key.readableBytes();
    if (key.hasArray()) {
      return t.placement().hashKey(key.array(), key.arrayOffset() + key.readerIndex(), len);
    }
    byte[] scratch = worker.scratch(len);
    key.getBytes(key.readerIndex(), scratch, 0, len);
    return t.placement().hashKey(scratch, 0, len);
  }

  // ---- single-key commands

  private static final int[] FIRST_ARGUMENT = {1};

  private void routeKey(long seq, ByteBuf[] args, int argc) {
    Topology t = worker.topology();
    sendToOwner(seq, t, hash(t, args[1]), args, argc, FIRST_ARGUMENT);
  }

  /**
   * Sends a client's command to the owner of routing hash {@code h}. While a migration moves
   * {@code h}, the command's keys (the arguments at {@code keys}) are moved to the new owner
   * first.
   */
  private void sendToOwner(long seq, Topology t, int h, ByteBuf[] args, int argc, int[] keys) {
    int owner = t.placement().serverFor(h);
    if (owner < 0) {
      error(seq, "ERR ringlb: no backend in the ring");
      return;
    }
    Backend target = t.backend(owner);
    worker.begin();
    ClientReply pending = new ClientReply(this, seq, t);
    if (t.previous() != null) {
      int before = t.previous().serverFor(h);
      if (before != owner && before >= 0) {
        ByteBuf[] moving = new ByteBuf[keys.length];
        for (int i = 0; i < keys.length; i++) {
          moving[i] = args[keys[i]];
        }
        moveThenSend(t, t.backend(before), target, bytes(moving),
            encoded(encode(args, argc), pending));
        return;
      }
    }
    target.connection(worker, clientId).send(args, argc, pending);
  }

  // ---- atomic multi-key commands

  private void routeSame(long seq, Commands.Spec spec, ByteBuf[] args, int argc) {
    if (Commands.blocks(spec, args, argc)) {
      error(seq, "ERR ringlb: '" + spec.name() + "' with BLOCK blocks its connection until data"
          + " arrives, and the proxy's connections to a redis-server are shared by its clients;"
          + " poll without BLOCK");
      return;
    }
    int[] keys = Commands.keys(spec, args, argc);
    if (keys == null && spec.first() == 2 && argc >= 2) {
      // MEMORY STATS, OBJECT HELP...: no key to route by
      error(seq, "ERR ringlb: '" + spec.name() + " " + Commands.lower(args[1]) + "' concerns one"
          + " redis-server; run it on the backends directly");
      return;
    }
    if (keys == null) {
      error(seq, spec.numkeys() > 0
          ? "ERR ringlb: '" + spec.name() + "' needs a number of keys of at least 1 and no more"
              + " than the arguments after it (the proxy routes the command by its keys)"
          : spec.numkeys() == Commands.STREAMS
              ? "ERR ringlb: '" + spec.name() + "' needs STREAMS and as many keys as ids after"
                  + " its options (the proxy routes the command by its keys)"
              : "ERR wrong number of arguments for '" + spec.name() + "' command");
      return;
    }
    Topology t = worker.topology();
    int h = hash(t, args[keys[0]]);
    for (int i = 1; i < keys.length; i++) {
      if (hash(t, args[keys[i]]) != h) {
        HashTag tag = proxy.ring().hashTag();
        String user = tag == null ? null : tag.toString().charAt(0) + "user1"
            + tag.toString().charAt(1);
        error(seq, "CROSSSLOT ringlb: the keys of '" + spec.name() + "' are not routed as one,"
            + " so they may live on different backends; " + (tag == null
                ? "hash tags are off (hash-tag: none), so only one key can be used"
                : "give them one hash tag, as in " + user + ".a and " + user + ".b"));
        return;
      }
    }
    sendToOwner(seq, t, h, args, argc, keys);
  }

  // ---- MULTI/EXEC

  /** Queues a command of the transaction, or refuses it (and so the transaction). */
  private void queue(long seq, Commands.Spec spec, ByteBuf[] args, int argc) {
    if (spec.name().equals("unwatch")) {
      // Queued by Redis too, and without effect: the watches are checked when EXEC starts.
      reply(seq, QUEUED);
      return;
    }
    int[] keys = spec.kind() == Commands.Kind.LOCAL || spec.kind() == Commands.Kind.REFUSED
        ? null : Commands.keysOfAny(spec, args, argc);
    if (keys == null) {
      transactionFailed = true;
      error(seq, spec.kind() == Commands.Kind.LOCAL || spec.kind() == Commands.Kind.REFUSED
          ? "ERR ringlb: '" + spec.name() + "' cannot be queued in a transaction through the"
              + " proxy; a transaction holds commands on keys under one hash tag"
          : "ERR wrong number of arguments for '" + spec.name() + "' command");
      return;
    }
    Topology t = worker.topology();
    for (int i : keys) {
      int h = hash(t, args[i]);
      if (transactionKeys.isEmpty() && i == keys[0]) {
        transactionHash = h;
      } else if (h != transactionHash) {
        transactionFailed = true;
        error(seq, "CROSSSLOT ringlb: a transaction's keys must all be routed as one, so that"
            + " it runs on one backend; give them one hash tag");
        return;
      }
    }
    for (int i : keys) {
      transactionKeys.add(ByteBufUtil.getBytes(args[i]));
    }
    transaction.add(encode(args, argc));
    reply(seq, QUEUED);
  }

  /** EXEC: sends MULTI, the queued commands and EXEC to their backend in one piece. */
  private void exec(long seq) {
    ArrayList<ByteBuf> commands = transaction;
    transaction = null;
    byte[][] keys = transactionKeys.toArray(new byte[0][]);
    transactionKeys = null;
    boolean failed = transactionFailed;
    transactionFailed = false;
    if (failed || (commands.isEmpty() && !watching)) {
      for (ByteBuf command : commands) {
        command.release();
      }
      unwatch();
      if (failed) {
        error(seq, "EXECABORT Transaction discarded because of previous errors.");
      } else {
        reply(seq, ArrayRedisMessage.EMPTY_INSTANCE);
      }
      return;
    }
    if (commands.isEmpty()) {
      transactionHash = watchHash; // MULTI, EXEC after WATCH: empty, or nil if a key changed
    }
    Topology t = worker.topology();
    int owner = t.placement().serverFor(transactionHash);
    boolean watched = watching;
    watching = false;
    if (owner < 0 || (watched && (transactionHash != watchHash || owner != watchBackend.id()))) {
      for (ByteBuf command : commands) {
        command.release();
      }
      if (owner < 0) {
        error(seq, "ERR ringlb: no backend in the ring");
      } else if (transactionHash != watchHash) {
        error(seq, "CROSSSLOT ringlb: a transaction must be routed as its WATCHed keys are;"
            + " give them one hash tag");
      } else {
        // The watched keys changed owner since WATCH (a ring change): as if they were modified.
        reply(seq, ArrayRedisMessage.NULL_INSTANCE);
      }
      if (watched) {
        watchConnection.sendEncoded(Unpooled.wrappedBuffer(UNWATCH), new Discarded());
      }
      return;
    }
    BackendConnection pinned = watched ? watchConnection : null;
    worker.begin();
    Sender block = new Sender() {
      @Override
      public void sendTo(BackendConnection to) {
        // One contiguous write on a connection no other command of this worker can cut into:
        // redis-server runs the commands between MULTI and EXEC as one transaction.
        to.sendEncoded(Unpooled.wrappedBuffer(MULTI), new Discarded());
        for (ByteBuf command : commands) {
          to.sendEncoded(command, new Discarded());
          command.release();
        }
        to.sendEncoded(Unpooled.wrappedBuffer(EXEC), new ClientReply(ProxyHandler.this, seq, t));
      }

      @Override
      public void fail(String error) {
        for (ByteBuf command : commands) {
          command.release();
        }
        reply(seq, new ErrorRedisMessage(error));
        worker.end(t);
      }
    };
    Backend target = t.backend(owner);
    Sender send = pinned == null ? block : on(pinned, block);
    if (t.previous() != null) {
      int before = t.previous().serverFor(transactionHash);
      if (before != owner && before >= 0 && keys.length > 0) {
        moveThenSend(t, t.backend(before), target, keys, send);
        return;
      }
    }
    send.sendTo(target.connection(worker, clientId));
  }

  /**
   * WATCH: the keys must be routed as one (and as keys watched before); the command goes to
   * their owner on this client's own connection, after the keys moved there if a migration is
   * moving them.
   */
  private void watch(long seq, ByteBuf[] args, int argc) {
    if (transaction != null) {
      error(seq, "ERR WATCH inside MULTI is not allowed");
      return;
    }
    if (argc < 2) {
      error(seq, "ERR wrong number of arguments for 'watch' command");
      return;
    }
    Topology t = worker.topology();
    int h = hash(t, args[1]);
    for (int i = 2; i < argc; i++) {
      if (hash(t, args[i]) != h) {
        error(seq, "CROSSSLOT ringlb: the keys of 'watch' are not routed as one; give them one"
            + " hash tag");
        return;
      }
    }
    if (watching && h != watchHash) {
      error(seq, "CROSSSLOT ringlb: keys watched together must be routed as one; give them one"
          + " hash tag");
      return;
    }
    int owner = t.placement().serverFor(h);
    if (owner < 0) {
      error(seq, "ERR ringlb: no backend in the ring");
      return;
    }
    Backend target = t.backend(owner);
    if (watching && watchBackend != target) {
      // Keys watched before moved with a ring change: their watch is gone with the old owner,
      // and the transaction must not run as if it held.
      reply(seq, OK);
      return;
    }
    if (watchConnection == null || watchBackend != target) {
      closeWatchConnection();
      watchConnection = new BackendConnection(target, worker);
      worker.register(watchConnection);
      watchBackend = target;
    }
    watching = true;
    watchHash = h;
    worker.begin();
    BackendConnection pinned = watchConnection;
    Sender send = encoded(encode(args, argc), new ClientReply(this, seq, t));
    if (t.previous() != null) {
      int before = t.previous().serverFor(h);
      if (before != owner && before >= 0) {
        ByteBuf[] keys = Arrays.copyOfRange(args, 1, argc);
        moveThenSend(t, t.backend(before), target, bytes(keys), on(pinned, send));
        return;
      }
    }
    send.sendTo(pinned);
  }

  /** Forgets the watched keys (EXEC, DISCARD, UNWATCH and RESET do, as in Redis). */
  private void unwatch() {
    if (watching) {
      watching = false;
      watchConnection.sendEncoded(Unpooled.wrappedBuffer(UNWATCH), new Discarded());
    }
  }

  private void closeWatchConnection() {
    if (watchConnection != null) {
      watchConnection.close("ERR ringlb: the client closed");
      worker.unregister(watchConnection);
      watchConnection = null;
      watchBackend = null;
      watching = false;
    }
  }

  /** Leaves a transaction, if one is open, dropping what it queued. */
  private void endTransaction() {
    if (transaction != null) {
      for (ByteBuf command : transaction) {
        command.release();
      }
    }
    transaction = null;
    transactionKeys = null;
    transactionFailed = false;
  }

  /**
   * The reply to MULTI or to a queued command inside a transaction sent to a backend: dropped,
   * since EXEC's reply says all (EXECABORT when redis-server refused a command).
   */
  private static final class Discarded extends Pending {
    @Override
    void complete(RedisMessage reply) {
      ReferenceCountUtil.release(reply);
    }

    @Override
    void fail(String error) {}
  }

  private static ByteBuf encode(ByteBuf[] args, int argc) {
    ByteBuf encoded = Unpooled.buffer(64);
    Resp.writeCommand(encoded, args, argc);
    return encoded;
  }

  /** What a request sends to its keys' owner once they are there. */
  private interface Sender {
    void sendTo(BackendConnection owner);

    void fail(String error);
  }

  /** Sends {@code command} (RESP, released once sent) for {@code downstream}. */
  private static Sender encoded(ByteBuf command, Pending downstream) {
    return new Sender() {
      @Override
      public void sendTo(BackendConnection owner) {
        owner.sendEncoded(command, downstream);
        command.release();
      }

      @Override
      public void fail(String error) {
        command.release();
        downstream.fail(error);
      }
    };
  }

  /** Sends as {@code sender} does, but on {@code connection} rather than the owner's pooled one. */
  private static Sender on(BackendConnection connection, Sender sender) {
    return new Sender() {
      @Override
      public void sendTo(BackendConnection pooled) {
        sender.sendTo(connection);
      }

      @Override
      public void fail(String error) {
        sender.fail(error);
      }
    };
  }

  private static byte[][] bytes(ByteBuf[] keys) {
    byte[][] out = new byte[keys.length][];
    for (int i = 0; i < keys.length; i++) {
      out[i] = ByteBufUtil.getBytes(keys[i]);
    }
    return out;
  }

  /**
   * Moves {@code keys} one by one from {@code from} to {@code to} with MIGRATE (no REPLACE), then
   * lets {@code then} send to {@code to}. A key already on {@code to} was written there after the
   * move began and is the newer: the old copy is deleted instead.
   */
  private void moveThenSend(Topology t, Backend from, Backend to, byte[][] keys, Sender then) {
    new MoveThenSend(t, from, to, keys, then).moveNext();
  }

  private final class MoveThenSend extends Pending {
    private final Topology topology;
    private final Backend from;
    private final Backend to;
    private final byte[][] keys;
    /** Sends the client's request to the new owner once the keys moved. */
    private final Sender then;
    /** The key being moved. */
    private int next;
    private boolean deleting;

    MoveThenSend(Topology topology, Backend from, Backend to, byte[][] keys, Sender then) {
      this.topology = topology;
      this.from = from;
      this.to = to;
      this.keys = keys;
      this.then = then;
    }

    void moveNext() {
      deleting = false;
      List<Object> args = Migration.migrateArgs(worker.upstream(), to, keys[next]);
      from.connection(worker, clientId).send(args.toArray(), this);
    }

    @Override
    void complete(RedisMessage reply) {
      try {
        if (!deleting && reply instanceof ErrorRedisMessage e && e.content().contains("BUSYKEY")) {
          deleting = true;
          from.connection(worker, clientId).send(new Object[] {"DEL", keys[next]}, this);
          return;
        }
        if (reply instanceof ErrorRedisMessage e) {
          fail("ERR ringlb: could not move the key from " + from.describe() + " to " + to.describe()
              + ": " + e.content());
          return;
        }
        if (!deleting && reply instanceof SimpleStringRedisMessage s && "OK".equals(s.content())) {
          Migration m = topology.migration();
          if (m != null) {
            m.countClientMove();
          }
        }
        if (++next < keys.length) {
          moveNext();
          return;
        }
        then.sendTo(to.connection(worker, clientId));
      } finally {
        ReferenceCountUtil.release(reply);
      }
    }

    @Override
    void fail(String error) {
      then.fail(error);
    }
  }

  /** Delivers a backend's reply as the reply of one client request. */
  private static final class ClientReply extends Pending {
    private final ProxyHandler handler;
    private final long seq;
    private final Topology topology;

    ClientReply(ProxyHandler handler, long seq, Topology topology) {
      this.handler = handler;
      this.seq = seq;
      this.topology = topology;
    }

    @Override
    boolean raw() {
      return true;
    }

    @Override
    void completeRaw(ByteBuf reply) {
      handler.replyRaw(seq, reply);
      handler.worker.end(topology);
    }

    @Override
    void complete(RedisMessage reply) {
      handler.reply(seq, reply);
      handler.worker.end(topology);
    }

    @Override
    void fail(String error) {
      handler.reply(seq, new ErrorRedisMessage(error));
      handler.worker.end(topology);
    }
  }

  // ---- multi-key commands

  private void routeKeys(long seq, ByteBuf[] args, int argc, Commands.Kind kind, int step) {
    Topology t = worker.topology();
    int n = (argc - 1) / step;
    int[] owners = new int[n];
    int[] from = new int[n];
    boolean split = false;
    for (int i = 0; i < n; i++) {
      int h = hash(t, args[1 + i * step]);
      owners[i] = t.placement().serverFor(h);
      if (owners[i] < 0) {
        error(seq, "ERR ringlb: no backend in the ring");
        return;
      }
      from[i] = -1;
      if (t.previous() != null) {
        int before = t.previous().serverFor(h);
        if (before != owners[i] && before >= 0) {
          from[i] = before;
          split = true;
        }
      }
      if (owners[i] != owners[0]) {
        split = true;
      }
    }
    worker.begin();
    if (!split) {
      t.backend(owners[0]).connection(worker, clientId)
          .send(args, argc, new ClientReply(this, seq, t));
      return;
    }
    // Group the keys staying put by owner; each moving key is a part of its own.
    Map<Integer, List<Integer>> groups = new LinkedHashMap<>();
    List<Integer> moving = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      if (from[i] >= 0) {
        moving.add(i);
      } else {
        groups.computeIfAbsent(owners[i], x -> new ArrayList<>()).add(i);
      }
    }
    Multi multi = new Multi(this, seq, t, kind, n, groups.size() + moving.size());
    for (Map.Entry<Integer, List<Integer>> group : groups.entrySet()) {
      int[] keys = group.getValue().stream().mapToInt(Integer::intValue).toArray();
      ByteBuf[] part = subCommand(args, keys, step);
      t.backend(group.getKey()).connection(worker, clientId)
          .send(part, part.length, multi.part(keys));
    }
    for (int i : moving) {
      int[] keys = {i};
      ByteBuf[] part = subCommand(args, keys, step);
      moveThenSend(t, t.backend(from[i]), t.backend(owners[i]),
          new byte[][] {ByteBufUtil.getBytes(args[1 + i * step])},
          encoded(encode(part, part.length), multi.part(keys)));
    }
  }

  /** Returns the command name and the arguments of {@code keys} (not retained). */
  private static ByteBuf[] subCommand(ByteBuf[] args, int[] keys, int step) {
    ByteBuf[] part = new ByteBuf[1 + keys.length * step];
    part[0] = args[0];
    int at = 1;
    for (int i : keys) {
      for (int j = 0; j < step; j++) {
        part[at++] = args[1 + i * step + j];
      }
    }
    return part;
  }

  /** Combines the parts of a split or fanned-out request into one reply. */
  private static final class Multi {
    private final ProxyHandler handler;
    private final long seq;
    private final Topology topology;
    private final Commands.Kind kind;
    private final RedisMessage[] values;
    private int remaining;
    private long sum;
    private String error;

    Multi(ProxyHandler handler, long seq, Topology topology, Commands.Kind kind, int keys,
        int parts) {
      this.handler = handler;
      this.seq = seq;
      this.topology = topology;
      this.kind = kind;
      this.values = kind == Commands.Kind.MGET ? new RedisMessage[keys] : null;
      this.remaining = parts;
    }

    Pending part(int[] keys) {
      return new Pending() {
        @Override
        void complete(RedisMessage reply) {
          try {
            if (reply instanceof ErrorRedisMessage e) {
              recordError(e.content());
            } else if (kind == Commands.Kind.MGET && reply instanceof ArrayRedisMessage a
                && a.children().size() == keys.length) {
              for (int j = 0; j < keys.length; j++) {
                values[keys[j]] = ReferenceCountUtil.retain(a.children().get(j));
              }
            } else if (kind == Commands.Kind.COUNT_KEYS && reply instanceof IntegerRedisMessage i) {
              sum += i.value();
            } else if (kind == Commands.Kind.MSET && reply instanceof SimpleStringRedisMessage) {
              // OK
            } else {
              recordError("ERR ringlb: unexpected reply from a backend");
            }
          } finally {
            ReferenceCountUtil.release(reply);
          }
          done();
        }

        @Override
        void fail(String text) {
          recordError(text);
          done();
        }
      };
    }

    private void recordError(String text) {
      if (error == null) {
        error = text;
      }
    }

    private void done() {
      if (--remaining > 0) {
        return;
      }
      RedisMessage reply;
      if (error != null) {
        if (values != null) {
          for (RedisMessage v : values) {
            ReferenceCountUtil.release(v);
          }
        }
        reply = new ErrorRedisMessage(error);
      } else if (kind == Commands.Kind.MGET) {
        reply = new ArrayRedisMessage(Arrays.asList(values));
      } else if (kind == Commands.Kind.COUNT_KEYS) {
        reply = new IntegerRedisMessage(sum);
      } else {
        reply = OK;
      }
      handler.reply(seq, reply);
      handler.worker.end(topology);
    }
  }

  // ---- fan-out to every backend

  /** Receives one plain-value reply per backend (or a {@link Replies.Error}) and answers. */
  @FunctionalInterface
  private interface Gather {
    RedisMessage combine(Backend[] backends, Object[] replies);
  }

  private void fanOut(long seq, Backend[] targets, Object[] command, Gather gather) {
    Topology t = worker.topology();
    if (targets.length == 0) {
      reply(seq, gather.combine(targets, new Object[0]));
      return;
    }
    Object[] results = new Object[targets.length];
    int[] remaining = {targets.length};
    worker.begin();
    for (int i = 0; i < targets.length; i++) {
      int index = i;
      targets[i].connection(worker, clientId).send(command, new Pending() {
        @Override
        void complete(RedisMessage reply) {
          try {
            results[index] = Replies.toValue(reply);
          } finally {
            ReferenceCountUtil.release(reply);
          }
          done();
        }

        @Override
        void fail(String error) {
          results[index] = new Replies.Error(error);
          done();
        }

        private void done() {
          if (--remaining[0] == 0) {
            RedisMessage combined;
            try {
              combined = gather.combine(targets, results);
            } catch (RuntimeException e) {
              combined = new ErrorRedisMessage("ERR ringlb: " + e.getMessage());
            }
            reply(seq, combined);
            worker.end(t);
          }
        }
      });
    }
  }

  /** The backends holding keys now: the ring's serving members and, while migrating, old owners. */
  private static Backend[] dataBackends(Topology t) {
    List<Backend> out = new ArrayList<>();
    for (Backend b : t.backends()) {
      if (!b.isEjected() && (t.placement().contains(b.id())
          || (t.previous() != null && t.previous().contains(b.id())))) {
        out.add(b);
      }
    }
    return out.toArray(new Backend[0]);
  }

  // ---- commands answered by the proxy

  private void local(long seq, String name, ByteBuf[] argv, int argc) {
    List<ByteBuf> args = Arrays.asList(argv).subList(0, argc);
    switch (name) {
      case "ping" -> {
        if (pubsub != null && argc <= 2) {
          // Subscribed, Redis answers ["pong", message] (RESP2)
          reply(seq, new ArrayRedisMessage(List.of(Replies.bulk("pong"), argc == 2
              ? new FullBulkStringRedisMessage(Unpooled.copiedBuffer(args.get(1)))
              : Replies.bulk(""))));
        } else if (argc == 1) {
          reply(seq, PONG);
        } else if (argc == 2) {
          reply(seq, new FullBulkStringRedisMessage(Unpooled.copiedBuffer(args.get(1))));
        } else {
          error(seq, "ERR wrong number of arguments for 'ping' command");
        }
      }
      case "echo" -> {
        if (argc != 2) {
          error(seq, "ERR wrong number of arguments for 'echo' command");
        } else {
          reply(seq, new FullBulkStringRedisMessage(Unpooled.copiedBuffer(args.get(1))));
        }
      }
      case "quit" -> {
        quitSeq = seq;
        reply(seq, OK);
      }
      case "multi" -> {
        if (transaction != null) {
          error(seq, "ERR MULTI calls can not be nested");
        } else {
          transaction = new ArrayList<>();
          transactionKeys = new ArrayList<>();
          reply(seq, OK);
        }
      }
      case "exec" -> {
        if (transaction == null) {
          error(seq, "ERR EXEC without MULTI");
        } else {
          exec(seq);
        }
      }
      case "discard" -> {
        if (transaction == null) {
          error(seq, "ERR DISCARD without MULTI");
        } else {
          endTransaction();
          unwatch();
          reply(seq, OK);
        }
      }
      case "watch" -> watch(seq, argv, argc);
      case "subscribe", "psubscribe", "unsubscribe", "punsubscribe" ->
          subscription(seq, name, argv, argc);
      case "publish" -> publish(seq, argv, argc);
      case "pubsub" -> pubsubInfo(seq, argv, argc);
      case "unwatch" -> {
        unwatch();
        reply(seq, OK);
      }
      case "reset" -> {
        endTransaction();
        unwatch();
        endPubSub();
        authenticated = proxy.config().requirePass() == null;
        clientName = null;
        reply(seq, new SimpleStringRedisMessage("RESET"));
      }
      case "select" -> {
        if (argc != 2) {
          error(seq, "ERR wrong number of arguments for 'select' command");
        } else if (!"0".equals(arg(args, 1))) {
          error(seq, "ERR DB index is out of range");
        } else {
          reply(seq, OK);
        }
      }
      case "auth" -> auth(seq, args);
      case "hello" -> hello(seq, args);
      case "client" -> client(seq, args);
      case "command" -> command(seq, argv, argc);
      case "config" -> {
        if (argc >= 2 && "get".equalsIgnoreCase(arg(args, 1))) {
          reply(seq, ArrayRedisMessage.EMPTY_INSTANCE);
        } else {
          error(seq, "ERR ringlb: CONFIG is not supported by the proxy; configure each "
              + "redis-server directly");
        }
      }
      case "time" -> {
        long micros = System.currentTimeMillis() * 1000;
        reply(seq, new ArrayRedisMessage(List.of(Replies.bulk(Long.toString(micros / 1_000_000)),
            Replies.bulk(Long.toString(micros % 1_000_000)))));
      }
      case "dbsize" -> {
        if (argc != 1) {
          error(seq, "ERR wrong number of arguments for 'dbsize' command");
          return;
        }
        fanOut(seq, dataBackends(worker.topology()), new Object[] {"DBSIZE"}, (bs, replies) -> {
          long total = 0;
          for (Object r : replies) {
            if (r instanceof Replies.Error e) {
              return new ErrorRedisMessage(e.text());
            }
            total += (Long) r;
          }
          return new IntegerRedisMessage(total);
        });
      }
      case "flushall", "flushdb" -> {
        Object[] cmd = new Object[argc];
        for (int i = 0; i < argc; i++) {
          cmd[i] = arg(args, i);
        }
        fanOut(seq, dataBackends(worker.topology()), cmd, (bs, replies) -> {
          for (Object r : replies) {
            if (r instanceof Replies.Error e) {
              return new ErrorRedisMessage(e.text());
            }
          }
          return OK;
        });
      }
      case "script", "function" -> everywhere(seq, name, argv, argc);
      case "scan" -> scan(seq, args);
      case "info" -> info(seq, args);
      case "ring" -> ring(seq, args);
      default -> error(seq, "ERR unknown command '" + name + "'");
    }
  }

  /**
   * SCRIPT LOAD/EXISTS/FLUSH and FUNCTION LOAD/DELETE/FLUSH, run on every backend holding keys so
   * that EVALSHA and FCALL find the script or function whichever backend their keys route to.
   */
  private void everywhere(long seq, String name, ByteBuf[] argv, int argc) {
    String sub = argc >= 2 ? Replies.text(argv[1]).toLowerCase(java.util.Locale.ROOT) : "";
    boolean exists = name.equals("script") && sub.equals("exists");
    boolean served = name.equals("script")
        ? sub.equals("load") || sub.equals("flush") || exists
        : sub.equals("load") || sub.equals("delete") || sub.equals("flush");
    if (!served) {
      error(seq, argc < 2
          ? "ERR wrong number of arguments for '" + name + "' command"
          : "ERR ringlb: '" + name + " " + sub + "' concerns one redis-server; run it on the"
              + " backends directly");
      return;
    }
    fanOut(seq, dataBackends(worker.topology()), commandOf(argv, argc), (backends, replies) -> {
      for (Object r : replies) {
        if (r instanceof Replies.Error e) {
          return new ErrorRedisMessage(e.text());
        }
      }
      if (replies.length == 0) {
        return new ErrorRedisMessage("ERR ringlb: no backend in the ring");
      }
      if (exists) {
        // A script exists when every backend has it.
        List<RedisMessage> all = new ArrayList<>();
        for (int i = 0; i < ((List<?>) replies[0]).size(); i++) {
          long everywhere = 1;
          for (Object r : replies) {
            everywhere = Math.min(everywhere, (Long) ((List<?>) r).get(i));
          }
          all.add(new IntegerRedisMessage(everywhere));
        }
        return new ArrayRedisMessage(all);
      }
      return replies[0] instanceof byte[] bytes ? Replies.bulk(bytes)
          : new SimpleStringRedisMessage(String.valueOf(replies[0]));
    });
  }

  /**
   * COMMAND: COUNT is the proxy's own; the rest is asked of a backend, which knows every
   * command's arity, flags, keys and docs, and filtered to the commands the proxy serves.
   */
  private void command(long seq, ByteBuf[] argv, int argc) {
    String sub = argc >= 2 ? Commands.lower(argv[1]) : "";
    if (sub.equals("count")) {
      reply(seq, new IntegerRedisMessage(Commands.servedCount()));
      return;
    }
    if (!java.util.Set.of("", "info", "docs", "list", "getkeys", "getkeysandflags")
        .contains(sub)) {
      error(seq, "ERR unknown subcommand '" + Replies.text(argv[1]) + "'. Try COMMAND HELP.");
      return;
    }
    boolean named = sub.equals("info") && argc > 2;
    askOneBackend(seq, argv, argc, (backends, replies) -> {
      Object r = replies[0];
      if (!(r instanceof List<?> items) || sub.startsWith("getkeys")) {
        return Replies.toMessage(r);
      }
      List<Object> out = new ArrayList<>();
      for (int i = 0; i < items.size(); i++) {
        Object item = items.get(i);
        if (sub.equals("docs")) {
          // name, docs, name, docs...
          if (Commands.served((byte[]) item)) {
            out.add(item);
            out.add(items.get(i + 1));
          }
          i++;
        } else {
          byte[] name = item instanceof List<?> entry ? (byte[]) entry.get(0)
              : item instanceof byte[] b ? b : null;
          if (name != null && Commands.served(name)) {
            out.add(item);
          } else if (named) {
            out.add(null); // COMMAND INFO of a command the proxy does not serve: nil, as Redis
          }
        }
      }
      return Replies.toMessage(out);
    });
  }

  private static String arg(List<ByteBuf> args, int i) {
    return Replies.text(args.get(i));
  }

  private void auth(long seq, List<ByteBuf> args) {
    String required = proxy.config().requirePass();
    if (args.size() < 2 || args.size() > 3) {
      error(seq, "ERR wrong number of arguments for 'auth' command");
    } else if (required == null) {
      error(seq, "ERR AUTH <password> called without any password configured for the default "
          + "user. Are you sure your configuration is correct?");
    } else if (checkPassword(args, 1, args.size() == 3)) {
      authenticated = true;
      reply(seq, OK);
    } else {
      error(seq, "WRONGPASS invalid username-password pair or user is disabled.");
    }
  }

  private boolean checkPassword(List<ByteBuf> args, int at, boolean withUser) {
    if (withUser && !"default".equals(arg(args, at))) {
      return false;
    }
    byte[] given = arg(args, withUser ? at + 1 : at).getBytes(StandardCharsets.UTF_8);
    byte[] expected = proxy.config().requirePass().getBytes(StandardCharsets.UTF_8);
    return java.security.MessageDigest.isEqual(given, expected);
  }

  private void hello(long seq, List<ByteBuf> args) {
    int i = 1;
    if (args.size() > 1) {
      String version = arg(args, 1);
      if (!"2".equals(version)) {
        if ("3".equals(version)) {
          error(seq, "NOPROTO sorry, this protocol version is not supported.");
        } else {
          error(seq, "ERR Protocol version is not an integer or out of range");
        }
        return;
      }
      i = 2;
    }
    while (i < args.size()) {
      String option = arg(args, i);
      if ("auth".equalsIgnoreCase(option) && i + 2 < args.size()) {
        if (proxy.config().requirePass() == null || !checkPassword(args, i + 1, true)) {
          error(seq, "WRONGPASS invalid username-password pair or user is disabled.");
          return;
        }
        authenticated = true;
        i += 3;
      } else if ("setname".equalsIgnoreCase(option) && i + 1 < args.size()) {
        clientName = arg(args, i + 1);
        i += 2;
      } else {
        error(seq, "ERR Syntax error in HELLO option '" + option + "'");
        return;
      }
    }
    if (!authenticated) {
      error(seq, "NOAUTH HELLO must be called with the client already authenticated, otherwise "
          + "the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client "
          + "and select the RESP protocol version at the same time");
      return;
    }
    reply(seq, new ArrayRedisMessage(List.of(
        Replies.bulk("server"), Replies.bulk("ringlb"),
        Replies.bulk("version"), Replies.bulk(ProxyInfo.version()),
        Replies.bulk("proto"), new IntegerRedisMessage(2),
        Replies.bulk("id"), new IntegerRedisMessage(clientId),
        Replies.bulk("mode"), Replies.bulk("proxy"),
        Replies.bulk("role"), Replies.bulk("master"),
        Replies.bulk("modules"), ArrayRedisMessage.EMPTY_INSTANCE)));
  }

  private void client(long seq, List<ByteBuf> args) {
    if (args.size() < 2) {
      error(seq, "ERR wrong number of arguments for 'client' command");
      return;
    }
    String sub = arg(args, 1).toLowerCase(java.util.Locale.ROOT);
    switch (sub) {
      case "setname" -> {
        if (args.size() != 3) {
          error(seq, "ERR wrong number of arguments for 'client|setname' command");
        } else {
          String n = arg(args, 2);
          clientName = n.isEmpty() ? null : n;
          reply(seq, OK);
        }
      }
      case "getname" -> reply(seq, clientName == null
          ? FullBulkStringRedisMessage.NULL_INSTANCE : Replies.bulk(clientName));
      case "id" -> reply(seq, new IntegerRedisMessage(clientId));
      case "reply" -> {
        // Replies are matched to requests in order; a client that turned them off would be
        // answered anyway and read them as replies to later commands, so only ON is taken.
        if (args.size() == 3 && "on".equalsIgnoreCase(arg(args, 2))) {
          reply(seq, OK);
        } else {
          error(seq, "ERR ringlb: only CLIENT REPLY ON is supported");
        }
      }
      case "setinfo", "no-evict", "no-touch" -> reply(seq, OK);
      case "info" -> reply(seq, Replies.bulk(describe(System.nanoTime()) + "\n"));
      case "list" -> {
        long now = System.nanoTime();
        StringBuilder sb = new StringBuilder();
        for (ProxyHandler client : new java.util.TreeMap<>(proxy.clients().connected()).values()) {
          sb.append(client.describe(now)).append('\n');
        }
        reply(seq, Replies.bulk(sb.toString()));
      }
      case "kill" -> kill(seq, args);
      default -> error(seq, "ERR unknown subcommand '" + arg(args, 1)
          + "'. Try CLIENT HELP.");
    }
  }

  // ---- publish/subscribe

  /** (P)SUBSCRIBE and (P)UNSUBSCRIBE: answered here, one confirmation per name. */
  private void subscription(long seq, String name, ByteBuf[] argv, int argc) {
    boolean subscribe = name.endsWith("subscribe") && !name.contains("unsub");
    if (subscribe && argc < 2) {
      error(seq, "ERR wrong number of arguments for '" + name + "' command");
      return;
    }
    List<byte[]> names = new ArrayList<>(argc - 1);
    for (int i = 1; i < argc; i++) {
      names.add(ByteBufUtil.getBytes(argv[i]));
    }
    boolean pattern = name.startsWith("p");
    boolean fresh = pubsub == null;
    if (fresh) {
      pubsub = new PubSub(this, worker);
      worker.addSubscriber(pubsub);
    }
    if (subscribe) {
      pubsub.subscribe(pattern, names, worker.topology(), confirmations -> confirm(seq,
          confirmations));
      return;
    }
    confirm(seq, pubsub.unsubscribe(pattern, names));
    if (pubsub.count() == 0) {
      endPubSub(); // subscribed to nothing: the client is out of subscribed mode
    }
  }

  /** Answers request {@code seq} with the (un)subscribe confirmations, one after the other. */
  private void confirm(long seq, List<RedisMessage> confirmations) {
    ByteBuf encoded = Unpooled.buffer(64 * confirmations.size());
    for (RedisMessage confirmation : confirmations) {
      Resp.write(encoded, confirmation);
      ReferenceCountUtil.release(confirmation);
    }
    replyRaw(seq, encoded);
    encoded.release();
  }

  /** Passes a message a backend pushed to this subscribed client, after every earlier reply. */
  void push(RedisMessage message) {
    if (closed || pubsub == null) {
      ReferenceCountUtil.release(message);
      return;
    }
    reply(nextSlot(), message);
  }

  private void endPubSub() {
    if (pubsub != null) {
      pubsub.close();
      worker.removeSubscriber(pubsub);
      pubsub = null;
    }
  }

  /**
   * PUBLISH to the backend owning the channel (as a key, hash tag and all). Subscribers through
   * the proxy are subscribed on every backend, so one copy reaches each of them.
   */
  private void publish(long seq, ByteBuf[] argv, int argc) {
    if (argc != 3) {
      error(seq, "ERR wrong number of arguments for 'publish' command");
      return;
    }
    Topology t = worker.topology();
    int owner = t.placement().serverFor(hash(t, argv[1]));
    if (owner < 0) {
      error(seq, "ERR ringlb: no backend in the ring");
      return;
    }
    worker.begin();
    t.backend(owner).connection(worker, clientId).send(argv, argc, new ClientReply(this, seq, t));
  }

  /** PUBSUB CHANNELS, NUMSUB and NUMPAT, from one backend: all hold the same subscriptions. */
  private void pubsubInfo(long seq, ByteBuf[] argv, int argc) {
    askOneBackend(seq, argv, argc, (backends, replies) -> Replies.toMessage(replies[0]));
  }

  /** Sends the client's command to one backend holding keys; {@code gather} makes the reply. */
  private void askOneBackend(long seq, ByteBuf[] argv, int argc, Gather gather) {
    Backend[] all = dataBackends(worker.topology());
    if (all.length == 0) {
      error(seq, "ERR ringlb: no backend in the ring");
      return;
    }
    fanOut(seq, new Backend[] {all[0]}, commandOf(argv, argc), gather);
  }

  /** Returns a client's command as arguments for {@link BackendConnection#send(Object[], Pending)}, bytes kept as they are. */
  private static Object[] commandOf(ByteBuf[] argv, int argc) {
    Object[] command = new Object[argc];
    for (int i = 0; i < argc; i++) {
      command[i] = ByteBufUtil.getBytes(argv[i]);
    }
    return command;
  }

  /** This client as a line of CLIENT LIST. */
  private String describe(long now) {
    Commands.Spec last = lastCommand;
    ArrayList<ByteBuf> queued = transaction;
    return "id=" + clientId
        + " addr=" + address(ctx.channel().remoteAddress())
        + " laddr=" + address(ctx.channel().localAddress())
        + " name=" + (clientName == null ? "" : clientName)
        + " age=" + (now - createdNanos) / 1_000_000_000L
        + " idle=" + Math.max(0, now - lastActiveNanos) / 1_000_000_000L
        + " db=0"
        + " multi=" + (queued == null ? -1 : queued.size())
        + " watch=" + (watching ? 1 : 0)
        + " cmd=" + (last == null ? "NULL" : last.name());
  }

  private static String address(java.net.SocketAddress address) {
    return address instanceof java.net.InetSocketAddress a
        ? a.getAddress().getHostAddress() + ":" + a.getPort() : String.valueOf(address);
  }

  /** CLIENT KILL addr, or CLIENT KILL ID id / ADDR addr ... (the filters Redis has for these). */
  private void kill(long seq, List<ByteBuf> args) {
    if (args.size() == 3) {
      int killed = killWhere(seq, null, arg(args, 2));
      if (killed == 0) {
        error(seq, "ERR No such client");
      } else {
        reply(seq, OK);
      }
      return;
    }
    if (args.size() < 4 || args.size() % 2 != 0) {
      error(seq, "ERR syntax error");
      return;
    }
    Integer id = null;
    String addr = null;
    for (int i = 2; i < args.size(); i += 2) {
      String filter = arg(args, i).toLowerCase(java.util.Locale.ROOT);
      String value = arg(args, i + 1);
      switch (filter) {
        case "id" -> {
          try {
            id = Integer.parseInt(value);
          } catch (NumberFormatException e) {
            error(seq, "ERR client-id should be greater than 0");
            return;
          }
        }
        case "addr" -> addr = value;
        default -> {
          error(seq, "ERR ringlb: CLIENT KILL filters by ID and ADDR only, not " + filter);
          return;
        }
      }
    }
    reply(seq, new IntegerRedisMessage(killWhere(seq, id, addr)));
  }

  /** Closes the clients matching; this one only once request {@code seq} is answered. */
  private int killWhere(long seq, Integer id, String addr) {
    int killed = 0;
    for (ProxyHandler client : proxy.clients().connected().values()) {
      if ((id == null || client.clientId == id)
          && (addr == null || addr.equals(address(client.ctx.channel().remoteAddress())))) {
        if (client == this) {
          quitSeq = seq;
        } else {
          client.ctx.channel().close();
        }
        killed++;
      }
    }
    return killed;
  }

  /**
   * SCAN over every backend, one after the other. Redis's guarantee holds through ring changes:
   * every key present from the first call to the last is returned (some maybe twice). During a
   * migration the backends keys leave are scanned before those they go to, so a key that moves
   * mid-iteration is found on one side or the other; and a cursor made under another topology
   * (the ring changed between two calls) starts the iteration again from the first backend.
   */
  private void scan(long seq, List<ByteBuf> args) {
    if (args.size() < 2 || args.size() % 2 != 0) {
      error(seq, "ERR wrong number of arguments for 'scan' command");
      return;
    }
    long cursor;
    try {
      cursor = Long.parseUnsignedLong(arg(args, 1));
    } catch (NumberFormatException e) {
      error(seq, "ERR invalid cursor");
      return;
    }
    Topology t = worker.topology();
    Backend[] order = scanOrder(t);
    if (order.length > 1 << SCAN_PLACE_BITS) {
      error(seq, "ERR ringlb: SCAN through the proxy covers at most " + (1 << SCAN_PLACE_BITS)
          + " backends");
      return;
    }
    long epoch = t.epoch() & ((1L << SCAN_EPOCH_BITS) - 1);
    int place = 0;
    long backendCursor = 0;
    if (cursor != 0 && (cursor & ((1L << SCAN_EPOCH_BITS) - 1)) == epoch) {
      place = (int) ((cursor >>> SCAN_EPOCH_BITS) & ((1L << SCAN_PLACE_BITS) - 1));
      backendCursor = cursor >>> SCAN_SHIFT;
    }
    if (place >= order.length) {
      reply(seq, new ArrayRedisMessage(List.of(Replies.bulk("0"),
          ArrayRedisMessage.EMPTY_INSTANCE)));
      return;
    }
    Object[] command = new Object[args.size()];
    command[0] = "SCAN";
    command[1] = Long.toUnsignedString(backendCursor);
    for (int i = 2; i < args.size(); i++) {
      command[i] = arg(args, i);
    }
    int at = place;
    fanOut(seq, new Backend[] {order[at]}, command, (bs, replies) -> {
      Object r = replies[0];
      if (r instanceof Replies.Error e) {
        return new ErrorRedisMessage(e.text());
      }
      List<?> pair = (List<?>) r;
      long next = Long.parseUnsignedLong(new String((byte[]) pair.get(0), StandardCharsets.UTF_8));
      if (Long.numberOfLeadingZeros(next) < SCAN_SHIFT) {
        return new ErrorRedisMessage("ERR ringlb: " + bs[0].describe() + " returned a SCAN cursor"
            + " too large to carry through the proxy: " + Long.toUnsignedString(next));
      }
      long out;
      if (next != 0) {
        out = next << SCAN_SHIFT | (long) at << SCAN_EPOCH_BITS | epoch;
      } else if (at + 1 < order.length) {
        out = (long) (at + 1) << SCAN_EPOCH_BITS | epoch;
      } else {
        out = 0;
      }
      List<RedisMessage> keys = new ArrayList<>();
      for (Object k : (List<?>) pair.get(1)) {
        keys.add(Replies.bulk((byte[]) k));
      }
      return new ArrayRedisMessage(List.of(Replies.bulk(Long.toUnsignedString(out)),
          new ArrayRedisMessage(keys)));
    });
  }

  /**
   * Returns the backends in the order SCAN visits them: ascending by id, except that a backend
   * leaving the ring comes first and one joining it comes last, as keys only move from the one
   * leaving or to the one joining.
   */
  private static Backend[] scanOrder(Topology t) {
    Backend[] all = t.backends();
    Migration m = t.migration();
    if (m == null) {
      return all;
    }
    Backend[] order = new Backend[all.length];
    int n = 0;
    Backend moving = null;
    for (Backend b : all) {
      if (b.id() == m.server()) {
        moving = b;
      } else {
        order[n++] = b;
      }
    }
    if (moving == null) {
      return all;
    }
    if (m.kind() == Migration.Kind.REMOVE) {
      System.arraycopy(order, 0, order, 1, n);
      order[0] = moving;
    } else {
      order[n] = moving;
    }
    return order;
  }

  private void info(long seq, List<ByteBuf> args) {
    String section = args.size() > 1 ? arg(args, 1).toLowerCase(java.util.Locale.ROOT) : "default";
    Topology t = worker.topology();
    Backend[] backends = t.backends();
    if (!ProxyInfo.countsKeys(section)) {
      // No section asked for needs the backends' key counts: answer without asking them, so
      // that INFO stats or INFO server answer at once even while a backend is frozen.
      reply(seq, Replies.bulk(ProxyInfo.info(proxy, t, section, backends,
          new Object[backends.length])));
      return;
    }
    fanOut(seq, backends, new Object[] {"DBSIZE"},
        (bs, replies) -> Replies.bulk(ProxyInfo.info(proxy, t, section, bs, replies)));
  }

  private void ring(long seq, List<ByteBuf> args) {
    if (args.size() < 2) {
      error(seq, "ERR wrong number of arguments for 'ring' command");
      return;
    }
    String sub = arg(args, 1).toLowerCase(java.util.Locale.ROOT);
    Topology t = worker.topology();
    switch (sub) {
      case "add" -> {
        if (args.size() != 4) {
          error(seq, "ERR ringlb: usage: RING ADD <id> <host:port>");
          return;
        }
        ProxyConfig.BackendSpec spec;
        try {
          int id = ProxyConfig.parseId(arg(args, 2), "RING ADD");
          spec = ProxyConfig.BackendSpec.parse(id, arg(args, 3), "RING ADD");
        } catch (IllegalArgumentException e) {
          error(seq, "ERR ringlb: " + e.getMessage());
          return;
        }
        answerLater(seq, proxy.ring().ringAdd(spec));
      }
      case "remove" -> {
        boolean force = args.size() == 4 && "force".equalsIgnoreCase(arg(args, 3));
        if (args.size() != 3 && !force) {
          error(seq, "ERR ringlb: usage: RING REMOVE <id> [FORCE]");
          return;
        }
        int id;
        try {
          id = ProxyConfig.parseId(arg(args, 2), "RING REMOVE");
        } catch (IllegalArgumentException e) {
          error(seq, "ERR ringlb: " + e.getMessage());
          return;
        }
        answerLater(seq, force ? proxy.ring().ringRemoveForce(id) : proxy.ring().ringRemove(id));
      }
      case "nodes" -> fanOut(seq, t.backends(), new Object[] {"DBSIZE"},
          (bs, replies) -> Replies.bulk(ProxyInfo.nodes(proxy, t, bs, replies)));
      case "stats" -> fanOut(seq, t.backends(), new Object[] {"DBSIZE"},
          (bs, replies) -> Replies.bulk(ProxyInfo.stats(proxy, t, bs, replies)));
      case "locate" -> {
        if (args.size() != 3) {
          error(seq, "ERR ringlb: usage: RING LOCATE <key>");
          return;
        }
        ByteBuf key = args.get(2);
        int h = hash(t, key);
        reply(seq, Replies.bulk(ProxyInfo.locate(t, h)));
      }
      default -> error(seq, "ERR unknown subcommand '" + arg(args, 1)
          + "'. Try RING ADD, REMOVE, NODES, LOCATE or STATS.");
    }
  }

  private void answerLater(long seq, java.util.concurrent.CompletableFuture<String> future) {
    future.whenComplete((ok, failure) -> worker.loop().execute(() -> {
      if (failure == null) {
        reply(seq, new SimpleStringRedisMessage(ok));
      } else {
        Throwable cause = failure instanceof java.util.concurrent.CompletionException
            && failure.getCause() != null ? failure.getCause() : failure;
        String text = cause.getMessage() == null ? cause.toString() : cause.getMessage();
        error(seq, text.startsWith("ERR ") ? text : "ERR ringlb: " + text);
      }
      worker.flushSoon();
    }));
  }
}
