package io.ringlb.server.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * A client on a raw socket that pipelines requests and reads none of the replies until asked: the
 * client that makes a server hold its replies. Its receive buffer is made small, so that the kernel
 * takes little of what the server writes.
 */
public final class NonReadingClient implements AutoCloseable {

  private final Socket socket;

  private NonReadingClient(Socket socket) {
    this.socket = socket;
  }

  /** Connects to the server on the loopback {@code port}. */
  public static NonReadingClient connect(int port) throws IOException {
    Socket socket = new Socket();
    socket.setReceiveBufferSize(4096); // before connecting: it sets the window the peer sees
    socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 10_000);
    return new NonReadingClient(socket);
  }

  /** Returns this client's address as the server's CLIENT LIST names it ({@code ip:port}). */
  public String address() {
    return socket.getLocalAddress().getHostAddress() + ":" + socket.getLocalPort();
  }

  /** Sends {@code text} as it is (an inline command with its CRLF, say); reads nothing. */
  public void send(String text) throws IOException {
    socket.getOutputStream().write(text.getBytes(StandardCharsets.UTF_8));
    socket.getOutputStream().flush();
  }

  /** Sends {@code count} GETs of {@code key} in one write, then QUIT; reads nothing. */
  public void sendGetsThenQuit(String key, int count) throws IOException {
    String get = "*2\r\n$3\r\nGET\r\n$" + key.length() + "\r\n" + key + "\r\n";
    byte[] request = (get.repeat(count) + "*1\r\n$4\r\nQUIT\r\n").getBytes(StandardCharsets.UTF_8);
    socket.getOutputStream().write(request);
    socket.getOutputStream().flush();
  }

  /**
   * Reads what the server sends until it closes the connection (an end of stream, or a reset when
   * it closed with requests unread), for at most {@code timeout} in all; returns the bytes read.
   */
  public byte[] readToEnd(Duration timeout) throws IOException {
    long deadline = System.nanoTime() + timeout.toNanos();
    ByteArrayOutputStream all = new ByteArrayOutputStream();
    InputStream in = socket.getInputStream();
    byte[] buf = new byte[1 << 16];
    while (System.nanoTime() - deadline < 0) {
      socket.setSoTimeout(1000);
      int n;
      try {
        n = in.read(buf);
      } catch (SocketTimeoutException e) {
        continue;
      } catch (IOException e) { // reset: the server closed it
        return all.toByteArray();
      }
      if (n < 0) {
        return all.toByteArray();
      }
      all.write(buf, 0, n);
    }
    throw new IOException(
        "the server did not close "
            + address()
            + " within "
            + timeout
            + " (read "
            + all.size()
            + " bytes)");
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
