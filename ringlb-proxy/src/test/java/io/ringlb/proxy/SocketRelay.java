package io.ringlb.proxy;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Forwards every connection accepted at one address (TCP or a Unix socket) to another, byte for
 * byte, and closes both sides as soon as either ends: how the partition tests cross from one
 * network namespace to another without giving the root namespace an address (a Unix socket is a
 * file, seen from every namespace). {@link #main} runs relays in a process of its own, for a
 * namespace, until its standard input closes.
 */
final class SocketRelay implements AutoCloseable {

  private final ServerSocketChannel server;
  private final SocketAddress target;
  private final Set<SocketChannel> open = ConcurrentHashMap.newKeySet();
  private volatile boolean closed;

  private SocketRelay(ServerSocketChannel server, SocketAddress target) {
    this.server = server;
    this.target = target;
  }

  /**
   * Parses {@code tcp:HOST:PORT} or {@code unix:PATH}.
   *
   * @throws IllegalArgumentException naming {@code text} when it is neither
   */
  static SocketAddress address(String text) {
    if (text.startsWith("unix:")) {
      return UnixDomainSocketAddress.of(text.substring("unix:".length()));
    }
    if (text.startsWith("tcp:")) {
      String hostPort = text.substring("tcp:".length());
      int colon = hostPort.lastIndexOf(':');
      return new InetSocketAddress(
          hostPort.substring(0, colon), Integer.parseInt(hostPort.substring(colon + 1)));
    }
    throw new IllegalArgumentException("not tcp:HOST:PORT or unix:PATH: " + text);
  }

  /** Listens at {@code listen} (port 0: any free one) and forwards to {@code target}. */
  static SocketRelay start(SocketAddress listen, SocketAddress target) throws IOException {
    ServerSocketChannel server;
    if (listen instanceof UnixDomainSocketAddress unix) {
      Files.deleteIfExists(unix.getPath());
      server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    } else {
      server = ServerSocketChannel.open();
      server.socket().setReuseAddress(true);
    }
    server.bind(listen);
    SocketRelay relay = new SocketRelay(server, target);
    Thread t = new Thread(relay::accept, "relay-" + listen);
    t.setDaemon(true);
    t.start();
    return relay;
  }

  /** The TCP port this relay listens on. */
  int port() throws IOException {
    return ((InetSocketAddress) server.getLocalAddress()).getPort();
  }

  private void accept() {
    while (!closed) {
      SocketChannel in;
      try {
        in = server.accept();
      } catch (IOException e) {
        return; // closed
      }
      open.add(in);
      Thread t =
          new Thread(
              () -> {
                SocketChannel out = null;
                try {
                  out =
                      SocketChannel.open(
                          target instanceof UnixDomainSocketAddress
                              ? StandardProtocolFamily.UNIX
                              : StandardProtocolFamily.INET);
                  open.add(out);
                  out.connect(target);
                  SocketChannel o = out;
                  Thread back = new Thread(() -> pump(o, in, o), "relay-back");
                  back.setDaemon(true);
                  back.start();
                  pump(in, out, out);
                } catch (IOException e) {
                  close(in, out);
                }
              },
              "relay-conn");
      t.setDaemon(true);
      t.start();
    }
  }

  /** Copies {@code from} to {@code to} until either ends, then closes both ({@code other}). */
  private void pump(SocketChannel from, SocketChannel to, SocketChannel other) {
    ByteBuffer buffer = ByteBuffer.allocate(16 * 1024);
    try {
      while (from.read(buffer) >= 0) {
        buffer.flip();
        while (buffer.hasRemaining()) {
          to.write(buffer);
        }
        buffer.clear();
      }
    } catch (IOException e) {
      // either side ended
    }
    close(from, to);
  }

  private void close(SocketChannel a, SocketChannel b) {
    for (SocketChannel c : new SocketChannel[] {a, b}) {
      if (c != null) {
        open.remove(c);
        try {
          c.close();
        } catch (IOException e) {
          // closing anyway
        }
      }
    }
  }

  @Override
  public void close() {
    closed = true;
    try {
      server.close();
      if (server.getLocalAddress() instanceof UnixDomainSocketAddress unix) {
        Files.deleteIfExists(unix.getPath());
      }
    } catch (IOException e) {
      // closing anyway
    }
    for (SocketChannel c : List.copyOf(open)) {
      close(c, null);
    }
  }

  /**
   * Runs one relay per argument {@code LISTEN=TARGET} (each {@code tcp:HOST:PORT} or {@code
   * unix:PATH}), prints {@code ready}, and exits when standard input closes.
   */
  public static void main(String[] args) throws Exception {
    List<SocketRelay> relays = new ArrayList<>();
    for (String arg : args) {
      int eq = arg.indexOf('=');
      relays.add(start(address(arg.substring(0, eq)), address(arg.substring(eq + 1))));
    }
    System.out.println("ready");
    System.out.flush();
    while (System.in.read() >= 0) {
      // runs until the test closes the pipe or kills the process
    }
    for (SocketRelay r : relays) {
      r.close();
    }
    for (String arg : args) {
      if (arg.startsWith("unix:")) {
        Files.deleteIfExists(Path.of(arg.substring("unix:".length(), arg.indexOf('='))));
      }
    }
  }
}
