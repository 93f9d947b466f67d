package io.ringlb.server.proxy;

import io.netty.buffer.ByteBuf;
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
  /** Cursors of SCAN through the proxy: backend cursor times this, plus the backend's index. */
  private static final long SCAN_BACKENDS = 1024;

  private static final SimpleStringRedisMessage OK = new SimpleStringRedisMessage("OK");
  private static final SimpleStringRedisMessage PONG = new SimpleStringRedisMessage("PONG");

  private final Proxy proxy;
  private final Worker worker;
  private final int clientId;
  private ChannelHandlerContext ctx;

  private Object[] slots = new Object[16];
  private long nextSeq;
  private long headSeq;
  private ArrayDeque<RedisMessage> parked;
  private boolean closed;
  private boolean dirty;
  private boolean authenticated;
  private long quitSeq = -1;
  private String clientName;

  ProxyHandler(Proxy proxy, Worker worker, int clientId) {
    this.proxy = proxy;
    this.worker = worker;
    this.clientId = clientId;
    this.authenticated = proxy.config().requirePass() == null;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    closed = true;
    for (int i = 0; i < slots.length; i++) {
      ReferenceCountUtil.release(slots[i]);
      slots[i] = null;
    }
    if (parked != null) {
      RedisMessage m;
      while ((m = parked.poll()) != null) {
        ReferenceCountUtil.release(m);
      }
    }
    ctx.fireChannelInactive();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (closed || quitSeq >= 0) {
      ReferenceCountUtil.release(msg);
      return;
    }
    RedisMessage message = (RedisMessage) msg;
    if (!worker.ready || (parked != null && !parked.isEmpty())) {
      if (parked == null) {
        parked = new ArrayDeque<>();
      }
      if (parked.isEmpty()) {
        worker.park(this);
      }
      parked.add(message);
      return;
    }
    dispatch(message);
  }

  /** The worker adopted a topology every worker has drained the predecessor of: go on. */
  void unpark() {
    RedisMessage m;
    while (worker.ready && !closed && (m = parked.poll()) != null) {
      dispatch(m);
    }
    if (closed) {
      while ((m = parked.poll()) != null) {
        ReferenceCountUtil.release(m);
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
      ctx.writeAndFlush(new ErrorRedisMessage("ERR Protocol error: " + reason))
          .addListener(ChannelFutureListener.CLOSE);
    } else {
      ctx.close();
    }
  }

  // ---- replies in request order

  private long nextSlot() {
    if (nextSeq - headSeq == slots.length) {
      Object[] bigger = new Object[slots.length * 2];
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

  /** Delivers the reply of request {@code seq}; takes ownership of {@code reply}. */
  void reply(long seq, RedisMessage reply) {
    if (closed) {
      ReferenceCountUtil.release(reply);
      return;
    }
    if (seq != headSeq) {
      slots[(int) (seq & (slots.length - 1))] = reply;
      return;
    }
    write(seq, reply);
    headSeq++;
    while (headSeq < nextSeq && !closed) {
      int i = (int) (headSeq & (slots.length - 1));
      Object next = slots[i];
      if (next == null) {
        break;
      }
      slots[i] = null;
      write(headSeq, (RedisMessage) next);
      headSeq++;
    }
    if (!dirty && !closed) {
      dirty = true;
      worker.markDirty(this);
    }
    if (nextSeq - headSeq <= RESUME_READING_AT && !ctx.channel().config().isAutoRead()
        && quitSeq < 0) {
      ctx.channel().config().setAutoRead(true);
    }
  }

  private void write(long seq, RedisMessage reply) {
    ctx.write(reply, ctx.voidPromise());
    if (seq == quitSeq) {
      closed = true;
      ctx.writeAndFlush(io.netty.buffer.Unpooled.EMPTY_BUFFER)
          .addListener(ChannelFutureListener.CLOSE);
    }
  }

  void flush() {
    dirty = false;
    if (!closed) {
      ctx.flush();
    }
  }

  private void error(long seq, String text) {
    reply(seq, new ErrorRedisMessage(text));
  }

  // ---- dispatch

  private void dispatch(RedisMessage message) {
    if (message instanceof InlineCommandRedisMessage inline) {
      message = inlineToArray(inline.content());
    }
    if (!(message instanceof ArrayRedisMessage command) || command.isNull()
        || command.children().isEmpty() || !allBulk(command)) {
      ReferenceCountUtil.release(message);
      long seq = nextSlot();
      error(seq, "ERR Protocol error: expected an array of bulk strings");
      quitSeq = seq;
      return;
    }
    List<RedisMessage> args = command.children();
    ByteBuf name = ((FullBulkStringRedisMessage) args.get(0)).content();
    Commands.Spec spec = Commands.lookup(name, worker.scratch(32));
    long seq = nextSlot();
    if (spec == null) {
      String text = unknownCommand(args);
      ReferenceCountUtil.release(command);
      error(seq, text);
      return;
    }
    if (!authenticated && !spec.beforeAuth()) {
      ReferenceCountUtil.release(command);
      error(seq, "NOAUTH Authentication required.");
      return;
    }
    switch (spec.kind()) {
      case KEY -> {
        if (args.size() < 2) {
          arity(seq, command, spec);
        } else {
          routeKey(seq, command, ((FullBulkStringRedisMessage) args.get(1)).content());
        }
      }
      case MGET, COUNT_KEYS -> {
        if (args.size() < 2) {
          arity(seq, command, spec);
        } else {
          routeKeys(seq, command, spec.kind(), 1);
        }
      }
      case MSET -> {
        if (args.size() < 3 || args.size() % 2 == 0) {
          arity(seq, command, spec);
        } else {
          routeKeys(seq, command, spec.kind(), 2);
        }
      }
      case LOCAL -> {
        try {
          local(seq, spec.name(), command);
        } finally {
          ReferenceCountUtil.release(command);
        }
      }
      default -> throw new IllegalStateException(spec.kind().name());
    }
  }

  private static boolean allBulk(ArrayRedisMessage command) {
    for (RedisMessage child : command.children()) {
      if (!(child instanceof FullBulkStringRedisMessage b) || b.isNull()) {
        return false;
      }
    }
    return true;
  }

  private static ArrayRedisMessage inlineToArray(String line) {
    List<RedisMessage> children = new ArrayList<>();
    for (String word : line.trim().split("\\s+")) {
      if (!word.isEmpty()) {
        children.add(Replies.bulk(word));
      }
    }
    return new ArrayRedisMessage(children);
  }

  private static String unknownCommand(List<RedisMessage> args) {
    StringBuilder sb = new StringBuilder("ERR unknown command '")
        .append(Replies.text(((FullBulkStringRedisMessage) args.get(0)).content()))
        .append("', with args beginning with: ");
    for (int i = 1; i < args.size() && i < 8; i++) {
      sb.append('\'').append(Replies.text(((FullBulkStringRedisMessage) args.get(i)).content()))
          .append("' ");
    }
    return sb.toString();
  }

  private void arity(long seq, ArrayRedisMessage command, Commands.Spec spec) {
    ReferenceCountUtil.release(command);
    error(seq, "ERR wrong number of arguments for '" + spec.name() + "' command");
  }

  private int hash(Topology t, ByteBuf key) {
    int len = key.readableBytes();
    if (key.hasArray()) {
      return t.placement.hashKey(key.array(), key.arrayOffset() + key.readerIndex(), len);
    }
    byte[] scratch = worker.scratch(len);
    key.getBytes(key.readerIndex(), scratch, 0, len);
    return t.placement.hashKey(scratch, 0, len);
  }

  // ---- single-key commands

  private void routeKey(long seq, ArrayRedisMessage command, ByteBuf key) {
    Topology t = worker.topology;
    int h = hash(t, key);
    int owner = t.placement.serverFor(h);
    if (owner < 0) {
      ReferenceCountUtil.release(command);
      error(seq, "ERR ringlb: no backend in the ring");
      return;
    }
    Backend target = t.backend(owner);
    worker.begin();
    ClientReply pending = new ClientReply(this, seq, t);
    if (t.previous != null) {
      int before = t.previous.serverFor(h);
      if (before != owner && before >= 0) {
        moveThenSend(t, t.backend(before), target, key, command, pending);
        return;
      }
    }
    target.connection(worker, clientId).send(command, pending);
  }

  /**
   * Moves {@code key} from {@code from} to {@code to} with MIGRATE (no REPLACE), then sends
   * {@code command} to {@code to}. A key already on {@code to} was written there after the move
   * began and is the newer: the old copy is deleted instead.
   */
  private void moveThenSend(Topology t, Backend from, Backend to, ByteBuf key,
      RedisMessage command, Pending downstream) {
    MoveThenSend step = new MoveThenSend(t, from, to, key.retainedDuplicate(), command, downstream);
    List<Object> args = Migration.migrateArgs(proxy, to, key.retainedDuplicate());
    from.connection(worker, clientId).send(Replies.command(args.toArray()), step);
  }

  private final class MoveThenSend extends Pending {
    private final Topology topology;
    private final Backend from;
    private final Backend to;
    private final ByteBuf key;
    private final RedisMessage command;
    private final Pending downstream;
    private boolean deleting;
    private boolean keyReleased;

    MoveThenSend(Topology topology, Backend from, Backend to, ByteBuf key, RedisMessage command,
        Pending downstream) {
      this.topology = topology;
      this.from = from;
      this.to = to;
      this.key = key;
      this.command = command;
      this.downstream = downstream;
    }

    @Override
    void complete(RedisMessage reply) {
      try {
        if (!deleting && reply instanceof ErrorRedisMessage e && e.content().contains("BUSYKEY")) {
          deleting = true;
          from.connection(worker, clientId)
              .send(Replies.command("DEL", key.retainedDuplicate()), this);
          return;
        }
        if (reply instanceof ErrorRedisMessage e) {
          fail("ERR ringlb: could not move the key from " + from.describe + " to " + to.describe
              + ": " + e.content());
          return;
        }
        if (!deleting && reply instanceof SimpleStringRedisMessage s && "OK".equals(s.content())) {
          Migration m = topology.migration;
          if (m != null) {
            m.countClientMove();
          }
        }
        releaseKey();
        to.connection(worker, clientId).send(command, downstream);
      } finally {
        ReferenceCountUtil.release(reply);
      }
    }

    private void releaseKey() {
      if (!keyReleased) {
        keyReleased = true;
        key.release();
      }
    }

    @Override
    void fail(String error) {
      releaseKey();
      ReferenceCountUtil.release(command);
      downstream.fail(error);
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

  private void routeKeys(long seq, ArrayRedisMessage command, Commands.Kind kind, int step) {
    Topology t = worker.topology;
    List<RedisMessage> args = command.children();
    int n = (args.size() - 1) / step;
    int[] owners = new int[n];
    int[] from = new int[n];
    boolean split = false;
    for (int i = 0; i < n; i++) {
      ByteBuf key = ((FullBulkStringRedisMessage) args.get(1 + i * step)).content();
      int h = hash(t, key);
      owners[i] = t.placement.serverFor(h);
      if (owners[i] < 0) {
        ReferenceCountUtil.release(command);
        error(seq, "ERR ringlb: no backend in the ring");
        return;
      }
      from[i] = -1;
      if (t.previous != null) {
        int before = t.previous.serverFor(h);
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
          .send(command, new ClientReply(this, seq, t));
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
    FullBulkStringRedisMessage name = (FullBulkStringRedisMessage) args.get(0);
    for (Map.Entry<Integer, List<Integer>> group : groups.entrySet()) {
      int[] keys = group.getValue().stream().mapToInt(Integer::intValue).toArray();
      RedisMessage part = subCommand(name, args, keys, step);
      t.backend(group.getKey()).connection(worker, clientId).send(part, multi.part(keys));
    }
    for (int i : moving) {
      int[] keys = {i};
      RedisMessage part = subCommand(name, args, keys, step);
      ByteBuf key = ((FullBulkStringRedisMessage) args.get(1 + i * step)).content();
      moveThenSend(t, t.backend(from[i]), t.backend(owners[i]), key, part, multi.part(keys));
    }
    ReferenceCountUtil.release(command);
  }

  private static RedisMessage subCommand(FullBulkStringRedisMessage name, List<RedisMessage> args,
      int[] keys, int step) {
    List<RedisMessage> children = new ArrayList<>(1 + keys.length * step);
    children.add(name.retainedDuplicate());
    for (int i : keys) {
      for (int j = 0; j < step; j++) {
        children.add(((FullBulkStringRedisMessage) args.get(1 + i * step + j)).retainedDuplicate());
      }
    }
    return new ArrayRedisMessage(children);
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
    Topology t = worker.topology;
    if (targets.length == 0) {
      reply(seq, gather.combine(targets, new Object[0]));
      return;
    }
    Object[] results = new Object[targets.length];
    int[] remaining = {targets.length};
    worker.begin();
    for (int i = 0; i < targets.length; i++) {
      int index = i;
      targets[i].connection(worker, clientId).send(Replies.command(command), new Pending() {
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
      if (!b.ejected && (t.placement.contains(b.id)
          || (t.previous != null && t.previous.contains(b.id)))) {
        out.add(b);
      }
    }
    return out.toArray(new Backend[0]);
  }

  // ---- commands answered by the proxy

  private void local(long seq, String name, ArrayRedisMessage command) {
    List<RedisMessage> args = command.children();
    int argc = args.size();
    switch (name) {
      case "ping" -> {
        if (argc == 1) {
          reply(seq, PONG);
        } else if (argc == 2) {
          reply(seq, ((FullBulkStringRedisMessage) args.get(1)).retainedDuplicate());
        } else {
          error(seq, "ERR wrong number of arguments for 'ping' command");
        }
      }
      case "echo" -> {
        if (argc != 2) {
          error(seq, "ERR wrong number of arguments for 'echo' command");
        } else {
          reply(seq, ((FullBulkStringRedisMessage) args.get(1)).retainedDuplicate());
        }
      }
      case "quit" -> {
        quitSeq = seq;
        reply(seq, OK);
      }
      case "reset" -> {
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
      case "command" -> {
        if (argc >= 2 && "count".equalsIgnoreCase(arg(args, 1))) {
          reply(seq, new IntegerRedisMessage(0));
        } else {
          reply(seq, ArrayRedisMessage.EMPTY_INSTANCE);
        }
      }
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
        fanOut(seq, dataBackends(worker.topology), new Object[] {"DBSIZE"}, (bs, replies) -> {
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
        fanOut(seq, dataBackends(worker.topology), cmd, (bs, replies) -> {
          for (Object r : replies) {
            if (r instanceof Replies.Error e) {
              return new ErrorRedisMessage(e.text());
            }
          }
          return OK;
        });
      }
      case "scan" -> scan(seq, args);
      case "info" -> info(seq, args);
      case "ring" -> ring(seq, args);
      default -> error(seq, "ERR unknown command '" + name + "'");
    }
  }

  private static String arg(List<RedisMessage> args, int i) {
    return Replies.text(((FullBulkStringRedisMessage) args.get(i)).content());
  }

  private void auth(long seq, List<RedisMessage> args) {
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

  private boolean checkPassword(List<RedisMessage> args, int at, boolean withUser) {
    if (withUser && !"default".equals(arg(args, at))) {
      return false;
    }
    byte[] given = arg(args, withUser ? at + 1 : at).getBytes(StandardCharsets.UTF_8);
    byte[] expected = proxy.config().requirePass().getBytes(StandardCharsets.UTF_8);
    return java.security.MessageDigest.isEqual(given, expected);
  }

  private void hello(long seq, List<RedisMessage> args) {
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

  private void client(long seq, List<RedisMessage> args) {
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
      case "setinfo", "reply", "no-evict", "no-touch" -> reply(seq, OK);
      default -> error(seq, "ERR unknown subcommand '" + arg(args, 1)
          + "'. Try CLIENT HELP.");
    }
  }

  private void scan(long seq, List<RedisMessage> args) {
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
    Backend[] backends = worker.topology.backends();
    int index = (int) Long.remainderUnsigned(cursor, SCAN_BACKENDS);
    long backendCursor = Long.divideUnsigned(cursor, SCAN_BACKENDS);
    if (index >= backends.length) {
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
    fanOut(seq, new Backend[] {backends[index]}, command, (bs, replies) -> {
      Object r = replies[0];
      if (r instanceof Replies.Error e) {
        return new ErrorRedisMessage(e.text());
      }
      List<?> pair = (List<?>) r;
      long next = Long.parseUnsignedLong(new String((byte[]) pair.get(0), StandardCharsets.UTF_8));
      long out;
      if (next != 0) {
        out = next * SCAN_BACKENDS + index;
      } else {
        out = index + 1 < backends.length ? index + 1 : 0;
      }
      List<RedisMessage> keys = new ArrayList<>();
      for (Object k : (List<?>) pair.get(1)) {
        keys.add(Replies.bulk((byte[]) k));
      }
      return new ArrayRedisMessage(List.of(Replies.bulk(Long.toUnsignedString(out)),
          new ArrayRedisMessage(keys)));
    });
  }

  private void info(long seq, List<RedisMessage> args) {
    String section = args.size() > 1 ? arg(args, 1).toLowerCase(java.util.Locale.ROOT) : "default";
    Topology t = worker.topology;
    Backend[] backends = t.backends();
    fanOut(seq, backends, new Object[] {"DBSIZE"},
        (bs, replies) -> Replies.bulk(ProxyInfo.info(proxy, t, section, bs, replies)));
  }

  private void ring(long seq, List<RedisMessage> args) {
    if (args.size() < 2) {
      error(seq, "ERR wrong number of arguments for 'ring' command");
      return;
    }
    String sub = arg(args, 1).toLowerCase(java.util.Locale.ROOT);
    Topology t = worker.topology;
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
        answerLater(seq, proxy.ringAdd(spec));
      }
      case "remove" -> {
        if (args.size() != 3) {
          error(seq, "ERR ringlb: usage: RING REMOVE <id>");
          return;
        }
        int id;
        try {
          id = ProxyConfig.parseId(arg(args, 2), "RING REMOVE");
        } catch (IllegalArgumentException e) {
          error(seq, "ERR ringlb: " + e.getMessage());
          return;
        }
        answerLater(seq, proxy.ringRemove(id));
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
        ByteBuf key = ((FullBulkStringRedisMessage) args.get(2)).content();
        int h = hash(t, key);
        reply(seq, Replies.bulk(ProxyInfo.locate(t, h)));
      }
      default -> error(seq, "ERR unknown subcommand '" + arg(args, 1)
          + "'. Try RING ADD, REMOVE, NODES, LOCATE or STATS.");
    }
  }

  private void answerLater(long seq, java.util.concurrent.CompletableFuture<String> future) {
    future.whenComplete((ok, failure) -> worker.loop.execute(() -> {
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
