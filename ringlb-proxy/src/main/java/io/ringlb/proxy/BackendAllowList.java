package io.ringlb.proxy;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The redis-server addresses the proxy may connect to, and so send the backend password to: {@code
 * allow-backends} / {@code --allow-backend} entries, each a host name, an address or a CIDR
 * network, with an optional port; by default the hosts of the backends the proxy started with.
 *
 * <p>A backend's host name is resolved once, here; it is allowed when its name is an entry's, or
 * its address is an entry's address, inside an entry's network, or one of the addresses an entry's
 * host name resolved to when the list was made. The proxy then connects to that resolved address,
 * so a later change of the name's address cannot redirect it.
 */
final class BackendAllowList {

  private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?");

  /** A backend whose host name does not resolve: not refused, only not reachable now. */
  static final class UnresolvedException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    UnresolvedException(String message) {
      super(message);
    }
  }

  /** One entry: a lowercase host name (with its addresses) or a network, and a port or 0. */
  private record Entry(
      String text, String name, Set<InetAddress> named, byte[] network, int bits, int port) {}

  private final List<Entry> entries;
  private final String setting;

  private BackendAllowList(List<Entry> entries, String setting) {
    this.entries = entries;
    this.setting = setting;
  }

  /** Returns the list of {@code texts} as configured ({@code where} names the setting). */
  static BackendAllowList of(List<String> texts, String where) {
    List<Entry> entries = new ArrayList<>();
    for (String text : texts) {
      entries.add(parse(text, where));
    }
    return new BackendAllowList(entries, "allow-backends " + texts);
  }

  /** Returns the default list: the hosts (any port) of {@code backends}. */
  static BackendAllowList hostsOf(Collection<BackendSpec> backends) {
    Set<String> hosts = new LinkedHashSet<>();
    for (BackendSpec b : backends) {
      hosts.add(b.host().indexOf(':') >= 0 ? "[" + b.host() + "]" : b.host());
    }
    List<Entry> entries = new ArrayList<>();
    for (String host : hosts) {
      entries.add(parse(host, "backend"));
    }
    return new BackendAllowList(
        entries, "the default allow-list, the hosts of the backends ringlb started with " + hosts);
  }

  /** Checks an entry's form, naming {@code where} and the entry when it is wrong. */
  static void check(String text, String where) {
    parse(text, where);
  }

  private static Entry parse(String text, String where) {
    String t = text == null ? "" : text.trim();
    String host = t;
    int port = 0;
    if (t.startsWith("[")) {
      int close = t.indexOf(']');
      if (close < 0) {
        throw bad(text, where);
      }
      host = t.substring(1, close);
      String rest = t.substring(close + 1);
      if (!rest.isEmpty()) {
        if (!rest.startsWith(":")) {
          throw bad(text, where);
        }
        port = port(rest.substring(1), text, where);
      }
    } else if (t.indexOf(':') >= 0 && t.indexOf(':') == t.lastIndexOf(':')) {
      host = t.substring(0, t.indexOf(':'));
      port = port(t.substring(t.indexOf(':') + 1), text, where);
    }
    int slash = host.indexOf('/');
    if (slash >= 0) {
      byte[] network = literal(host.substring(0, slash));
      int bits;
      try {
        bits = Integer.parseInt(host.substring(slash + 1));
      } catch (NumberFormatException e) {
        bits = -1;
      }
      if (network == null || bits < 0 || bits > network.length * 8) {
        throw bad(text, where);
      }
      return new Entry(t, null, Set.of(), network, bits, port);
    }
    byte[] address = literal(host);
    if (address != null) {
      return new Entry(t, null, Set.of(), address, address.length * 8, port);
    }
    if (!NAME.matcher(host).matches()) {
      throw bad(text, where);
    }
    Set<InetAddress> named = new LinkedHashSet<>();
    try {
      named.addAll(List.of(InetAddress.getAllByName(host)));
    } catch (UnknownHostException e) {
      // the name alone still matches a backend given by that name
    }
    return new Entry(t, host.toLowerCase(Locale.ROOT), named, null, 0, port);
  }

  private static IllegalArgumentException bad(String text, String where) {
    return new IllegalArgumentException(
        where
            + ": '"
            + text
            + "' is not a host, address or CIDR network with an optional port"
            + " (e.g. 127.0.0.1, 10.1.0.0/16, db7:6379, [::1]:6379)");
  }

  private static int port(String text, String entry, String where) {
    try {
      int port = Integer.parseInt(text);
      if (port >= 1 && port <= 65535) {
        return port;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new IllegalArgumentException(
        where + ": '" + entry + "': port must be from 1 to 65535, not '" + text + "'");
  }

  /** Returns the bytes of an IPv4 or IPv6 literal, or null when {@code host} is not one. */
  private static byte[] literal(String host) {
    if (!IPV4.matcher(host).matches() && host.indexOf(':') < 0) {
      return null;
    }
    try {
      return InetAddress.getByName(host).getAddress(); // a literal: no lookup
    } catch (UnknownHostException e) {
      return null;
    }
  }

  /**
   * Returns the address to connect to for {@code backend}, resolved once, when the list allows it.
   *
   * @throws IllegalArgumentException naming the backend, its address and this list's setting when
   *     it is not allowed
   * @throws UnresolvedException when its host name does not resolve
   */
  InetSocketAddress admit(BackendSpec backend) {
    InetAddress address;
    byte[] literal = literal(backend.host());
    try {
      address =
          literal != null
              ? InetAddress.getByAddress(literal)
              : InetAddress.getByName(backend.host());
    } catch (UnknownHostException e) {
      throw new UnresolvedException(
          "backend " + backend.address() + ": cannot resolve host '" + backend.host() + "'");
    }
    for (Entry e : entries) {
      if (e.port() != 0 && e.port() != backend.port()) {
        continue;
      }
      boolean hostMatches =
          e.name() != null
              ? e.name().equalsIgnoreCase(backend.host()) || e.named().contains(address)
              : inNetwork(address.getAddress(), e.network(), e.bits());
      if (hostMatches) {
        return new InetSocketAddress(address, backend.port());
      }
    }
    throw new IllegalArgumentException(
        "backend "
            + backend.address()
            + " (address "
            + address.getHostAddress()
            + ") is not allowed by "
            + setting
            + "; list it in allow-backends in the config file or with --allow-backend");
  }

  private static boolean inNetwork(byte[] address, byte[] network, int bits) {
    if (address.length != network.length) {
      return false;
    }
    for (int i = 0; i < bits; i++) {
      int mask = 0x80 >>> (i & 7);
      if ((address[i >>> 3] & mask) != (network[i >>> 3] & mask)) {
        return false;
      }
    }
    return true;
  }
}
