package io.ringlb.server;

import io.netty.channel.Channel;
import io.netty.channel.unix.UnixChannel;
import java.net.InetSocketAddress;
import java.net.SocketAddress;

/**
 * What CLIENT LIST and CLIENT INFO show of one connection that only the front end knows (the user
 * it is logged in as, its name, library, protocol, age, idle time, last command), and the line they
 * show it in.
 *
 * <p>Written on the connection's event loop; read by CLIENT LIST from other threads without
 * synchronization, a snapshot, as in Redis.
 */
final class ClientInfo {

  private final long createdNanos = System.nanoTime();
  private long lastActiveNanos = createdNanos;
  private String name;
  private String libName;
  private String libVersion;
  private String lastCommand = "NULL";
  private User user; // null until authenticated
  private int protocol = 2;

  /** Returns the user the connection is logged in as, or null before it authenticates. */
  User user() {
    return user;
  }

  /** Returns whether the connection is logged in. */
  boolean authenticated() {
    return user != null;
  }

  /** Logs the connection in as {@code user} (null: logged out). */
  void login(User user) {
    this.user = user;
  }

  /** Returns the protocol the client speaks: 2, or 3 after {@code HELLO 3}. */
  int protocol() {
    return protocol;
  }

  void protocol(int version) {
    protocol = version;
  }

  /** Returns the name set with CLIENT SETNAME or HELLO SETNAME, or null. */
  String name() {
    return name;
  }

  void name(String value) {
    name = value;
  }

  /** Records CLIENT SETINFO's values; a null leaves that one as it was. */
  void libInfo(String libName, String libVersion) {
    if (libName != null) {
      this.libName = libName;
    }
    if (libVersion != null) {
      this.libVersion = libVersion;
    }
  }

  /** Records the name of the command being run, for {@code cmd}. */
  void lastCommand(String fullName) {
    lastCommand = fullName;
  }

  /** The client sent something: {@code idle} counts from now. Once per read, not per command. */
  void active() {
    lastActiveNanos = System.nanoTime();
  }

  /**
   * Returns the CLIENT LIST / CLIENT INFO line, without the line end: Redis 7.0's fields in Redis
   * 7.0's order, so that tools that read Redis's lines read these. {@code qbuf} is the requests
   * read and not yet run (waiting, or still arriving), {@code omem} the replies in the connection's
   * outbound buffer, and {@code tot-mem} all it holds, as {@link ClientMemory} counts them; Redis's
   * other per-client buffer sizes are 0: ringlb reads into Netty's buffers, shared by the
   * connections of an event loop. {@code fd} is the socket's descriptor on epoll and -1 where the
   * transport does not tell it. {@code lib-name} and {@code lib-ver} follow, as in Redis 7.2, once
   * the client has set either with CLIENT SETINFO.
   */
  String line(
      long id,
      Channel ch,
      ConnectionState s,
      boolean closingAfterReply,
      ClientMemory.Account memory) {
    long now = System.nanoTime();
    long output = memory.output();
    StringBuilder sb =
        new StringBuilder(320)
            .append("id=")
            .append(id)
            .append(" addr=")
            .append(address(ch.remoteAddress()))
            .append(" laddr=")
            .append(address(ch.localAddress()))
            .append(" fd=")
            .append(ch instanceof UnixChannel unix ? unix.fd().intValue() : -1)
            .append(" name=")
            .append(name == null ? "" : name)
            .append(" age=")
            .append((now - createdNanos) / 1_000_000_000L)
            .append(" idle=")
            .append(Math.max(0, now - lastActiveNanos) / 1_000_000_000L)
            .append(" flags=")
            .append(flags(s, closingAfterReply, memory.noEvict()))
            .append(" db=0 sub=")
            .append(s.subscriptions())
            .append(" psub=")
            .append(s.patternSubscriptions())
            .append(" ssub=0 multi=")
            .append(s.queued())
            .append(" qbuf=")
            .append(memory.requests())
            .append(" qbuf-free=0 argv-mem=0 multi-mem=0 rbs=0 rbp=0 obl=0 oll=0 omem=")
            .append(output)
            .append(" tot-mem=")
            .append(Math.max(output, memory.held()))
            .append(" events=")
            .append(ch.config().isAutoRead() ? "r" : "")
            .append(" cmd=")
            .append(lastCommand)
            .append(" user=")
            .append(user == null ? User.DEFAULT : user.name())
            .append(" redir=-1 resp=")
            .append(protocol);
    if (libName != null || libVersion != null) {
      sb.append(" lib-name=")
          .append(libName == null ? "" : libName)
          .append(" lib-ver=")
          .append(libVersion == null ? "" : libVersion);
    }
    return sb.toString();
  }

  /**
   * Returns CLIENT LIST's flags: P subscribed, x in MULTI, c closing after the reply, e not evicted
   * (CLIENT NO-EVICT), or N.
   */
  private static String flags(ConnectionState s, boolean closingAfterReply, boolean noEvict) {
    StringBuilder flags = new StringBuilder(4);
    if (s.subscriptions() > 0 || s.patternSubscriptions() > 0) {
      flags.append('P');
    }
    if (s.queued() >= 0) {
      flags.append('x');
    }
    if (closingAfterReply) {
      flags.append('c');
    }
    if (noEvict) {
      flags.append('e');
    }
    return flags.length() == 0 ? "N" : flags.toString();
  }

  /** Returns {@code address} as CLIENT LIST and CLIENT KILL name it: {@code ip:port}. */
  static String address(SocketAddress address) {
    if (address instanceof InetSocketAddress inet) {
      return inet.getAddress().getHostAddress() + ":" + inet.getPort();
    }
    return String.valueOf(address);
  }
}
