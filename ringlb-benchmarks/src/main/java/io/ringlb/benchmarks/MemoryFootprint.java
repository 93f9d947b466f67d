package io.ringlb.benchmarks;

import io.ringlb.core.Hashes;
import io.ringlb.core.LoadBalancer;
import io.ringlb.core.ServerMemory;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.function.IntFunction;

/**
 * Measures the heap retained per stored entry (32-byte key, 24-byte value) after a full GC, for a
 * {@link LoadBalancer} of 1000 servers (also after 100 servers joined and 100 left, which moves
 * about a fifth of the entries), a single {@link ServerMemory}, and {@code HashMap<String, String>}
 * holding the same entries, each measured the same way in the same JVM.
 *
 * <p>Method: force full GCs until the used heap stops shrinking, build the structure (keys and
 * values are generated into reused buffers, so only what the structure keeps stays reachable),
 * force full GCs again, and divide the difference in used heap by the number of entries. A serial
 * collector makes the used-heap figure exact after a full GC.
 *
 * <pre>
 * java -XX:+UseSerialGC -Xmx4g -cp ringlb-benchmarks/target/benchmarks.jar \
 *     io.ringlb.benchmarks.MemoryFootprint [ENTRIES]
 * </pre>
 */
public final class MemoryFootprint {

  private MemoryFootprint() {}

  /** Prints bytes per entry for each structure; the optional argument sets the entry count. */
  public static void main(String[] args) {
    int entries = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
    if (entries <= 0) {
      throw new IllegalArgumentException("entries must be positive: " + entries);
    }
    System.out.printf(
        "entries: %d, key %d bytes, value %d bytes, JVM %s, %s%n",
        entries,
        Fixtures.KEY_LENGTH,
        Fixtures.VALUE_LENGTH,
        System.getProperty("java.vm.version"),
        ManagementFactory.getGarbageCollectorMXBeans().get(0).getName());
    // warm the code paths once, small, so that class loading does not count
    measure("warm-up", 10_000, MemoryFootprint::balancer, false);
    measure("warm-up", 10_000, MemoryFootprint::hashMap, false);
    measure("warm-up", 10_000, MemoryFootprint::serverMemory, false);

    measure("ringlb LoadBalancer, 1000 servers", entries, MemoryFootprint::balancer, true);
    measure("ringlb LoadBalancer, after churn", entries, MemoryFootprint::churned, true);
    measure("ringlb ServerMemory, one server", entries, MemoryFootprint::serverMemory, true);
    measure("java.util.HashMap<String,String>", entries, MemoryFootprint::hashMap, true);
  }

  private static void measure(String name, int entries, IntFunction<Object> build, boolean print) {
    long before = usedAfterGc();
    Object structure = build.apply(entries);
    long after = usedAfterGc();
    double perEntry = (after - before) / (double) entries;
    if (print) {
      String extra =
          structure instanceof LoadBalancer lb
              ? String.format(" (its own estimate: %.1f)", lb.footprint() / (double) entries)
              : structure instanceof ServerMemory m
                  ? String.format(" (its own estimate: %.1f)", m.footprint() / (double) entries)
                  : "";
      System.out.printf("%-36s %8.1f bytes/entry retained%s%n", name, perEntry, extra);
    }
    // keep the structure reachable until the second measurement is done
    if (structure.hashCode() == 42) {
      System.out.print("");
    }
  }

  static Object balancer(int entries) {
    LoadBalancer balancer = LoadBalancer.seed();
    for (int id : Fixtures.serverIds(1000, 11)) {
      balancer.addServer(id);
    }
    byte[] key = new byte[Fixtures.KEY_LENGTH];
    byte[] value = new byte[Fixtures.VALUE_LENGTH];
    for (int k = 0; k < entries; k++) {
      Fixtures.key(k, key);
      Fixtures.value(k, 0, value);
      balancer.store(Hashes.djb2(key, 0, key.length), key, 0, key.length, value, 0, value.length);
    }
    return balancer;
  }

  /** A balancer filled as {@link #balancer}, then through 100 server additions and removals. */
  static Object churned(int entries) {
    LoadBalancer balancer = (LoadBalancer) balancer(entries);
    int[] ids = Fixtures.serverIds(1100, 11);
    for (int i = 0; i < 100; i++) {
      balancer.addServer(ids[1000 + i]);
      balancer.removeServer(ids[i]);
    }
    return balancer;
  }

  static Object serverMemory(int entries) {
    ServerMemory memory = new ServerMemory();
    byte[] key = new byte[Fixtures.KEY_LENGTH];
    byte[] value = new byte[Fixtures.VALUE_LENGTH];
    for (int k = 0; k < entries; k++) {
      Fixtures.key(k, key);
      Fixtures.value(k, 0, value);
      memory.put(Hashes.djb2(key, 0, key.length), key, 0, key.length, value, 0, value.length);
    }
    return memory;
  }

  static Object hashMap(int entries) {
    HashMap<String, String> map = new HashMap<>();
    byte[] key = new byte[Fixtures.KEY_LENGTH];
    byte[] value = new byte[Fixtures.VALUE_LENGTH];
    for (int k = 0; k < entries; k++) {
      Fixtures.key(k, key);
      Fixtures.value(k, 0, value);
      map.put(
          new String(key, StandardCharsets.ISO_8859_1),
          new String(value, StandardCharsets.ISO_8859_1));
    }
    return map;
  }

  /** Runs full GCs until the used heap stops shrinking; returns it. */
  static long usedAfterGc() {
    MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    long used = Long.MAX_VALUE;
    for (int i = 0; i < 10; i++) {
      System.gc();
      long now = memory.getHeapMemoryUsage().getUsed();
      if (now >= used) {
        return now;
      }
      used = now;
    }
    return used;
  }
}
