package io.ringlb.server;

/**
 * Passed down the pipeline, in order with requests, when a client broke the protocol; the
 * connection answers {@code -ERR Protocol error: reason} and closes. Not a {@code RedisMessage}, so
 * the aggregators let it through.
 */
record ProtocolError(String reason) {}
