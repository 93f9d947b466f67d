package io.ringlb.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.AlphaChars;
import net.jqwik.api.constraints.StringLength;
import org.junit.jupiter.api.Test;

class HashTagTest {

  private static final Placement RING = ring();

  private static Placement ring() {
    HashRing ring = HashRing.seed();
    for (int id = 0; id < 5; id++) {
      ring.addServer(id, Placement.MoveListener.NONE);
    }
    return ring;
  }

  private static int plain(String key) {
    return RING.hashKey(key.getBytes(StandardCharsets.UTF_8));
  }

  private static int tagged(String key) {
    return HashTag.BRACES.on(RING).hashKey(key.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void hashKey_routesOnTheTag() {
    assertThat(tagged("{user1}.cart")).isEqualTo(plain("user1"));
    assertThat(tagged("orders:{user1}")).isEqualTo(plain("user1"));
    // the first closing brace after the first opening one ends the tag
    assertThat(tagged("{a}{b}")).isEqualTo(plain("a"));
    assertThat(tagged("x{a{b}c}")).isEqualTo(plain("a{b"));
  }

  @Test
  void hashKey_withoutAUsableTag_routesOnTheWholeKey() {
    for (String key : new String[] {"user1", "{}.a", "{user1", "}user1{", "a}{", ""}) {
      assertThat(tagged(key)).as(key).isEqualTo(plain(key));
    }
  }

  @Test
  void hashKey_honoursOffsetAndLength() {
    byte[] buf = "xx{t}.k{yy".getBytes(StandardCharsets.US_ASCII);
    assertThat(HashTag.BRACES.hashKey(RING, buf, 2, 5)).isEqualTo(plain("t"));
    // the opening brace at index 7 is outside the range: no tag
    assertThat(HashTag.BRACES.hashKey(RING, buf, 5, 3)).isEqualTo(plain(".k{"));
  }

  @Property
  void keysSharingATag_shareAnOwner(
      @ForAll @AlphaChars @StringLength(min = 1, max = 12) String tag,
      @ForAll @StringLength(max = 8) String a,
      @ForAll @StringLength(max = 8) String b) {
    Placement placement = HashTag.BRACES.on(RING);
    String left = a.replace("{", "") + "{" + tag + "}" + a;
    String right = b.replace("{", "") + "{" + tag + "}" + b;
    assertThat(placement.serverFor(tagged(left))).isEqualTo(placement.serverFor(tagged(right)));
  }

  @Test
  void on_delegatesTopologyChangesToThePlacement() {
    HashRing ring = HashRing.seed();
    Placement view = HashTag.BRACES.on(ring);
    view.addServer(7, Placement.MoveListener.NONE);
    assertThat(ring.contains(7)).isTrue();
    assertThat(view.servers()).containsExactly(7);
    assertThat(view.name()).isEqualTo(ring.name());
    view.removeServer(7, Placement.MoveListener.NONE);
    assertThat(ring.size()).isZero();
    assertThat(HashTag.unwrap(view)).isSameAs(ring);
    assertThat(HashTag.unwrap(ring)).isSameAs(ring);
    assertThat(HashTag.tagOf(view)).isSameAs(HashTag.BRACES);
    assertThat(HashTag.tagOf(ring)).isNull();
  }

  @Test
  void parse_acceptsTwoDelimitersOrNone() {
    assertThat(HashTag.parse("{}")).isSameAs(HashTag.BRACES);
    assertThat(HashTag.parse("$$")).hasToString("$$");
    assertThat(HashTag.parse("none")).isNull();
    assertThat(HashTag.parse("")).isNull();
    assertThatThrownBy(() -> HashTag.parse("{"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("two characters")
        .hasMessageContaining("'{'");
    assertThatThrownBy(() -> HashTag.parse("{ "))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("closing delimiter");
  }

  @Test
  void of_sameDelimiters_tagBetweenTheFirstTwo() {
    HashTag dollars = HashTag.of('$', '$');
    assertThat(dollars.hashKey(RING, bytes("a$x$b"), 0, 5)).isEqualTo(plain("x"));
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }
}
