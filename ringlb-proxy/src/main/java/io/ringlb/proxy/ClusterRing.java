package io.ringlb.proxy;

import static io.ringlb.proxy.RingException.rejected;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * One proxy's view of its cluster in etcd: the ring every proxy routes by, the proxies, the one
 * change under way, and each proxy's acknowledgement of each step of it.
 *
 * <p>Keys, under {@code /ringlb/NAME/}: {@code ring} (the ring as the state file writes it, with
 * the step of the change under way; its mod revision is the cluster's ring epoch), {@code
 * members/ID} (durable: the epoch proxy ID routes by, its acknowledgement), {@code proxies/ID}
 * (bound to the proxy's lease: its address, epoch and last heartbeat), and {@code change} (bound to
 * the lease of the proxy running the change: which change, through which proxy).
 */
final class ClusterRing implements AutoCloseable {

  /**
   * A ring as etcd holds it: its revision (the epoch), the step of the change, the proxy that
   * published it (null for the first ring), the state.
   */
  record Ring(long revision, String step, String runner, StateFile.State state) {}

  /**
   * A member as etcd holds it: its id, the epoch it routes by, its address, the ACL user its data
   * connections log in as, and the revision its entry was created at (which a fence names).
   */
  record Member(String id, long epoch, String address, String user, long created) {}

  /** This proxy's membership is gone: another proxy fenced it, and it must join again. */
  static final class FencedException extends IOException {
    private static final long serialVersionUID = 1L;

    FencedException(String message) {
      super(message);
    }
  }

  /** The steps of a change, in order; a ring with no change under way is {@code STABLE}. */
  static final String STABLE = "stable";

  static final String PREPARE = "prepare";
  static final String MIGRATE = "migrate";

  private static final long LEASE_SECONDS = 5;
  private static final long CALL_MILLIS = 4000;
  private static final long JOIN_MILLIS = 15_000;
  private static final long ATTEMPT_MILLIS = 1500;

  /**
   * How long a ring change tries to record itself: longer than etcd's election after losing its
   * leader on a loaded machine, so that one member down only delays a change, never refuses it.
   */
  private static final long BEGIN_MILLIS = 10_000;

  private final ClusterSpec spec;
  private final String id;
  private volatile String address;
  private final Client client;
  private final ByteSequence ringKey;
  private final ByteSequence changeKey;
  private final ByteSequence memberKey;
  private final ByteSequence proxyKey;

  private volatile long lease;
  private volatile long applied;

  /** The ACL user this proxy registered with, and the revision its member entry was created at. */
  private volatile String user = "-";

  private volatile long memberCreated;

  /** The last heartbeat found this proxy's membership gone. */
  private volatile boolean fenced;

  private volatile String heldChange;

  /** The ring revision this proxy's next publish replaces; a publish over another one fails. */
  private volatile long base;

  private volatile boolean reachable = true;

  private ClusterRing(ClusterSpec spec, String id, String address) {
    this.spec = spec;
    this.id = id;
    this.address = address;
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
    this.ringKey = key("ring");
    this.changeKey = key("change");
    this.memberKey = key("members/" + id);
    this.proxyKey = key("proxies/" + id);
  }

  /** Connects proxy {@code id} at {@code address} to the etcd of {@code spec}. */
  static ClusterRing connect(ClusterSpec spec, String id, String address) {
    return new ClusterRing(spec, id, address);
  }

  String id() {
    return id;
  }

  /** Shows {@code actual} as this proxy's address from the next acknowledgement and heartbeat. */
  void bound(String actual) {
    this.address = actual;
  }

  ClusterSpec spec() {
    return spec;
  }

  /** The epoch (ring revision) this proxy routes by. */
  long applied() {
    return applied;
  }

  /** Whether the last call to etcd got an answer. */
  boolean reachable() {
    return reachable;
  }

  private ByteSequence key(String name) {
    return bytes(spec.prefix() + name);
  }

  private static ByteSequence bytes(String s) {
    return ByteSequence.from(s, StandardCharsets.UTF_8);
  }

  private static String text(ByteSequence b) {
    return b.toString(StandardCharsets.UTF_8);
  }

  // ---- joining

  /**
   * Takes this proxy's lease; the first call, patient, as on a loaded machine that takes seconds.
   */
  void connect() throws IOException {
    lease = call(() -> client.getLeaseClient().grant(LEASE_SECONDS), JOIN_MILLIS).getID();
  }

  /**
   * Registers this proxy as a member with ACL user {@code user} (at epoch 0: it acknowledges
   * nothing yet, so no change goes on without it) before it reads the ring, then returns the ring,
   * first creating it from {@code initial} when the cluster has none (null: join only).
   */
  Ring join(StateFile.State initial, String user) throws IOException {
    this.user = user;
    applied = 0;
    call(() -> client.getKVClient().put(memberKey, bytes(memberValue(0))));
    GetResponse mine = call(() -> client.getKVClient().get(memberKey));
    memberCreated = mine.getKvs().isEmpty() ? -1 : mine.getKvs().get(0).getCreateRevision();
    fenced = false;
    heartbeat();
    call(
        () ->
            client
                .getKVClient()
                .txn()
                .If(new Cmp(ringKey, Cmp.Op.EQUAL, CmpTarget.version(0)))
                .Then(
                    initial == null
                        ? Op.get(ringKey, GetOption.DEFAULT)
                        : Op.put(
                            ringKey, bytes(ringValue(STABLE, null, initial)), PutOption.DEFAULT))
                .Else(Op.get(ringKey, GetOption.DEFAULT))
                .commit());
    Ring ring = read();
    if (ring == null) {
      throw new IOException(
          "cluster "
              + spec.name()
              + " has no ring in etcd ("
              + String.join(",", spec.etcd())
              + ") yet: start its first proxy with its --backend list");
    }
    return ring;
  }

  /** Removes this proxy's member entry, if it is still the one it registered. */
  void unregister() throws IOException {
    long created = memberCreated;
    call(
        () ->
            client
                .getKVClient()
                .txn()
                .If(new Cmp(memberKey, Cmp.Op.EQUAL, CmpTarget.createRevision(created)))
                .Then(Op.delete(memberKey, DeleteOption.DEFAULT))
                .commit());
  }

  /** Whether the last heartbeat found this proxy's membership gone (fenced by another proxy). */
  boolean fenced() {
    return fenced;
  }

  /** The ACL user this proxy registered with. */
  String user() {
    return user;
  }

  /**
   * Watches the ring key: {@code changed} runs at every write of it (on etcd's client threads),
   * {@code ended} when the watch ends, with its error or null.
   */
  Watch.Watcher watchRing(Runnable changed, Consumer<Throwable> ended) {
    return client
        .getWatchClient()
        .watch(ringKey, Watch.listener(response -> changed.run(), ended, () -> ended.accept(null)));
  }

  /** Returns the ring etcd holds, or null if there is none. */
  Ring read() throws IOException {
    GetResponse r = call(() -> client.getKVClient().get(ringKey));
    if (r.getKvs().isEmpty()) {
      return null;
    }
    KeyValue kv = r.getKvs().get(0);
    String value = text(kv.getValue());
    String where = "etcd key " + spec.prefix() + "ring";
    Object root = new Yaml(new SafeConstructor(new LoaderOptions())).load(value);
    String step = root instanceof Map<?, ?> m ? String.valueOf(m.get("step")) : STABLE;
    Object runner = root instanceof Map<?, ?> m ? m.get("runner") : null;
    return new Ring(
        kv.getModRevision(),
        step,
        runner == null ? null : String.valueOf(runner),
        StateFile.parse(value, where));
  }

  private static String ringValue(String step, String runner, StateFile.State state) {
    return "step: "
        + step
        + "\n"
        + (runner == null ? "" : "runner: '" + runner + "'\n")
        + StateFile.format(state);
  }

  private String memberValue(long epoch) {
    return epoch + " " + address + " " + user;
  }

  /**
   * Records that this proxy routes by the ring of {@code revision}: its acknowledgement, made only
   * while its member entry is the one it registered.
   *
   * @throws FencedException when another proxy fenced this one: it must join again
   */
  void acknowledge(long revision) throws IOException {
    applied = revision;
    long created = memberCreated;
    TxnResponse r =
        call(
            () ->
                client
                    .getKVClient()
                    .txn()
                    .If(new Cmp(memberKey, Cmp.Op.EQUAL, CmpTarget.createRevision(created)))
                    .Then(Op.put(memberKey, bytes(memberValue(revision)), PutOption.DEFAULT))
                    .commit());
    if (!r.isSucceeded()) {
      fenced = true;
      throw new FencedException(
          "proxy " + id + " was fenced (its membership is gone): it joins the cluster again");
    }
    heartbeat();
  }

  /**
   * Renews this proxy's lease (a new one if etcd forgot it) and its {@code proxies/ID} entry;
   * returns false, and marks etcd unreachable, when etcd does not answer.
   */
  boolean heartbeat() {
    try {
      try {
        call(() -> client.getLeaseClient().keepAliveOnce(lease));
      } catch (IOException expired) {
        if (!reachable) {
          throw expired;
        }
        lease = call(() -> client.getLeaseClient().grant(LEASE_SECONDS)).getID();
      }
      String value = address + " " + applied + " " + System.currentTimeMillis();
      long created = memberCreated;
      TxnResponse r =
          call(
              () ->
                  client
                      .getKVClient()
                      .txn()
                      .If(new Cmp(memberKey, Cmp.Op.EQUAL, CmpTarget.createRevision(created)))
                      .Then(Op.put(proxyKey, bytes(value), leased()))
                      .commit());
      if (!r.isSucceeded()) {
        fenced = true;
      }
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private PutOption leased() {
    return PutOption.builder().withLeaseId(lease).build();
  }

  // ---- changes

  /**
   * Takes the cluster's one change slot for {@code label} (RING ADD 3 ...), bound to this proxy's
   * lease; refuses, naming the change and its proxy, when another holds it.
   */
  void beginChange(String label) {
    String value = label + " through proxy " + id + " (" + address + ")";
    TxnResponse r;
    try {
      r =
          call(
              () ->
                  client
                      .getKVClient()
                      .txn()
                      .If(new Cmp(changeKey, Cmp.Op.EQUAL, CmpTarget.version(0)))
                      .Then(Op.put(changeKey, bytes(value), leased()))
                      .Else(Op.get(changeKey, GetOption.DEFAULT))
                      .commit(),
              BEGIN_MILLIS);
    } catch (IOException e) {
      throw rejected("cannot change the ring: " + e.getMessage());
    }
    if (!r.isSucceeded()) {
      List<KeyValue> kvs = r.getGetResponses().get(0).getKvs();
      String other = kvs.isEmpty() ? "another change" : text(kvs.get(0).getValue());
      if (other.equals(value)) { // an attempt that timed out had taken it
        heldChange = value;
        base = applied;
        return;
      }
      throw rejected(
          "another ring change is under way in cluster "
              + spec.name()
              + ": "
              + other
              + "; try again when it ends");
    }
    heldChange = value;
    base = applied;
  }

  /** Whether this proxy holds the cluster's change slot. */
  boolean runsChange() {
    return heldChange != null;
  }

  /** Gives the change slot back. */
  void endChange() {
    String held = heldChange;
    heldChange = null;
    if (held == null) {
      return;
    }
    try {
      call(
          () ->
              client
                  .getKVClient()
                  .txn()
                  .If(new Cmp(changeKey, Cmp.Op.EQUAL, CmpTarget.value(bytes(held))))
                  .Then(Op.delete(changeKey, DeleteOption.DEFAULT))
                  .commit());
    } catch (IOException e) {
      // the slot is bound to this proxy's lease: it goes when the lease expires
    }
  }

  /**
   * Publishes {@code state} at {@code step} of the change this proxy holds; returns its epoch.
   *
   * @throws RingException when etcd does not answer, this proxy no longer holds the change, or the
   *     ring is no longer the one this proxy published last (another proxy rolled the change back)
   */
  long publish(String step, StateFile.State state) {
    TxnResponse r;
    long over = base;
    try {
      r =
          call(
              () ->
                  client
                      .getKVClient()
                      .txn()
                      .If(
                          new Cmp(changeKey, Cmp.Op.EQUAL, CmpTarget.value(bytes(heldChange))),
                          new Cmp(ringKey, Cmp.Op.EQUAL, CmpTarget.modRevision(over)))
                      .Then(Op.put(ringKey, bytes(ringValue(step, id, state)), PutOption.DEFAULT))
                      .commit());
    } catch (IOException e) {
      throw rejected("cannot publish step " + step + " of the ring change: " + e.getMessage());
    }
    if (!r.isSucceeded()) {
      throw rejected(
          "proxy "
              + id
              + " lost the change of cluster "
              + spec.name()
              + " (its lease expired, or another proxy rolled it back after epoch "
              + over
              + ")");
    }
    base = r.getHeader().getRevision();
    return base;
  }

  /**
   * Marks the change whose {@code prepare} step is epoch {@code prepare} failed: publishes {@code
   * before} as the ring, frees the change slot and, when {@code runnerGone}, forgets the member
   * that ran it; returns the new epoch, or -1 when the ring is no longer at that step.
   */
  long rollBackPrepare(
      long prepare, StateFile.State before, String runner, boolean runnerGone, String reason)
      throws IOException {
    List<Op> ops = new ArrayList<>();
    ops.add(Op.put(ringKey, bytes(ringValue(STABLE, id, before)), PutOption.DEFAULT));
    ops.add(Op.delete(changeKey, DeleteOption.DEFAULT));
    ops.add(Op.put(key("failed"), bytes(reason), PutOption.DEFAULT));
    if (runnerGone && runner != null && !runner.equals(id)) {
      ops.add(Op.delete(key("members/" + runner), DeleteOption.DEFAULT));
    }
    TxnResponse r =
        call(
            () ->
                client
                    .getKVClient()
                    .txn()
                    .If(new Cmp(ringKey, Cmp.Op.EQUAL, CmpTarget.modRevision(prepare)))
                    .Then(ops.toArray(new Op[0]))
                    .commit());
    return r.isSucceeded() ? r.getHeader().getRevision() : -1;
  }

  /**
   * Takes over the change whose {@code migrate} step is epoch {@code migrate} from {@code runner},
   * whose lease expired (the change slot is free): takes the slot on this proxy's lease and forgets
   * the runner as a member; returns false when the ring or the slot moved meanwhile.
   */
  boolean takeOver(long migrate, String runner, String label) throws IOException {
    String value = label + " through proxy " + id + " (" + address + ")";
    List<Op> ops = new ArrayList<>();
    ops.add(Op.put(changeKey, bytes(value), leased()));
    if (runner != null && !runner.equals(id)) {
      ops.add(Op.delete(key("members/" + runner), DeleteOption.DEFAULT));
    }
    TxnResponse r =
        call(
            () ->
                client
                    .getKVClient()
                    .txn()
                    .If(
                        new Cmp(ringKey, Cmp.Op.EQUAL, CmpTarget.modRevision(migrate)),
                        new Cmp(changeKey, Cmp.Op.EQUAL, CmpTarget.version(0)))
                    .Then(ops.toArray(new Op[0]))
                    .commit());
    if (r.isSucceeded()) {
      heldChange = value;
      base = migrate;
    }
    return r.isSucceeded();
  }

  /**
   * Waits until every member of the cluster routes by epoch {@code revision} or a later one.
   *
   * @throws RingException naming the proxies that did not acknowledge within {@code timeout}
   */
  void awaitAcks(long revision, String step, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    String lagging = null;
    while (true) {
      try {
        lagging = lagging(revision);
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
      Thread.sleep(20);
    }
  }

  /** The members that route by an epoch before {@code revision}, described, or null. */
  private String lagging(long revision) throws IOException {
    List<String> out = new ArrayList<>();
    Map<String, String> live = values("proxies/");
    for (Member m : laggingMembers(revision)) {
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

  /** The members that route by an epoch before {@code revision}. */
  List<Member> laggingMembers(long revision) throws IOException {
    List<Member> out = new ArrayList<>();
    for (Member m : members().values()) {
      if (m.epoch() < revision) {
        out.add(m);
      }
    }
    return out;
  }

  /** Every member of the cluster, by id. */
  Map<String, Member> members() throws IOException {
    String prefix = spec.prefix() + "members/";
    GetResponse r =
        call(
            () ->
                client
                    .getKVClient()
                    .get(bytes(prefix), GetOption.builder().isPrefix(true).build()));
    Map<String, Member> out = new TreeMap<>();
    for (KeyValue kv : r.getKvs()) {
      String memberId = text(kv.getKey()).substring(prefix.length());
      String[] parts = text(kv.getValue()).split(" ", 3);
      out.put(
          memberId,
          new Member(
              memberId,
              Long.parseLong(parts[0]),
              parts.length > 1 ? parts[1] : "?",
              parts.length > 2 ? parts[2] : "-",
              kv.getCreateRevision()));
    }
    return out;
  }

  /**
   * Forgets member {@code m}, fenced at the backends already: removes its entry if it is still the
   * one {@code m} describes; returns false when it registered again meanwhile.
   */
  boolean forget(Member m) throws IOException {
    ByteSequence k = key("members/" + m.id());
    TxnResponse r =
        call(
            () ->
                client
                    .getKVClient()
                    .txn()
                    .If(new Cmp(k, Cmp.Op.EQUAL, CmpTarget.createRevision(m.created())))
                    .Then(Op.delete(k, DeleteOption.DEFAULT))
                    .commit());
    return r.isSucceeded();
  }

  private Map<String, String> values(String under) throws IOException {
    String prefix = spec.prefix() + under;
    GetResponse r =
        call(
            () ->
                client
                    .getKVClient()
                    .get(bytes(prefix), GetOption.builder().isPrefix(true).build()));
    Map<String, String> out = new TreeMap<>();
    for (KeyValue kv : r.getKvs()) {
      out.put(text(kv.getKey()).substring(prefix.length()), text(kv.getValue()));
    }
    return out;
  }

  /** The change under way in the cluster, or null; throws when etcd does not answer. */
  String change() throws IOException {
    GetResponse r = call(() -> client.getKVClient().get(changeKey));
    return r.getKvs().isEmpty() ? null : text(r.getKvs().get(0).getValue());
  }

  /**
   * Every proxy of the cluster, one line each: {@code id address epoch heartbeat state}, state
   * {@code up} (heartbeat lease alive) or {@code down} (a member without one).
   */
  List<String> proxies() throws IOException {
    Map<String, String> live = values("proxies/");
    List<String> out = new ArrayList<>();
    for (Map.Entry<String, String> e : values("members/").entrySet()) {
      String[] member = e.getValue().split(" ", 3);
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

  /**
   * Runs {@code request} until etcd answers it, for at most {@link #CALL_MILLIS}: a member that is
   * down fails the attempt that reached it, and the next attempt reaches another.
   */
  private <T> T call(Supplier<CompletableFuture<T>> request) throws IOException {
    return call(request, CALL_MILLIS);
  }

  private <T> T call(Supplier<CompletableFuture<T>> request, long millis) throws IOException {
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

  /** Leaves the cluster: this proxy is no longer a member, no change waits for it. */
  @Override
  public void close() {
    try {
      call(() -> client.getKVClient().delete(memberKey));
      call(() -> client.getKVClient().delete(proxyKey));
      call(() -> client.getLeaseClient().revoke(lease));
    } catch (IOException e) {
      // etcd is away: the member entry stays, and changes wait for this id to come back
    }
    client.close();
  }
}
