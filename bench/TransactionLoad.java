import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The client side of {@code bench/transactions-ab.sh}: closed-loop clients each sending one
 * transaction at a time, {@code MULTI}, {@code INCR {cN}.k}, {@code GET {cN}.k}, {@code EXEC},
 * written in one piece as a client library's transaction is, and reading the five replies.
 *
 * <p>Run as a single-file program: {@code java bench/TransactionLoad.java PORT CLIENTS TRANSACTIONS
 * LABEL}: CLIENTS connections share TRANSACTIONS transactions. It checks that every EXEC answered
 * an array of two (the INCR's count and the GET's value) and prints one line:
 *
 * <pre>
 * RESULT LABEL transactions N seconds S per_second R errors E
 * </pre>
 */
public final class TransactionLoad {

  public static void main(String[] args) throws Exception {
    int port = Integer.parseInt(args[0]);
    int clients = Integer.parseInt(args[1]);
    long total = Long.parseLong(args[2]);
    String label = args[3];
    AtomicLong left = new AtomicLong(total);
    AtomicLong errors = new AtomicLong();
    List<Thread> threads = new ArrayList<>();
    long start = System.nanoTime();
    for (int c = 0; c < clients; c++) {
      int id = c;
      Thread t =
          new Thread(
              () -> {
                try {
                  run(port, id, left, errors);
                } catch (IOException e) {
                  errors.incrementAndGet();
                  System.err.println("client " + id + ": " + e);
                }
              });
      t.start();
      threads.add(t);
    }
    for (Thread t : threads) {
      t.join();
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    System.out.printf(
        "RESULT %s transactions %d seconds %.3f per_second %.0f errors %d%n",
        label, total, seconds, total / seconds, errors.get());
  }

  private static byte[] command(String... args) {
    StringBuilder b = new StringBuilder("*").append(args.length).append("\r\n");
    for (String a : args) {
      b.append('$').append(a.getBytes(StandardCharsets.UTF_8).length).append("\r\n");
      b.append(a).append("\r\n");
    }
    return b.toString().getBytes(StandardCharsets.UTF_8);
  }

  private static void run(int port, int id, AtomicLong left, AtomicLong errors)
      throws IOException {
    String key = "{c" + id + "}.k";
    java.io.ByteArrayOutputStream tx = new java.io.ByteArrayOutputStream();
    tx.write(command("MULTI"));
    tx.write(command("INCR", key));
    tx.write(command("GET", key));
    tx.write(command("EXEC"));
    byte[] request = tx.toByteArray();
    try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
      s.setTcpNoDelay(true);
      s.setSoTimeout(30_000);
      OutputStream out = new BufferedOutputStream(s.getOutputStream());
      InputStream in = new BufferedInputStream(s.getInputStream());
      while (left.getAndDecrement() > 0) {
        out.write(request);
        out.flush();
        for (int i = 0; i < 3; i++) {
          if (skip(in) != '+') { // OK, QUEUED, QUEUED
            errors.incrementAndGet();
          }
        }
        if (skip(in) != '*') {
          errors.incrementAndGet();
        }
      }
    }
  }

  /** Reads one whole reply; returns its type byte. */
  private static int skip(InputStream in) throws IOException {
    int type = in.read();
    String line = line(in);
    switch (type) {
      case '*' -> {
        int n = Integer.parseInt(line);
        for (int i = 0; i < n; i++) {
          skip(in);
        }
      }
      case '$' -> {
        int n = Integer.parseInt(line);
        if (n >= 0) {
          in.readNBytes(n + 2);
        }
      }
      case -1 -> throw new IOException("connection closed");
      default -> {}
    }
    return type;
  }

  private static String line(InputStream in) throws IOException {
    StringBuilder b = new StringBuilder();
    int c;
    while ((c = in.read()) != '\r') {
      if (c < 0) {
        throw new IOException("connection closed");
      }
      b.append((char) c);
    }
    in.read();
    return b.toString();
  }
}
