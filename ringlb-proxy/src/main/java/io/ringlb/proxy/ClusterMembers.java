package io.ringlb.proxy;

import static io.ringlb.proxy.RingException.rejected;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.DeleteOption;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * The members of a cluster as etcd holds them ({@code members/ID}, durable: the epoch each routes
 * by, its acknowledgement; {@code proxies/ID}, on each proxy's lease: its heartbeat): who lags
 * behind an epoch, waiting for every acknowledgement, forgetting a fenced member, and RING PROXIES.
 */
final class ClusterMembers {

  /**
   * A member as etcd holds it: its id, the epoch it routes by, its address, the ACL user its data
   * connections log in as, and the revision its entry was created at (which a fence names).
   */
  record Member(String id, long epoch, String address, String user, long created) {}

  /** How often a wait for acknowledgements reads the members again without a watch event. */
  private static final long RECHECK_MILLIS = 100;

  private final EtcdCalls etcd;

  ClusterMembers(EtcdCalls etcd) {
    this.etcd = etcd;
  }

  /** Every member of the cluster, by id. */
  Map<String, Member> all() throws IOException {
    Map<String, Member> out = new TreeMap<>();
    etcd.under("members/")
        .forEach(
            (id, kv) -> {
              String[] parts = EtcdCalls.text(kv.getValue()).split(" ", 3);
              out.put(
                  id,
                  new Member(
                      id,
                      Long.parseLong(parts[0]),
                      parts.length > 1 ? parts[1] : "?",
                      parts.length > 2 ? parts[2] : "-",
                      kv.getCreateRevision()));
            });
    return out;
  }

  /** The members that route by an epoch before {@code revision}. */
  List<Member> lagging(long revision) throws IOException {
    List<Member> out = new ArrayList<>();
    for (Member m : all().values()) {
      if (m.epoch() < revision) {
        out.add(m);
      }
    }
    return out;
  }

  /** The members that route by an epoch before {@code revision}, described, or null. */
  private String describeLagging(long revision) throws IOException {
    List<String> out = new ArrayList<>();
    Map<String, String> live = etcd.values("proxies/");
    for (Member m : lagging(revision)) {
      out.add(
          "proxy "
              + m.id()
              + " ("
              + m.address()
              + ") routes by epoch "
              + m.epoch()
              + (live.containsKey(m.id()) ? "" : ", and has no heartbeat (down)"));
    }
    return out.isEmpty() ? null : String.join("; ", out);
  }

  /**
   * Waits until every member of the cluster routes by epoch {@code revision} or a later one.
   *
   * @throws RingException naming the proxies that did not acknowledge within {@code timeout}
   */
  void awaitAcks(long revision, String step, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    // Each acknowledgement is a write under members/: the watch wakes the wait at once, and the
    // read every RECHECK_MILLIS is the backstop (a write before the watch started, a lost watch).
    Semaphore written = new Semaphore(0);
    Watch.Watcher watcher = etcd.watchUnder("members/", written::release);
    try {
      awaitAcks(revision, step, deadline, timeout, written);
    } finally {
      watcher.close();
    }
  }

  private void awaitAcks(
      long revision, String step, long deadline, Duration timeout, Semaphore written)
      throws InterruptedException {
    while (true) {
      String lagging;
      try {
        lagging = describeLagging(revision);
      } catch (IOException e) {
        lagging = "etcd does not answer (" + e.getMessage() + ")";
      }
      if (lagging == null) {
        return;
      }
      if (System.nanoTime() > deadline) {
        throw rejected(
            "step '"
                + step
                + "' (epoch "
                + revision
                + ") not acknowledged within "
                + timeout.toSeconds()
                + " s: "
                + lagging);
      }
      written.tryAcquire(RECHECK_MILLIS, TimeUnit.MILLISECONDS);
      written.drainPermits();
    }
  }

  /**
   * Forgets member {@code m}, fenced at the backends already: removes its entry if it is still the
   * one {@code m} describes; returns false when it registered again meanwhile.
   */
  boolean forget(Member m) throws IOException {
    ByteSequence k = etcd.key("members/" + m.id());
    return etcd.txn(
            List.of(new Cmp(k, Cmp.Op.EQUAL, CmpTarget.createRevision(m.created()))),
            List.of(Op.delete(k, DeleteOption.DEFAULT)),
            List.of())
        .isSucceeded();
  }

  /**
   * Every proxy of the cluster, one line each: {@code id address epoch heartbeat state}, state
   * {@code up} (heartbeat lease alive) or {@code down} (a member without one).
   */
  List<String> proxies() throws IOException {
    Map<String, String> live = etcd.values("proxies/");
    List<String> out = new ArrayList<>();
    for (Map.Entry<String, KeyValue> e : etcd.under("members/").entrySet()) {
      String[] member = EtcdCalls.text(e.getValue().getValue()).split(" ", 3);
      String heartbeat = "-";
      String state = "down";
      String where = member.length > 1 ? member[1] : "?";
      String info = live.get(e.getKey());
      if (info != null) {
        String[] p = info.split(" ");
        heartbeat = Instant.ofEpochMilli(Long.parseLong(p[2])).toString();
        state = "up";
        where = p[0]; // the heartbeat's: the bound address once the proxy listens
      }
      out.add(
          "id="
              + e.getKey()
              + " address="
              + where
              + " epoch="
              + member[0]
              + " heartbeat="
              + heartbeat
              + " state="
              + state);
    }
    return out;
  }
}
