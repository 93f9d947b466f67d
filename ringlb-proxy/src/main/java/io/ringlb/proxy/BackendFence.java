package io.ringlb.proxy;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Fences proxies of a cluster at the backends themselves: each proxy's data connections log in as a
 * Redis ACL user of its own, which this class switches on, or off with its connections killed,
 * through the backends' administrative login (the configured backend password, or none), on every
 * node of each backend: its own address, or a Sentinel shard's primary and every replica (Redis
 * does not replicate ACL users, and a replica may be promoted).
 *
 * <p>A user's password is derived from the cluster's secret and the user's name (HMAC-SHA256), so
 * the proxy running a change can switch on another member's user on a backend it adds without any
 * password kept in etcd. A user is only ever switched on by its own proxy <em>before</em> that
 * proxy registers it in etcd, or by the proxy running a change for a registered member: a proxy
 * paused with a command under way can wake to switch on only a user no member routes with yet.
 */
final class BackendFence {

  private static final int CONNECT_MILLIS = 2000;
  private static final int READ_MILLIS = 3000;

  private final String cluster;
  private final String adminPassword;
  private final byte[] secret;
  private final Nodes nodes;

  /**
   * Fences the users of {@code cluster} through {@code adminPassword} (or none) on the nodes {@code
   * nodes} names.
   */
  BackendFence(String cluster, String adminPassword, Nodes nodes) {
    this.cluster = cluster;
    this.nodes = nodes;
    this.adminPassword = adminPassword;
    this.secret =
        ("ringlb-fence\0" + cluster + "\0" + (adminPassword == null ? "" : adminPassword))
            .getBytes(StandardCharsets.UTF_8);
  }

  /** A new user name for proxy {@code id}: one per joining, never used before. */
  String newUser(String id) {
    String safe = id.replaceAll("[^A-Za-z0-9._-]", "_");
    return "ringlb-"
        + cluster
        + "-"
        + safe
        + "-"
        + Long.toHexString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE);
  }

  /** The password of {@code user}. */
  String passwordOf(String user) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret, "HmacSHA256"));
      return HexFormat.of().formatHex(mac.doFinal(user.getBytes(StandardCharsets.UTF_8)));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is missing from this JVM", e);
    }
  }

  /**
   * Creates (or switches on) {@code user} on every node of every backend of {@code backends}, with
   * every command and key: a plain backend's address, a Sentinel shard's primary and every replica
   * (ACL users are not replicated, and a replica may be promoted). A replica Sentinel reports down
   * that does not answer is passed over: the user is missing there, so were it promoted, its logins
   * would be refused and the proxy would join again with a new user.
   *
   * @throws IOException naming the backend or node that refused or did not answer, or the shard
   *     whose primary is unknown
   */
  void enable(String user, Collection<BackendSpec> backends) throws IOException {
    for (BackendSpec b : backends) {
      for (Node n : nodes.of(b)) {
        try {
          admin(n, "ACL", "SETUSER", user, "on", ">" + passwordOf(user), "~*", "&*", "+@all");
        } catch (IOException e) {
          if (!n.down()) {
            throw e;
          }
        }
      }
    }
  }

  /**
   * Switches {@code user} off on every node of every backend of {@code backends} (a Sentinel
   * shard's primary and every replica, down or not) and kills its connections: from then on nothing
   * it sent after reaches the data.
   *
   * @throws IOException naming the backend or node that refused or did not answer (the user may
   *     still write there, or on a replica were it promoted), or the shard whose primary is unknown
   */
  void fence(String user, Collection<BackendSpec> backends) throws IOException {
    for (BackendSpec b : backends) {
      for (Node n : nodes.of(b)) {
        admin(n, "ACL", "SETUSER", user, "off");
        admin(n, "CLIENT", "KILL", "USER", user);
      }
    }
  }

  /** Deletes {@code user} where it can; a node that does not answer keeps it (switched off). */
  void delete(String user, Collection<BackendSpec> backends) {
    for (BackendSpec b : backends) {
      List<Node> of;
      try {
        of = nodes.of(b);
      } catch (IOException e) {
        continue; // left switched off
      }
      for (Node n : of) {
        try {
          admin(n, "ACL", "DELUSER", user);
        } catch (IOException e) {
          // left switched off
        }
      }
    }
  }

  /**
   * Sends one administrative command to {@code n} over a connection of its own; returns its reply.
   */
  private String admin(Node n, String... args) throws IOException {
    try (Socket s = new Socket()) {
      s.connect(n.address(), CONNECT_MILLIS);
      s.setSoTimeout(READ_MILLIS);
      OutputStream out = s.getOutputStream();
      InputStream in = new BufferedInputStream(s.getInputStream());
      if (adminPassword != null) {
        out.write(encode("AUTH", adminPassword));
        out.flush();
        String auth = reply(in);
        if (auth.startsWith("-")) {
          throw new IOException(n.name() + " refused the backend password: " + auth.substring(1));
        }
      }
      out.write(encode(args));
      out.flush();
      String r = reply(in);
      if (r.startsWith("-")) {
        throw new IOException(
            n.name()
                + " refused "
                + args[0]
                + " "
                + args[1]
                + " (fencing needs ACL and CLIENT KILL for the backend login): "
                + r.substring(1));
      }
      return r;
    } catch (IOException e) {
      if (e.getMessage() != null && e.getMessage().startsWith("backend ")) {
        throw e;
      }
      throw new IOException(n.name() + " did not answer " + args[0] + " " + args[1] + ": " + e, e);
    }
  }

  /**
   * One redis-server a backend's users live on: {@code name} for messages (starting "backend "),
   * whether it is a replica Sentinel reports down.
   */
  record Node(String name, InetSocketAddress address, boolean down) {}

  /** The redis-servers each backend's ACL users must be on. */
  interface Nodes {
    /**
     * The nodes of {@code spec}: its own address, or a Sentinel shard's primary first and then
     * every replica Sentinel names, whatever its state.
     *
     * @throws IOException naming the shard when its primary is unknown
     */
    List<Node> of(BackendSpec spec) throws IOException;
  }

  /**
   * Nodes of plain backends from their addresses, and of Sentinel shards from the {@code sentinels}
   * (asked afresh each time; null when none is configured), each address Sentinel names checked
   * against {@code upstream}'s allow-list before any connection (and the backend password) goes
   * there.
   */
  static Nodes nodesOf(Supplier<Sentinels> sentinels, Upstream upstream) {
    return spec -> {
      if (!spec.managed()) {
        return List.of(
            new Node(
                "backend " + spec.address(),
                new InetSocketAddress(spec.host(), spec.port()),
                false));
      }
      Sentinels s = sentinels.get();
      if (s == null) {
        throw new IOException(
            "backend " + spec.id() + " is " + spec.address() + " but no sentinel is configured");
      }
      List<Node> out = new ArrayList<>();
      List<Sentinels.ShardNode> named = s.nodes(spec.master());
      for (int i = 0; i < named.size(); i++) {
        Sentinels.ShardNode n = named.get(i);
        String name =
            "backend "
                + spec.id()
                + " ("
                + spec.address()
                + ") "
                + (i == 0 ? "primary " : "replica ")
                + n.host()
                + ":"
                + n.port()
                + (n.down() ? " (down, says Sentinel)" : "");
        try {
          out.add(
              new Node(
                  name, upstream.admit(new BackendSpec(spec.id(), n.host(), n.port())), n.down()));
        } catch (IllegalArgumentException e) {
          throw new IOException(name + " is not allowed: " + e.getMessage(), e);
        }
      }
      return out;
    };
  }

  private static byte[] encode(String... args) {
    List<byte[]> parts = new ArrayList<>();
    for (String a : args) {
      parts.add(a.getBytes(StandardCharsets.UTF_8));
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(("*" + parts.size() + "\r\n").getBytes(StandardCharsets.US_ASCII));
    for (byte[] p : parts) {
      out.writeBytes(("$" + p.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
      out.writeBytes(p);
      out.writeBytes(new byte[] {'\r', '\n'});
    }
    return out.toByteArray();
  }

  /** Reads one simple reply line (+, -, :): the only kinds these commands answer with. */
  private static String reply(InputStream in) throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    for (int i = 0; i < 64 * 1024; i++) {
      int c = in.read();
      if (c < 0) {
        throw new IOException("connection closed");
      }
      if (c == '\n') {
        byte[] b = line.toByteArray();
        int n = b.length > 0 && b[b.length - 1] == '\r' ? b.length - 1 : b.length;
        return new String(b, 0, n, StandardCharsets.UTF_8);
      }
      line.write(c);
    }
    throw new IOException("reply line too long");
  }
}
