package io.ringlb.server;

import io.netty.channel.Channel;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/** What every connection of one server shares: configuration, commands, data side, counters. */
final class ServerContext {

  private final ServerConfig config;
  private final CommandTable commands = new CommandTable();
  private final DataSide dataSide;
  private final User defaultUser; // null: off
  private final AuthThrottle authThrottle = new AuthThrottle();
  private final ClientMemory clientMemory;
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

  /** Commands per second in the last 16 intervals of 100 ms, as Redis samples them. */
  private final long[] opsSamples = new long[16];

  private int opsSample;
  private long lastCommands;
  private long lastSampleNanos = System.nanoTime();
  private volatile long opsPerSecond;

  ServerContext(ServerConfig config, DataSide dataSide) {
    this.config = config;
    this.dataSide = dataSide;
    this.defaultUser = config.users().defaultUser(config.requirePass());
    this.clientMemory = new ClientMemory(config.maxMemoryClients());
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

  DataSide dataSide() {
    return dataSide;
  }

  /** Returns the {@code default} user, or null when it is off (named users, no requirepass). */
  User defaultUser() {
    return defaultUser;
  }

  /** Returns the user a new connection starts as: {@code default} without a password, or null. */
  User autoLogin() {
    return defaultUser != null && defaultUser.noPassword() ? defaultUser : null;
  }

  /** Returns the user named {@code name}, byte for byte, or null. */
  User user(byte[] name) {
    if (defaultUser != null && defaultUser.named(name)) {
      return defaultUser;
    }
    for (User u : config.users().named().values()) {
      if (u.named(name)) {
        return u;
      }
    }
    return null;
  }

  AuthThrottle authThrottle() {
    return authThrottle;
  }

  /** Returns the memory all clients hold, bounded by {@code maxmemory-clients}. */
  ClientMemory clientMemory() {
    return clientMemory;
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

  /** Records the commands per second since the last sample; every 100 ms on one event loop. */
  void sampleOps() {
    long now = System.nanoTime();
    long count = commandsProcessed.sum();
    long elapsed = Math.max(1, now - lastSampleNanos);
    opsSamples[opsSample++ & (opsSamples.length - 1)] =
        (count - lastCommands) * 1_000_000_000L / elapsed;
    lastCommands = count;
    lastSampleNanos = now;
    long sum = 0;
    for (long sample : opsSamples) {
      sum += sample;
    }
    opsPerSecond = sum / opsSamples.length;
  }

  /** Returns the commands per second over the last 1.6 s, as INFO's instantaneous_ops_per_sec. */
  long instantaneousOpsPerSecond() {
    return opsPerSecond;
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
