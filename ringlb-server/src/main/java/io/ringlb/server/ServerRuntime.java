package io.ringlb.server;

import io.netty.channel.EventLoopGroup;

/**
 * What a running {@link RespServer} lends its {@link DataSide}: the event loops that serve the
 * connections and the transport they use, so that a data side's own connections (a proxy's to its
 * backends) run on the same loops as the clients they serve.
 *
 * @param eventLoops the event loops of the client connections
 * @param transport the network transport of those loops
 * @param config the server's configuration
 */
public record ServerRuntime(EventLoopGroup eventLoops, Transport transport, ServerConfig config) {}
