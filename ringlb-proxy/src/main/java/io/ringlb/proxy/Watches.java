package io.ringlb.proxy;

import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.redis.ErrorRedisMessage;
import io.netty.handler.codec.redis.RedisMessage;
import io.netty.util.ReferenceCountUtil;
import io.ringlb.server.CommandHandler;
import io.ringlb.server.DeferredReply;
import io.ringlb.server.Replies;
import io.ringlb.server.Request;
import io.ringlb.server.Session;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One client's WATCHed keys through the proxy: each watched on its owner, on a connection of the
 * client's own to that backend (a watch belongs to a connection), kept until the client leaves; its
 * transactions use those connections too ({@link BackendTransaction}).
 *
 * <p>Keys may be watched on several backends. A transaction then runs when every watched key still
 * lives where it was watched and the transaction writes nothing: it runs first, then every other
 * backend with watched keys runs an empty MULTI/EXEC, and EXEC answers nil when one of them says a
 * watched key changed ({@link WatchChecks}). A transaction that writes needs its watched keys on
 * its own backend, as it cannot be undone once another backend says a key changed. Event-loop
 * confined.
 */
final class Watches {

  /** UNWATCH in RESP form. */
  static final byte[] UNWATCH = "*1\r\n$7\r\nUNWATCH\r\n".getBytes(StandardCharsets.US_ASCII);

  private final Session client;
  private final Worker worker;
  private final Router router;

  /** The client's own connections, one per backend it watched keys on, and those backends. */
  private final ArrayList<BackendConnection> connections = new ArrayList<>(1);

  private final ArrayList<Backend> connected = new ArrayList<>(1);

  /** The routing hashes watched, and the backend each was watched on. */
  private int[] hashes = new int[4];

  private Backend[] owners = new Backend[4];

  /** The {@link BackendConnection#drops} of each one's connection when it was watched. */
  private int[] drops = new int[4];

  private int count;

  /** The keys watched. */
  private int keys;

  Watches(Session client, Worker worker, Router router) {
    this.client = client;
    this.worker = worker;
    this.router = router;
  }

  /** Returns whether keys are watched. */
  boolean any() {
    return keys > 0;
  }

  /** Returns the first routing hash watched (with {@link #any}). */
  int firstHash() {
    return hashes[0];
  }

  /** Returns whether a watched key lives elsewhere under {@code t} than where it was watched. */
  boolean moved(Topology t) {
    for (int i = 0; i < count; i++) {
      if (t.placement().serverFor(hashes[i]) != owners[i].id()) {
        return true;
      }
    }
    return false;
  }

  /** Returns whether a connection with watched keys was lost since, and its watches with it. */
  boolean lost() {
    for (int i = 0; i < count; i++) {
      if (connection(owners[i]).drops() != drops[i]) {
        return true;
      }
    }
    return false;
  }

  /**
   * Returns the one backend every watched key was watched on, or null when they were watched on
   * several (or none).
   */
  Backend single() {
    if (count == 0) {
      return null;
    }
    Backend b = owners[0];
    for (int i = 1; i < count; i++) {
      if (owners[i] != b) {
        return null;
      }
    }
    return b;
  }

  /** Returns the backends keys are watched on, each once. */
  List<Backend> backends() {
    List<Backend> out = new ArrayList<>(2);
    for (int i = 0; i < count; i++) {
      if (!out.contains(owners[i])) {
        out.add(owners[i]);
      }
    }
    return out;
  }

  /** Returns the client's own connection to {@code b}, or null when it has none. */
  BackendConnection connection(Backend b) {
    int i = connected.indexOf(b);
    return i < 0 ? null : connections.get(i);
  }

  private BackendConnection connectionTo(Backend b) {
    BackendConnection c = connection(b);
    if (c == null) {
      c = new BackendConnection(b, worker, client.protocol() == 3);
      worker.register(c);
      connections.add(c);
      connected.add(b);
    }
    return c;
  }

  /**
   * WATCH: each key goes to its owner on the client's own connection there, after it moved there if
   * a migration is moving it; the client gets OK once every backend asked answered.
   */
  RedisMessage watch(Request r) {
    Topology t = worker.topology();
    int n = r.argc() - 1;
    int[] keyHashes = new int[n];
    int[] owner = new int[n];
    int[] before = new int[n];
    for (int i = 0; i < n; i++) {
      keyHashes[i] = router.hash(t, r.arg(i + 1));
      owner[i] = t.placement().serverFor(keyHashes[i]);
      if (owner[i] < 0) {
        return Replies.error(Router.NO_BACKEND);
      }
      int was = t.previous() == null ? -1 : t.previous().serverFor(keyHashes[i]);
      before[i] = was >= 0 && was != owner[i] ? was : owner[i];
    }
    // One WATCH per (backend it was on, backend it is on): usually one in all.
    List<int[]> groups = new ArrayList<>(1);
    boolean[] grouped = new boolean[n];
    for (int i = 0; i < n; i++) {
      if (grouped[i]) {
        continue;
      }
      int[] group = new int[n];
      int size = 0;
      for (int j = i; j < n; j++) {
        if (!grouped[j] && owner[j] == owner[i] && before[j] == before[i]) {
          grouped[j] = true;
          group[size++] = j;
        }
      }
      groups.add(Arrays.copyOf(group, size));
    }
    for (int i = 0; i < n; i++) {
      record(keyHashes[i], t.backend(owner[i]));
    }
    keys += n;
    DeferredReply slot = client.defer();
    ClientReply reply = new ClientReply(slot, worker, t);
    Pending each = groups.size() == 1 ? reply : new AllOk(reply, groups.size());
    for (int[] group : groups) {
      Object[] args = new Object[group.length + 1];
      byte[][] names = new byte[group.length][];
      args[0] = "WATCH";
      for (int k = 0; k < group.length; k++) {
        names[k] = ByteBufUtil.getBytes(r.arg(group[k] + 1));
        args[k + 1] = names[k];
      }
      int first = group[0];
      Backend target = t.backend(owner[first]);
      BackendConnection pinned = connectionTo(target);
      Sender send = Sender.on(pinned, Sender.encoded(Resp.command(args), each));
      if (before[first] != owner[first]) {
        KeyMove.start(
            worker,
            client.id(),
            client.protocol() == 3,
            t,
            t.backend(before[first]),
            target,
            names,
            send);
      } else {
        send.sendTo(pinned);
      }
    }
    return CommandHandler.DEFERRED;
  }

  private void record(int hash, Backend owner) {
    for (int i = 0; i < count; i++) {
      if (hashes[i] == hash && owners[i] == owner) {
        return;
      }
    }
    if (count == hashes.length) {
      hashes = Arrays.copyOf(hashes, count * 2);
      owners = Arrays.copyOf(owners, count * 2);
      drops = Arrays.copyOf(drops, count * 2);
    }
    hashes[count] = hash;
    drops[count] = connectionTo(owner).drops();
    owners[count++] = owner;
  }

  /** UNWATCH: every backend with watched keys drops them. */
  void unwatch() {
    if (keys > 0) {
      for (Backend b : backends()) {
        connection(b).sendEncoded(Unpooled.wrappedBuffer(UNWATCH), new Discarded());
      }
    }
    forget();
  }

  /** The backends dropped the watches themselves (EXEC, DISCARD ran there): none are left. */
  void forget() {
    keys = 0;
    Arrays.fill(owners, 0, count, null);
    count = 0;
  }

  /** The client left: its connections close. */
  void close() {
    forget();
    for (BackendConnection c : connections) {
      c.close("ERR ringlb: the client closed");
      worker.unregister(c);
    }
    connections.clear();
    connected.clear();
  }

  /** A reply dropped. */
  static final class Discarded extends Pending {
    @Override
    void complete(RedisMessage reply) {
      ReferenceCountUtil.release(reply);
    }

    @Override
    void fail(String error) {}
  }

  /**
   * The replies of one WATCH sent to several backends: OK once all answered, or the first error.
   */
  private static final class AllOk extends Pending {
    private final Pending reply;
    private int left;
    private String error;

    AllOk(Pending reply, int parts) {
      this.reply = reply;
      this.left = parts;
    }

    @Override
    void complete(RedisMessage message) {
      if (message instanceof ErrorRedisMessage e && error == null) {
        error = e.content();
      }
      ReferenceCountUtil.release(message);
      done();
    }

    @Override
    void fail(String why) {
      if (error == null) {
        error = why;
      }
      done();
    }

    private void done() {
      if (--left == 0) {
        if (error == null) {
          reply.complete(Replies.OK);
        } else {
          reply.fail(error);
        }
      }
    }
  }
}
