package io.ringlb.proxy;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.WatchOption;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * One proxy's calls to its cluster's etcd (jetcd client): each request retried on another member
 * until etcd answers or a deadline passes, whether the last one got an answer, and the keys under
 * the cluster's prefix.
 */
final class EtcdCalls implements AutoCloseable {

  private static final long CALL_MILLIS = 4000;
  private static final long ATTEMPT_MILLIS = 1500;

  private final ClusterSpec spec;
  private final Client client;
  private volatile boolean reachable = true;

  EtcdCalls(ClusterSpec spec) {
    this.spec = spec;
    List<String> urls = new ArrayList<>();
    for (String e : spec.etcd()) {
      urls.add("http://" + e);
    }
    this.client =
        Client.builder()
            .endpoints(urls.toArray(new String[0]))
            .connectTimeout(Duration.ofSeconds(2))
            .waitForReady(false)
            .retryMaxDuration(Duration.ofSeconds(2))
            .build();
  }

  Client client() {
    return client;
  }

  /** Whether the last call got an answer. */
  boolean reachable() {
    return reachable;
  }

  /** The key {@code name} under the cluster's prefix. */
  ByteSequence key(String name) {
    return bytes(spec.prefix() + name);
  }

  static ByteSequence bytes(String s) {
    return ByteSequence.from(s, StandardCharsets.UTF_8);
  }

  static String text(ByteSequence b) {
    return b.toString(StandardCharsets.UTF_8);
  }

  /** Reads {@code key}: null when it is absent. */
  KeyValue get(ByteSequence key) throws IOException {
    GetResponse r = call(() -> client.getKVClient().get(key));
    return r.getKvs().isEmpty() ? null : r.getKvs().get(0);
  }

  /** Runs the transaction: if every one of {@code ifs} holds, {@code then}, else {@code orElse}. */
  TxnResponse txn(List<Cmp> ifs, List<Op> then, List<Op> orElse) throws IOException {
    return txn(ifs, then, orElse, CALL_MILLIS);
  }

  /** As {@link #txn(List, List, List)}, trying for {@code millis}. */
  TxnResponse txn(List<Cmp> ifs, List<Op> then, List<Op> orElse, long millis) throws IOException {
    return call(
        () ->
            client
                .getKVClient()
                .txn()
                .If(ifs.toArray(new Cmp[0]))
                .Then(then.toArray(new Op[0]))
                .Else(orElse.toArray(new Op[0]))
                .commit(),
        millis);
  }

  /** The values of the keys under {@code under} (below the prefix), by the rest of their name. */
  Map<String, KeyValue> under(String under) throws IOException {
    String prefix = spec.prefix() + under;
    GetResponse r =
        call(
            () ->
                client
                    .getKVClient()
                    .get(bytes(prefix), GetOption.builder().isPrefix(true).build()));
    Map<String, KeyValue> out = new TreeMap<>();
    for (KeyValue kv : r.getKvs()) {
      out.put(text(kv.getKey()).substring(prefix.length()), kv);
    }
    return out;
  }

  /**
   * Watches the keys under {@code under}, running {@code changed} (on jetcd's thread) at each write
   * to one of them; close the watcher to stop.
   */
  Watch.Watcher watchUnder(String under, Runnable changed) {
    return client
        .getWatchClient()
        .watch(
            bytes(spec.prefix() + under),
            WatchOption.builder().isPrefix(true).build(),
            response -> changed.run());
  }

  /** As {@link #under}, the values as text. */
  Map<String, String> values(String under) throws IOException {
    Map<String, String> out = new TreeMap<>();
    under(under).forEach((k, kv) -> out.put(k, text(kv.getValue())));
    return out;
  }

  /**
   * Runs {@code request} until etcd answers it, for at most {@link #CALL_MILLIS}: a member that is
   * down fails the attempt that reached it, and the next attempt reaches another.
   */
  <T> T call(Supplier<CompletableFuture<T>> request) throws IOException {
    return call(request, CALL_MILLIS);
  }

  <T> T call(Supplier<CompletableFuture<T>> request, long millis) throws IOException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
    IOException last;
    do {
      try {
        return attempt(request.get());
      } catch (IOException e) {
        last = e;
        if (reachable) {
          throw e; // etcd answered: an error of the request itself
        }
      }
    } while (System.nanoTime() < deadline);
    throw last;
  }

  private <T> T attempt(CompletableFuture<T> future) throws IOException {
    try {
      T t = future.get(ATTEMPT_MILLIS, TimeUnit.MILLISECONDS);
      reachable = true;
      return t;
    } catch (ExecutionException e) {
      reachable =
          !(e.getCause() instanceof io.grpc.StatusRuntimeException s)
              || s.getStatus().getCode() != io.grpc.Status.Code.UNAVAILABLE;
      throw new IOException(
          "etcd " + String.join(",", spec.etcd()) + ": " + e.getCause().getMessage(), e);
    } catch (TimeoutException e) {
      future.cancel(true);
      reachable = false;
      throw new IOException(
          "etcd "
              + String.join(",", spec.etcd())
              + " did not answer within "
              + ATTEMPT_MILLIS
              + " ms",
          e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
  }

  @Override
  public void close() {
    client.close();
  }
}
