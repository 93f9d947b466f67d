package io.ringlb.proxy;

import static io.ringlb.proxy.EtcdCalls.bytes;
import static io.ringlb.proxy.EtcdCalls.text;
import static io.ringlb.proxy.RingException.rejected;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * One proxy's view of its cluster in etcd: the ring every proxy routes by, this proxy's membership,
 * the one change under way, and each proxy's acknowledgement of each step of it.
 *
 * <p>Keys, under {@code /ringlb/NAME/}: {@code ring} (the ring as the state file writes it, with
 * the step of the change under way; its mod revision is the cluster's ring epoch), {@code
 * members/ID} (durable: the epoch proxy ID routes by, its acknowledgement), {@code proxies/ID}
 * (bound to the proxy's lease: its address, epoch and last heartbeat), {@code change} (bound to the
 * lease of the proxy running the change: which change, through which proxy), and {@code abort} (a
 * RING ABORT of it requested through any proxy, see {@link ClusterAbort}).
 */
final class ClusterRing implements AutoCloseable {

  /**
   * A ring as etcd holds it: its revision (the epoch), the step of the change, the proxy that
   * published it (null for the first ring), the state.
   */
  record Ring(long revision, String step, String runner, StateFile.State state) {}

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
  private static final long JOIN_MILLIS = 15_000;

  /**
   * How long a ring change tries to record itself: longer than etcd's election after losing its
   * leader on a loaded machine, so that one member down only delays a change, never refuses it.
   */
  private static final long BEGIN_MILLIS = 10_000;

  private final ClusterSpec spec;
  private final String id;
  private volatile String address;
  private final EtcdCalls etcd;
  private final ClusterMembers members;
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

  private ClusterRing(ClusterSpec spec, String id, String address) {
    this.spec = spec;
    this.id = id;
    this.address = address;
    this.etcd = new EtcdCalls(spec);
    this.members = new ClusterMembers(etcd);
    this.ringKey = etcd.key("ring");
    this.changeKey = etcd.key("change");
    this.memberKey = etcd.key("members/" + id);
    this.proxyKey = etcd.key("proxies/" + id);
  }

  /** Connects proxy {@code id} at {@code address} to the etcd of {@code spec}. */
  static ClusterRing connect(ClusterSpec spec, String id, String address) {
    return new ClusterRing(spec, id, address);
  }

  String id() {
    return id;
  }

  /** This proxy's address, as its acknowledgements and heartbeats show it. */
  String address() {
    return address;
  }

  /** Shows {@code actual} as this proxy's address from the next acknowledgement and heartbeat. */
  void bound(String actual) {
    this.address = actual;
  }

  ClusterSpec spec() {
    return spec;
  }

  /** The calls to etcd this view makes, shared with the other keys' owners. */
  EtcdCalls etcd() {
    return etcd;
  }

  /** The cluster's members. */
  ClusterMembers members() {
    return members;
  }

  /** The epoch (ring revision) this proxy routes by. */
  long applied() {
    return applied;
  }

  /** Whether the last call to etcd got an answer. */
  boolean reachable() {
    return etcd.reachable();
  }

  // ---- joining

  /**
   * Takes this proxy's lease; the first call, patient, as on a loaded machine that takes seconds.
   */
  void connect() throws IOException {
    lease =
        etcd.call(() -> etcd.client().getLeaseClient().grant(LEASE_SECONDS), JOIN_MILLIS).getID();
  }

  /**
   * Registers this proxy as a member with ACL user {@code user} (at epoch 0: it acknowledges
   * nothing yet, so no change goes on without it) before it reads the ring, then returns the ring,
   * first creating it from {@code initial} when the cluster has none (null: join only).
   */
  Ring join(StateFile.State initial, String user) throws IOException {
    this.user = user;
    applied = 0;
    etcd.call(() -> etcd.client().getKVClient().put(memberKey, bytes(memberValue(0))));
    KeyValue mine = etcd.get(memberKey);
    memberCreated = mine == null ? -1 : mine.getCreateRevision();
    fenced = false;
    heartbeat();
    etcd.txn(
        List.of(new Cmp(ringKey, Cmp.Op.EQUAL, CmpTarget.version(0))),
        List.of(
            initial == null
                ? Op.get(ringKey, GetOption.DEFAULT)
                : Op.put(ringKey, bytes(ringValue(STABLE, null, initial)), PutOption.DEFAULT)),
        List.of());
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
    whileMember(Op.delete(memberKey, DeleteOption.DEFAULT));
  }

  /**
   * Runs {@code op} only while this proxy's member entry is the one it registered (not removed by a
   * fence); returns whether it ran.
   */
  private boolean whileMember(Op op) throws IOException {
    long created = memberCreated;
    return etcd.txn(
            List.of(new Cmp(memberKey, Cmp.Op.EQUAL, CmpTarget.createRevision(created))),
            List.of(op),
            List.of())
        .isSucceeded();
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
    return etcd.client()
        .getWatchClient()
        .watch(ringKey, Watch.listener(response -> changed.run(), ended, () -> ended.accept(null)));
  }

  /** Returns the ring etcd holds, or null if there is none. */
  Ring read() throws IOException {
    KeyValue kv = etcd.get(ringKey);
    if (kv == null) {
      return null;
    }
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
    if (!whileMember(Op.put(memberKey, bytes(memberValue(revision)), PutOption.DEFAULT))) {
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
        etcd.call(() -> etcd.client().getLeaseClient().keepAliveOnce(lease));
      } catch (IOException expired) {
        if (!etcd.reachable()) {
          throw expired;
        }
        lease = etcd.call(() -> etcd.client().getLeaseClient().grant(LEASE_SECONDS)).getID();
      }
      String value = address + " " + applied + " " + System.currentTimeMillis();
      if (!whileMember(Op.put(proxyKey, bytes(value), leased()))) {
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
   * lease, clearing any RING ABORT request of an earlier change; refuses, naming the change and its
   * proxy, when another holds it.
   */
  void beginChange(String label) {
    String value = label + " through proxy " + id + " (" + address + ")";
    TxnResponse r;
    try {
      r =
          etcd.txn(
              List.of(new Cmp(changeKey, Cmp.Op.EQUAL, CmpTarget.version(0))),
              List.of(
                  Op.put(changeKey, bytes(value), leased()),
                  Op.delete(etcd.key(ClusterAbort.KEY), DeleteOption.DEFAULT)),
              List.of(Op.get(changeKey, GetOption.DEFAULT)),
              BEGIN_MILLIS);
    } catch (IOException e) {
      throw rejected("cannot change the ring: " + e.getMessage());
    }
    if (!r.isSucceeded()) {
      List<KeyValue> kvs = r.getGetResponses().get(0).getKvs();
      String other = kvs.isEmpty() ? "another change" : text(kvs.get(0).getValue());
      if (!other.equals(value)) { // equal: an attempt that timed out had taken it
        throw rejected(
            "another ring change is under way in cluster "
                + spec.name()
                + ": "
                + other
                + "; try again when it ends");
      }
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
      etcd.txn(
          List.of(new Cmp(changeKey, Cmp.Op.EQUAL, CmpTarget.value(bytes(held)))),
          List.of(Op.delete(changeKey, DeleteOption.DEFAULT)),
          List.of());
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
          etcd.txn(
              List.of(
                  new Cmp(changeKey, Cmp.Op.EQUAL, CmpTarget.value(bytes(heldChange))),
                  new Cmp(ringKey, Cmp.Op.EQUAL, CmpTarget.modRevision(over))),
              List.of(Op.put(ringKey, bytes(ringValue(step, id, state)), PutOption.DEFAULT)),
              List.of());
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
    ops.add(Op.put(etcd.key("failed"), bytes(reason), PutOption.DEFAULT));
    if (runnerGone && runner != null && !runner.equals(id)) {
      ops.add(Op.delete(etcd.key("members/" + runner), DeleteOption.DEFAULT));
    }
    TxnResponse r =
        etcd.txn(
            List.of(new Cmp(ringKey, Cmp.Op.EQUAL, CmpTarget.modRevision(prepare))),
            ops,
            List.of());
    return r.isSucceeded() ? r.getHeader().getRevision() : -1;
  }

  /**
   * Takes over the change whose {@code migrate} step is epoch {@code migrate} from {@code runner},
   * whose lease expired (the change slot is free): takes the slot on this proxy's lease and forgets
   * the runner as a member; returns false when the ring or the slot moved meanwhile. A RING ABORT
   * requested of the change stays, for this proxy to honour.
   */
  boolean takeOver(long migrate, String runner, String label) throws IOException {
    String value = label + " through proxy " + id + " (" + address + ")";
    List<Op> ops = new ArrayList<>();
    ops.add(Op.put(changeKey, bytes(value), leased()));
    if (runner != null && !runner.equals(id)) {
      ops.add(Op.delete(etcd.key("members/" + runner), DeleteOption.DEFAULT));
    }
    TxnResponse r =
        etcd.txn(
            List.of(
                new Cmp(ringKey, Cmp.Op.EQUAL, CmpTarget.modRevision(migrate)),
                new Cmp(changeKey, Cmp.Op.EQUAL, CmpTarget.version(0))),
            ops,
            List.of());
    if (r.isSucceeded()) {
      heldChange = value;
      base = migrate;
    }
    return r.isSucceeded();
  }

  /** The change under way in the cluster, or null; throws when etcd does not answer. */
  String change() throws IOException {
    KeyValue kv = etcd.get(changeKey);
    return kv == null ? null : text(kv.getValue());
  }

  /** Leaves the cluster: this proxy is no longer a member, no change waits for it. */
  @Override
  public void close() {
    try {
      etcd.call(() -> etcd.client().getKVClient().delete(memberKey));
      etcd.call(() -> etcd.client().getKVClient().delete(proxyKey));
      etcd.call(() -> etcd.client().getLeaseClient().revoke(lease));
    } catch (IOException e) {
      // etcd is away: the member entry stays, and changes wait for this id to come back
    }
    etcd.close();
  }
}
