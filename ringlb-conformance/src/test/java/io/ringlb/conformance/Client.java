package io.ringlb.conformance;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A raw-socket RESP client: one connection, requests written as given, replies read one at a time
 * by their framing and kept as their rendering.
 */
final class Client implements AutoCloseable {

  /** The step every exchange ends with, to compare the state it leaves the connection in. */
  static final Exchange.Step AFTER =
      new Exchange.Step("(after) PING", ExchangeFile.resp(List.of("PING")), 1, Normalizer.EXACT);

  /** What a step shows when the target closed the connection instead of answering. */
  static final String CLOSED = "(closed)";

  /** What a {@code raw 0} step shows: it reads nothing. */
  static final String NOTHING_READ = "(nothing read)";

  /** What the steps after a lost reply show: they are not sent. */
  static final String NOT_SENT = "(not sent)";

  private final Socket socket;
  private final OutputStream out;
  private final RespReader reader;
  private final int timeoutMillis;

  Client(InetSocketAddress address, int timeoutMillis) throws IOException {
    this.socket = new Socket();
    this.timeoutMillis = timeoutMillis;
    socket.connect(address, timeoutMillis);
    socket.setSoTimeout(timeoutMillis);
    socket.setTcpNoDelay(true);
    this.out = socket.getOutputStream();
    this.reader = new RespReader(new BufferedInputStream(socket.getInputStream()));
  }

  /**
   * Runs {@code exchange} on a new connection to {@code address}, then {@link #AFTER}, and returns
   * one rendering per step (a {@code raw N} step's N replies one after the other).
   */
  static List<String> run(Exchange exchange, InetSocketAddress address, int timeoutMillis)
      throws IOException {
    List<Exchange.Step> steps = new ArrayList<>(exchange.steps());
    steps.add(AFTER);
    List<String> out = new ArrayList<>(steps.size());
    try (Client client = new Client(address, timeoutMillis)) {
      boolean lost = false;
      for (Exchange.Step step : steps) {
        if (lost) {
          out.add(NOT_SENT);
          continue;
        }
        StringBuilder rendered = new StringBuilder();
        if (step.replies() == 0) {
          lost = !client.send(step.request());
          out.add(lost ? "(write failed)" : NOTHING_READ);
          continue;
        }
        for (int r = 0; r < step.replies(); r++) {
          Outcome o =
              r == 0
                  ? client.ask(step.request(), step.normalizer())
                  : client.next(step.normalizer());
          rendered.append(o.rendering());
          if (o.lost()) {
            lost = true;
            break;
          }
          if (o.rendering().equals(CLOSED)) {
            break;
          }
        }
        out.add(rendered.toString());
      }
    }
    return out;
  }

  /** Sends one command and returns its reply, failing on anything but a reply. */
  Reply command(String... words) throws IOException {
    out.write(ExchangeFile.resp(List.of(words)));
    out.flush();
    Reply reply = reader.read();
    if (reply == null) {
      throw new EOFException("connection closed before the reply to " + String.join(" ", words));
    }
    return reply;
  }

  /** One reply's rendering, and whether the connection can no longer be trusted after it. */
  private record Outcome(String rendering, boolean lost) {}

  private Outcome ask(byte[] request, Normalizer normalizer) {
    try {
      out.write(request);
      out.flush();
    } catch (SocketException closed) {
      return new Outcome(CLOSED, false);
    } catch (IOException e) {
      return new Outcome("(write failed: " + e.getMessage() + ")", true);
    }
    return next(normalizer);
  }

  private boolean send(byte[] request) {
    try {
      out.write(request);
      out.flush();
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private Outcome next(Normalizer normalizer) {
    try {
      Reply reply = reader.read();
      return reply == null
          ? new Outcome(CLOSED, false)
          : new Outcome(normalizer.render(reply), false);
    } catch (SocketTimeoutException e) {
      String partial = Rendering.escape(reader.seen());
      return new Outcome(
          "(no reply within "
              + timeoutMillis
              + " ms"
              + (partial.isEmpty() ? "" : " after " + partial)
              + ")",
          true);
    } catch (RespReader.MalformedReply e) {
      return new Outcome("(not RESP: " + e.getMessage() + ")", true);
    } catch (EOFException e) {
      return new Outcome(
          "(closed inside a reply after " + Rendering.escape(reader.seen()) + ")", true);
    } catch (SocketException reset) {
      // a close with our next request unread arrives as a reset
      return new Outcome(CLOSED, false);
    } catch (IOException e) {
      return new Outcome("(read failed: " + e.getMessage() + ")", true);
    }
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }

  /** Returns {@code reply}'s text, for the setup's checks. */
  static String text(Reply reply) {
    String text = reply.text();
    return text != null ? text : new String(reply.raw(), StandardCharsets.ISO_8859_1);
  }
}
