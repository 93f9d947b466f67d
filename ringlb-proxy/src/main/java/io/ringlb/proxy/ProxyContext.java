package io.ringlb.proxy;

/**
 * What a client connection of the proxy works with besides its worker: the settings, the ring
 * commands and how keys are routed, and the counters.
 *
 * @param config the proxy's settings
 * @param ring what clients see of the control plane
 * @param stats the migration counters INFO shows
 */
record ProxyContext(ProxyConfig config, RingControl ring, ProxyStats stats) {}
