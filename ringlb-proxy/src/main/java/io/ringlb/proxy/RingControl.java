package io.ringlb.proxy;

import io.ringlb.core.HashTag;
import java.util.concurrent.CompletableFuture;

/** What clients see of the control plane: the RING changes, and how keys are routed. */
interface RingControl {

  /** Adds backend {@code spec} to the ring and moves its keys to it; completes when done. */
  CompletableFuture<String> ringAdd(BackendSpec spec);

  /** Moves every key of backend {@code id} to its new owner, then takes it out of the ring. */
  CompletableFuture<String> ringRemove(int id);

  /** Takes backend {@code id} out of the ring without moving its keys (it is gone for good). */
  CompletableFuture<String> ringRemoveForce(int id);

  /**
   * Ends the running ring change (RING ABORT): routes by the ring before it, moving back the keys
   * that moved where their backend answers; completes with the keys moved back and lost.
   */
  CompletableFuture<String> ringAbort();

  /** RING PROXIES: every proxy of the cluster, one line each; fails outside a cluster. */
  CompletableFuture<String> proxies();

  /** The lines of INFO cluster. */
  String clusterInfo();

  /** The placement spec keys are routed by. */
  String placementName();

  /** The hash tag keys are routed on, or null. */
  HashTag hashTag();

  /** The migration running, or null. */
  Migration migration();

  /** Failovers of Sentinel-managed shards the proxy followed since it started. */
  default long sentinelFailovers() {
    return 0;
  }
}
