package io.ringlb.placement;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;

import io.ringlb.core.HashRing;
import io.ringlb.core.Placement;
import io.ringlb.core.Placement.MoveListener;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Ketama against the golden vectors that libketama and spymemcached publish with their own tests,
 * kept here as data.
 */
class KetamaPlacementTest {

  private static final String[] TEN_0_1 = {
    "10.0.1.1:11211", "10.0.1.2:11211", "10.0.1.3:11211", "10.0.1.4:11211",
    "10.0.1.5:11211", "10.0.1.6:11211", "10.0.1.7:11211", "10.0.1.8:11211"
  };

  @Test
  void hashKey_libketamaHashi() {
    Placement p = Placements.byName("ketama");
    assertThat(Integer.toUnsignedLong(p.hashKey(ascii("test")))).isEqualTo(3446378249L);
  }

  @Test
  void serverFor_eightEqualServers_matchesSpymemcachedLibketamaVectors() throws IOException {
    Placement p = Placements.ketama(id -> TEN_0_1[id]);
    for (int id = 0; id < TEN_0_1.length; id++) {
      p.addServer(id, MoveListener.NONE);
    }
    List<String[]> vectors = vectors("ketama-eight-servers.txt");
    assertThat(vectors).hasSizeGreaterThan(3000);
    for (String[] v : vectors) {
      int server = p.serverFor(p.hashKey(ascii(v[0])));
      assertThat(TEN_0_1[server]).as("key %s", v[0]).isEqualTo(v[1]);
    }
  }

  @Test
  void serverFor_spymemcachedNodeVectors() {
    // spymemcached names its test nodes 127.0.0.1:10000, 127.0.0.1:10001, ...
    Placement four = Placements.ketama(id -> "127.0.0.1:" + (10_000 + id));
    for (int id = 0; id < 4; id++) {
      four.addServer(id, MoveListener.NONE);
    }
    assertThat(owner(four, "dustin")).isEqualTo(0);
    assertThat(owner(four, "noelani")).isEqualTo(2);
    assertThat(owner(four, "some other key")).isEqualTo(0);
    HashRing ring = ((KetamaPlacement) four).ring();
    assertThat(Integer.toUnsignedLong(ring.positionAt(ring.labelCount() - 1)))
        .isEqualTo(4294887009L);
    for (String key : new String[] {"V5XS8C8N", "8KR2DKR2", "L9KH6X4X"}) {
      assertThat(owner(four, key)).as("%s wraps past the last point", key).isEqualTo(3);
    }

    four.addServer(4, MoveListener.NONE);
    assertThat(owner(four, "dustin")).isEqualTo(0);
    assertThat(owner(four, "noelani")).isEqualTo(2);
    assertThat(owner(four, "some other key")).isEqualTo(4);
    assertThat(owner(four, "36")).isEqualTo(2);
    assertThat(owner(four, "10037")).isEqualTo(3);
    assertThat(owner(four, "22051")).isEqualTo(1);
    assertThat(owner(four, "49044")).isEqualTo(4);
  }

  @Test
  void serverFor_libketamaWeightedPair_matchesItsPythonBindingTest() {
    String[] names = {"127.0.0.1:11211", "127.0.0.1:11212"};
    KetamaPlacement p = new KetamaPlacement(KetamaPlacement.Flavor.LIBKETAMA, id -> names[id]);
    p.addServer(0, 600, MoveListener.NONE);
    p.addServer(1, 400, MoveListener.NONE);
    HashRing ring = p.ring();
    assertThat(ring.labelCount()).isEqualTo(320);
    int index = ring.labelIndexFor(p.hashKey(ascii("test")));
    assertThat(Integer.toUnsignedLong(ring.positionAt(index))).isEqualTo(3454255383L);
    assertThat(names[ring.serverAt(index)]).isEqualTo("127.0.0.1:11211");
  }

  /**
   * libketama's test harness hashes the output of its test program over ketama.servers (eight
   * weighted servers) for the keys "0" to "999999": an empty line, then for each key its hash, the
   * point that serves it and that point's server. The same text must hash to the same MD5.
   */
  @Test
  void serverFor_libketamaTestHarness_sameOutputDigest() throws NoSuchAlgorithmException {
    int[] memory = {600, 300, 200, 350, 1000, 800, 950, 100};
    KetamaPlacement p = new KetamaPlacement(KetamaPlacement.Flavor.LIBKETAMA, id -> TEN_0_1[id]);
    for (int id = 0; id < memory.length; id++) {
      p.addServer(id, memory[id], MoveListener.NONE);
    }
    HashRing ring = p.ring();
    assertThat(ring.labelCount()).isEqualTo(1264);
    MessageDigest md5 = MessageDigest.getInstance("MD5");
    md5.update((byte) '\n');
    StringBuilder line = new StringBuilder(64);
    for (int i = 0; i < 1_000_000; i++) {
      int h = p.hashKey(ascii(Integer.toString(i)));
      int index = ring.labelIndexFor(h);
      line.setLength(0);
      line.append(Integer.toUnsignedString(h))
          .append(' ')
          .append(Integer.toUnsignedString(ring.positionAt(index)))
          .append(' ')
          .append(TEN_0_1[ring.serverAt(index)])
          .append('\n');
      md5.update(line.toString().getBytes(US_ASCII));
    }
    assertThat(HexFormat.of().formatHex(md5.digest()))
        .isEqualTo("5672b131391f5aa2b280936aec1eea74");
  }

  @Test
  void points_flavors_differOnlyWhereTheirFloatArithmeticDoes() {
    assertThat(pointsPerServer("ketama", 25)).isEqualTo(160);
    assertThat(pointsPerServer("ketama:twemproxy", 24)).isEqualTo(160);
    assertThat(pointsPerServer("ketama:twemproxy", 25)).isEqualTo(156);
    assertThat(pointsPerServer("ketama:twemproxy", 100)).isEqualTo(156);
    assertThat(pointsPerServer("ketama:libketama", 25)).isEqualTo(160);
    assertThat(pointsPerServer("ketama:libketama", 61)).isEqualTo(156);
    assertThat(pointsPerServer("ketama", 61)).isEqualTo(160);
  }

  @Test
  void addServer_twemproxyFlavorCrossing25_rebuildsAndReportsEveryChangedArc() {
    Placement p = Placements.byName("ketama:twemproxy");
    for (int id = 0; id < 24; id++) {
      p.addServer(id, MoveListener.NONE);
    }
    int[] hashes = new java.util.Random(9).ints(50_000).toArray();
    int[] before = new int[hashes.length];
    for (int i = 0; i < hashes.length; i++) {
      before[i] = p.serverFor(hashes[i]);
    }
    PlacementPropertiesTest.Recorder recorder = new PlacementPropertiesTest.Recorder();
    p.addServer(24, recorder);
    recorder.index();
    int between = 0;
    for (int i = 0; i < hashes.length; i++) {
      int now = p.serverFor(hashes[i]);
      int[] range = recorder.find(hashes[i]);
      if (now != before[i]) {
        assertThat(range).isEqualTo(new int[] {before[i], now});
        between += now != 24 ? 1 : 0;
      } else {
        assertThat(range).isNull();
      }
    }
    assertThat(between).as("keys moved between servers that stayed").isPositive();
  }

  @Test
  void addServer_weight2_getsTwiceThePoints() {
    Placement p = Placements.byName("ketama");
    p.addServer(0, 2, MoveListener.NONE);
    p.addServer(1, MoveListener.NONE);
    assertThat(p.points(0)).isEqualTo(320);
    assertThat(p.points(1)).isEqualTo(160);
  }

  private static int pointsPerServer(String spec, int servers) {
    Placement p = Placements.byName(spec);
    for (int id = 0; id < servers; id++) {
      p.addServer(id, MoveListener.NONE);
    }
    int points = p.points(0);
    for (int id = 1; id < servers; id++) {
      assertThat(p.points(id)).isEqualTo(points);
    }
    return points;
  }

  private static int owner(Placement p, String key) {
    return p.serverFor(p.hashKey(ascii(key)));
  }

  private static byte[] ascii(String s) {
    return s.getBytes(US_ASCII);
  }

  private static List<String[]> vectors(String resource) throws IOException {
    List<String[]> out = new ArrayList<>();
    try (InputStream in = KetamaPlacementTest.class.getResourceAsStream(resource);
        BufferedReader reader = new BufferedReader(new InputStreamReader(in, US_ASCII))) {
      String line;
      while ((line = reader.readLine()) != null) {
        if (!line.isBlank() && !line.startsWith("#")) {
          out.add(line.trim().split(" "));
        }
      }
    }
    return out;
  }
}
