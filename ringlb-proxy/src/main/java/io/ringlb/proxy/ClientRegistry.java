package io.ringlb.proxy;

import java.util.Collections;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/** The proxy's client connections: how many are open, and the served ones by id. */
final class ClientRegistry {

  private final AtomicInteger open = new AtomicInteger();
  /** The connected clients by id, for CLIENT LIST and CLIENT KILL. */
  private final Map<Integer, ProxyHandler> connected = new ConcurrentHashMap<>();

  /** Counts a connection opened; returns how many are open. */
  int opened() {
    return open.incrementAndGet();
  }

  /** Counts a connection closed. */
  void closed() {
    open.decrementAndGet();
  }

  /** The connections open, refused ones included until they close. */
  int count() {
    return open.get();
  }

  void add(int id, ProxyHandler client) {
    connected.put(id, client);
  }

  void remove(int id) {
    connected.remove(id);
  }

  /** The clients served, by id: a live, unmodifiable view. */
  Map<Integer, ProxyHandler> connected() {
    return Collections.unmodifiableMap(connected);
  }
}
