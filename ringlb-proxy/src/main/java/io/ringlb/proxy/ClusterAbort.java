package io.ringlb.proxy;

import static io.ringlb.proxy.EtcdCalls.bytes;
import static io.ringlb.proxy.EtcdCalls.text;
import static io.ringlb.proxy.RingException.rejected;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.PutOption;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * RING ABORT through any proxy of a cluster: the proxy that receives it records the request in etcd
 * (key {@code abort}: {@code requested NONCE PROXY}), the proxy running the change (or the one that
 * took it over) aborts its migration as a RING ABORT sent to it would ({@link RingAbort}) and
 * records the outcome ({@code done NONCE ok|err TEXT}), which the receiving proxy answers with.
 *
 * <p>A new change clears the key ({@link ClusterRing#beginChange}); a change that ends before its
 * proxy acted on the request answers it "ended before it could be aborted"; so does the receiving
 * proxy itself when the change slot is gone and the ring stable for {@link #GIVE_UP_MILLIS} with
 * the request unanswered (its proxy stopped after finishing it).
 */
final class ClusterAbort {

  /** The key, under the cluster's prefix. */
  static final String KEY = "abort";

  private static final long POLL_MILLIS = 200;
  private static final long GIVE_UP_MILLIS = 3000;
  private static final int ANSWER_ATTEMPTS = 60;

  /** How a refusal's message starts ({@link RingException#rejected}). */
  private static final String ERR = "ERR ringlb: ";

  private final ClusterRing ring;
  private final EtcdCalls etcd;
  private final ByteSequence key;
  private final ScheduledExecutorService timer;

  /** The nonce of the request this proxy is carrying out, or null. */
  private volatile String handled;

  private volatile boolean closed;

  /** A request as etcd holds it: its nonce, and either the requester or the outcome. */
  private record Request(String value, String nonce, boolean done, String rest, long revision) {
    static Request of(KeyValue kv) {
      String value = text(kv.getValue());
      String[] parts = value.split(" ", 3);
      return new Request(
          value,
          parts.length > 1 ? parts[1] : "",
          "done".equals(parts[0]),
          parts.length > 2 ? parts[2] : "",
          kv.getModRevision());
    }
  }

  ClusterAbort(ClusterRing ring, ScheduledExecutorService timer) {
    this.ring = ring;
    this.etcd = ring.etcd();
    this.key = etcd.key(KEY);
    this.timer = timer;
  }

  // ---- the proxy that receives RING ABORT

  /**
   * Records a RING ABORT of the change under way (run by another proxy) and answers, once the proxy
   * running it ended the abort, with its reply.
   */
  CompletableFuture<String> request() {
    CompletableFuture<String> reply = new CompletableFuture<>();
    run(
        reply,
        timer,
        () -> {
          try {
            String change = ring.change();
            if (change == null) {
              throw rejected("no ring change is running; nothing to abort");
            }
            KeyValue kv = etcd.get(key);
            Request pending = kv == null ? null : Request.of(kv);
            if (pending != null && !pending.done()) {
              throw rejected(
                  "RING ABORT of the change under way ("
                      + change
                      + ") was requested already, through proxy "
                      + pending.rest()
                      + " (see INFO migration)");
            }
            String nonce = Long.toHexString(ThreadLocalRandom.current().nextLong());
            String value = "requested " + nonce + " " + ring.id() + " (" + ring.address() + ")";
            boolean recorded =
                etcd.txn(
                        List.of(
                            new Cmp(
                                etcd.key("change"), Cmp.Op.EQUAL, CmpTarget.value(bytes(change))),
                            new Cmp(
                                key,
                                Cmp.Op.EQUAL,
                                CmpTarget.modRevision(pending == null ? 0 : pending.revision()))),
                        List.of(Op.put(key, bytes(value), PutOption.DEFAULT)),
                        List.of())
                    .isSucceeded();
            if (!recorded) {
              throw rejected(
                  "the ring change ("
                      + change
                      + ") ended or was aborted meanwhile; see INFO migration");
            }
            await(value, nonce, reply, -1);
          } catch (IOException e) {
            reply.completeExceptionally(
                rejected("cannot abort the ring change: " + e.getMessage()));
          } catch (RuntimeException e) {
            reply.completeExceptionally(e);
          }
        });
    return reply;
  }

  /**
   * Polls the request {@code value} until its outcome is recorded, then answers {@code reply};
   * {@code idleSince} is when the change slot was first seen gone with the ring stable (or -1).
   */
  private void await(String value, String nonce, CompletableFuture<String> reply, long idleSince) {
    if (closed) {
      reply.completeExceptionally(rejected("ringlb is shutting down"));
      return;
    }
    long idle = -1;
    try {
      KeyValue kv = etcd.get(key);
      Request now = kv == null ? null : Request.of(kv);
      if (now == null || !now.nonce().equals(nonce)) {
        reply.completeExceptionally(
            rejected("the ring change ended before it could be aborted; see INFO migration"));
        return;
      }
      if (now.done()) {
        remove(now.value());
        String outcome = now.rest();
        if (outcome.startsWith("ok ")) {
          reply.complete(outcome.substring(3));
        } else {
          reply.completeExceptionally(rejected(outcome.substring(Math.min(4, outcome.length()))));
        }
        return;
      }
      if (ring.change() == null) {
        ClusterRing.Ring r = ring.read();
        if (r != null && ClusterRing.STABLE.equals(r.step())) {
          idle = idleSince < 0 ? System.nanoTime() : idleSince;
          if (System.nanoTime() - idle > TimeUnit.MILLISECONDS.toNanos(GIVE_UP_MILLIS)) {
            remove(value);
            reply.completeExceptionally(
                rejected(
                    "the ring change ended before it could be aborted (the cluster routes by"
                        + " epoch "
                        + r.revision()
                        + "; see RING NODES)"));
            return;
          }
        }
      }
    } catch (IOException | RuntimeException e) {
      // etcd away: the request stays recorded, and the proxy running the change honours it
    }
    long since = idle;
    try {
      timer.schedule(() -> await(value, nonce, reply, since), POLL_MILLIS, TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException closing) {
      reply.completeExceptionally(rejected("ringlb is shutting down"));
    }
  }

  private void remove(String value) throws IOException {
    etcd.txn(
        List.of(new Cmp(key, Cmp.Op.EQUAL, CmpTarget.value(bytes(value)))),
        List.of(Op.delete(key, DeleteOption.DEFAULT)),
        List.of());
  }

  // ---- the proxy running the change

  /**
   * Carries out a request recorded for the change this proxy runs, {@code running} its migration:
   * aborts it as a RING ABORT sent here would, and records the outcome. The poller calls it.
   */
  void check(Migration running, long timeoutMillis) {
    if (running == null || running.undoing()) {
      return; // not started yet, or taken over while undoing (answered through takingOver)
    }
    Request r = pending();
    if (r != null && claim(r)) {
      RingAbort.request(running, timeoutMillis).whenComplete((ok, e) -> answer(r, ok, e, 0));
    }
  }

  /** Marks {@code r} carried out by this proxy; false when it is already. */
  private synchronized boolean claim(Request r) {
    if (r.nonce().equals(handled)) {
      return false;
    }
    handled = r.nonce();
    return true;
  }

  /**
   * Honours a request recorded for the change this proxy takes over, whose migration is {@code m}:
   * a change is aborted before it moves on (waiting at most {@code timeoutMillis} for its backend
   * to answer); returns null then. A migration undoing an aborted change (its proxy accepted the
   * abort before it stopped) returns the reply to give it when it ends, which answers the request.
   */
  CompletableFuture<String> takingOver(Migration m, long timeoutMillis)
      throws InterruptedException {
    Request r = pending();
    if (r == null || m == null || !claim(r)) {
      return null; // none, or the poller carries it out already
    }
    CompletableFuture<String> reply;
    if (m.undoing()) {
      reply = new CompletableFuture<>();
    } else {
      reply = RingAbort.request(m, timeoutMillis);
      long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis + 1000);
      while (!m.aborted() && !reply.isDone() && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
    }
    reply.whenComplete((ok, e) -> answer(r, ok, e, 0));
    return m.undoing() ? reply : null;
  }

  /**
   * This proxy's change ended: a request it did not carry out is answered, the change having ended
   * before it could be aborted.
   */
  void changeEnded(String label) {
    Request r = pending();
    if (r != null && !r.nonce().equals(handled)) {
      answer(r, null, rejected(label + " ended before it could be aborted"), 0);
    }
  }

  /** The request not answered yet, or null (none, or etcd away). */
  private Request pending() {
    try {
      KeyValue kv = etcd.get(key);
      Request r = kv == null ? null : Request.of(kv);
      return r == null || r.done() ? null : r;
    } catch (IOException e) {
      return null;
    }
  }

  /** Records the outcome of request {@code r}: {@code ok}, or {@code error} if not null. */
  private void answer(Request r, String ok, Throwable error, int attempt) {
    String outcome;
    if (error == null) {
      outcome = "ok " + ok;
    } else {
      Throwable cause =
          error instanceof RingException || error.getCause() == null ? error : error.getCause();
      String text = cause.getMessage() == null ? cause.toString() : cause.getMessage();
      outcome = "err " + (text.startsWith(ERR) ? text.substring(ERR.length()) : text);
    }
    String done = "done " + r.nonce() + " " + outcome.replace('\r', ' ').replace('\n', ' ');
    try {
      etcd.txn(
          List.of(new Cmp(key, Cmp.Op.EQUAL, CmpTarget.value(bytes(r.value())))),
          List.of(Op.put(key, bytes(done), PutOption.DEFAULT)),
          List.of());
    } catch (IOException e) {
      if (attempt < ANSWER_ATTEMPTS && !closed) {
        try {
          timer.schedule(() -> answer(r, ok, error, attempt + 1), 500, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException closing) {
          // the requester gives up once the change slot is gone
        }
      }
    }
  }

  private static void run(
      CompletableFuture<String> reply, ScheduledExecutorService timer, Runnable task) {
    try {
      timer.execute(task);
    } catch (RejectedExecutionException closing) {
      reply.completeExceptionally(rejected("ringlb is shutting down"));
    }
  }

  void close() {
    closed = true;
  }
}
