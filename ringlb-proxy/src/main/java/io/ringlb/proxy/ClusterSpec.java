package io.ringlb.proxy;

import java.util.List;
import java.util.regex.Pattern;

/**
 * The cluster a proxy belongs to ({@code --cluster NAME --etcd HOST:PORT,...}): its name, the key
 * prefix of its ring in etcd ({@code /ringlb/NAME/}), and the etcd endpoints.
 */
public record ClusterSpec(String name, List<String> etcd) {

  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
  private static final Pattern ENDPOINT = Pattern.compile("[A-Za-z0-9.\\[\\]:-]+:[0-9]{1,5}");

  /** Checks the name and every endpoint. */
  public ClusterSpec {
    if (name == null || !NAME.matcher(name).matches()) {
      throw new IllegalArgumentException(
          "cluster name must be 1 to 64 letters, digits, '.', '_' or '-', starting with a letter"
              + " or digit: '"
              + name
              + "'");
    }
    if (etcd == null || etcd.isEmpty()) {
      throw new IllegalArgumentException(
          "cluster " + name + " needs its etcd endpoints: --etcd HOST:PORT[,HOST:PORT...]");
    }
    for (String e : etcd) {
      if (!ENDPOINT.matcher(e).matches()) {
        throw new IllegalArgumentException("etcd endpoint must be HOST:PORT, not '" + e + "'");
      }
    }
    etcd = List.copyOf(etcd);
  }

  /** Parses {@code --etcd}'s comma-separated HOST:PORT list. */
  public static List<String> parseEndpoints(String list) {
    return List.of(list.trim().split("\\s*,\\s*"));
  }

  /** The prefix of every key of this cluster in etcd. */
  String prefix() {
    return "/ringlb/" + name + "/";
  }
}
