package io.ringlb.proxy;

/**
 * What a client connection of the proxy works with besides its worker: the settings, the ring
 * commands, the counters and the other clients.
 */
record ProxyContext(ProxyConfig config, RingControl ring, ProxyStats stats,
    ClientRegistry clients) {}
