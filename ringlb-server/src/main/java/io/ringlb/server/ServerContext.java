package io.ringlb.server;

import io.netty.channel.Channel;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/** What every connection of one server shares: configuration, commands, backend, counters. */
final class ServerContext {

  private final ServerConfig config;
  private final CommandTable commands = new CommandTable();
  private final Backend backend;
  private final byte[] password;
  private final AtomicLong clientIds = new AtomicLong();
  private final AtomicInteger connected = new AtomicInteger();
  private final LongAdder commandsProcessed = new LongAdder();
  private final LongAdder connectionsReceived = new LongAdder();
  private final LongAdder rejectedConnections = new LongAdder();
  private final ChannelGroup channels = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
  private final long startMillis = System.currentTimeMillis();
  private final String runId;
  private volatile String transport = "embedded";
  private volatile int port;

  ServerContext(ServerConfig config, Backend backend) {
    this.config = config;
    this.backend = backend;
    this.password = config.requirePass() == null
        ? null : config.requirePass().getBytes(StandardCharsets.UTF_8);
    byte[] id = new byte[20];
    new SecureRandom().nextBytes(id);
    this.runId = HexFormat.of().formatHex(id);
  }

  ServerConfig config() {
    return config;
  }

  CommandTable commands() {
    return commands;
  }

  Backend backend() {
    return backend;
  }

  byte[] password() {
    return password;
  }

  long nextClientId() {
    return clientIds.incrementAndGet();
  }

  /** Counts a new connection; returns false when it is over {@code maxclients}. */
  boolean clientConnected(Channel channel) {
    connectionsReceived.increment();
    channels.add(channel);
    if (connected.incrementAndGet() > config.maxClients()) {
      rejectedConnections.increment();
      return false;
    }
    return true;
  }

  void clientDisconnected() {
    connected.decrementAndGet();
  }

  int connectedClients() {
    return Math.min(connected.get(), config.maxClients());
  }

  void commandsProcessed(long n) {
    commandsProcessed.add(n);
  }

  long totalCommandsProcessed() {
    return commandsProcessed.sum();
  }

  long totalConnectionsReceived() {
    return connectionsReceived.sum();
  }

  long rejectedConnections() {
    return rejectedConnections.sum();
  }

  ChannelGroup channels() {
    return channels;
  }

  long startMillis() {
    return startMillis;
  }

  String runId() {
    return runId;
  }

  String transport() {
    return transport;
  }

  void transport(String name) {
    transport = name;
  }

  int port() {
    return port;
  }

  void port(int port) {
    this.port = port;
  }
}
