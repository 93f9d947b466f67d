package io.ringlb.proxy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The end of a migration step to a replica-backed target: once {@code MIGRATE ... COPY} restored a
 * step's keys on the target's primary, waits until {@code min-replicas} of its replicas have them,
 * and only then deletes them from the source.
 *
 * <p>{@code WAIT} counts the replicas that acknowledged the asking connection's last write, and the
 * keys were restored by the source's connection, not the proxy's: so the proxy first sends a write
 * of its own on the connection it waits on, a {@code PUBLISH} to {@value #CHANNEL} (no key is
 * touched; PUBLISH is replicated outside Redis Cluster), pipelined with the WAIT. The primary runs
 * one command at a time and replicates in that order, so a replica that acknowledged the PUBLISH
 * has every key the COPY restored before it. The WAIT counts only if it was answered by the primary
 * the COPY went to (Sentinel named no other one meanwhile).
 *
 * <p>How many replicas: with {@code durability: replicated}, {@code min-replicas}, as for a
 * client's write (a shard without them takes no key, as it takes no write). With {@code async},
 * {@code min-replicas} or the replicas Sentinel could promote (not down; their link to the primary
 * may be), whichever is fewer: a shard that lost its only replica to a failover still takes keys
 * (as it takes writes), while a replica only disconnected from its primary, which Sentinel could
 * promote without the keys, is waited for.
 */
final class CopyHandOff {

  /** The channel of the write that marks the copied keys in the target's replication stream. */
  static final String CHANNEL = "__ringlb:migration";

  private CopyHandOff() {}

  /**
   * Returns whether moves to {@code to} copy, wait for replicas, then delete: it is a Sentinel
   * shard, or writes wait for replicas ({@code durability: replicated}).
   */
  static boolean needed(Migration.Host host, Backend to) {
    return to.managed() || host.config().durability().replicated();
  }

  /**
   * Waits until {@code durability}'s {@code min-replicas} replicas of {@code to} have what was
   * restored on {@code primary} (its primary when the COPY was sent); returns null when they do,
   * else why not (the keys stay on the source and the step goes again).
   */
  static String awaitReplicas(Backend to, BackendSpec primary, Durability durability)
      throws InterruptedException {
    int min = durability.minReplicas();
    long timeout = durability.timeout().toMillis();
    SentinelShard shard = to.shard();
    if (!durability.replicated() && shard != null) {
      min = Math.min(min, shard.promotableReplicas());
      if (min == 0) {
        // No replica Sentinel could promote, so none to wait for, as with a plain backend; if the
        // primary is still the one the COPY went to.
        return samePrimary(to, primary) ? null : failedOver(to);
      }
    }
    // Pipelined on one connection: if the PUBLISH was sent and the connection lost, it fails; the
    // WAIT then never counts on a new connection that wrote nothing.
    CompletableFuture<Object> mark = to.call("PUBLISH", CHANNEL, "copied");
    CompletableFuture<Object> wait = to.call("WAIT", Integer.toString(min), Long.toString(timeout));
    Object marked = await(to, mark, timeout);
    Object acknowledged = await(to, wait, timeout);
    if (!samePrimary(to, primary)) {
      return failedOver(to);
    }
    if (marked instanceof Values.Error e) {
      return to.describe() + " refused PUBLISH: " + e.text();
    }
    if (acknowledged instanceof Values.Error e) {
      return to.describe() + " refused WAIT: " + e.text();
    }
    if (!(acknowledged instanceof Long n)) {
      return to.describe() + " answered WAIT with " + acknowledged;
    }
    if (n < min) {
      return "keys copied to "
          + to.describe()
          + " at "
          + primary.address()
          + " were acknowledged by "
          + n
          + " of "
          + min
          + (min == 1 ? " replica" : " replicas")
          + " within "
          + timeout
          + " ms; they stay on the source and are copied again";
    }
    return null;
  }

  /**
   * Deletes {@code keys}, copied to their new owner and replicated there, from {@code from}.
   *
   * @throws Migration.MigrationException when {@code from} refuses or cannot be reached
   */
  static void delete(Backend from, List<byte[]> keys) throws InterruptedException {
    List<Object> args = new ArrayList<>(keys.size() + 1);
    args.add("DEL");
    args.addAll(keys);
    Object reply = Migration.call(from, args.toArray());
    if (reply instanceof Values.Error e) {
      throw new Migration.MigrationException(
          "deleting keys copied away from " + from.describe() + " failed: " + e.text());
    }
  }

  /** Whether Sentinel names the same primary of {@code to} as when the COPY was sent. */
  private static boolean samePrimary(Backend to, BackendSpec primary) {
    return primary != null && primary.equals(to.target());
  }

  private static String failedOver(Backend to) {
    return to.describe() + " failed over while keys were copied to it";
  }

  private static Object await(Backend b, CompletableFuture<Object> reply, long timeoutMillis)
      throws InterruptedException {
    try {
      return reply.get(timeoutMillis + 30_000, TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      throw new Migration.MigrationException(e.getCause().getMessage());
    } catch (TimeoutException e) {
      throw new Migration.MigrationException(b.describe() + " did not answer WAIT");
    }
  }
}
