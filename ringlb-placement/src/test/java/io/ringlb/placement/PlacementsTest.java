package io.ringlb.placement;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ringlb.core.HashRing;
import io.ringlb.core.Placement;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class PlacementsTest {

  @ParameterizedTest
  @CsvSource({
    "seed, seed",
    "ring, ring:160",
    "RING:40, ring:40",
    "ketama, ketama",
    "ketama:twemproxy, ketama:twemproxy",
    "ketama:libketama, ketama:libketama",
    "jump, jump",
    "rendezvous, rendezvous",
    "maglev, maglev:65537",
    "maglev:1009, maglev:1009",
    "bounded, bounded:0.25",
    "bounded:0.10, bounded:0.1",
    "bounded:0.5:16, bounded:0.5:16",
    "multiprobe, multiprobe:21",
    "memento, memento",
    "slots, slots:65536",
    "' slots:1024 ', slots:1024",
  })
  void byName_spec_canonicalNameRoundTrips(String spec, String canonical) {
    Placement p = Placements.byName(spec);
    assertThat(p.name()).isEqualTo(canonical);
    assertThat(Placements.byName(p.name()).name()).isEqualTo(canonical);
    assertThat(p.size()).isZero();
  }

  @Test
  void names_listsEveryStrategyOnce() {
    assertThat(Placements.names())
        .containsExactly(
            "seed",
            "ring",
            "ketama",
            "jump",
            "rendezvous",
            "maglev",
            "bounded",
            "multiprobe",
            "memento",
            "slots");
    for (String name : Placements.names()) {
      assertThat(Placements.byName(name)).isNotNull();
      assertThat(Placements.specs()).contains(name);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"foo", "rings", "consistent", ":", "jump2"})
  void byName_unknown_listsValidNames(String spec) {
    assertThatThrownBy(() -> Placements.byName(spec))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("unknown placement '" + spec + "'")
        .hasMessageContaining("seed, ring[:labels], ketama")
        .hasMessageContaining("memento, slots");
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "ring:abc|labels must be an integer: 'abc'",
        "ring:0|ring labels must be between 1 and 100000: 0",
        "maglev:100|maglev table size must be a prime >= 3: 100",
        "slots:1000|slot count must be a power of two",
        "bounded:-1|bounded epsilon must be in (0, 100]: -1",
        "bounded:x|epsilon must be a number: 'x'",
        "multiprobe:0|multiprobe probes must be between 1 and 1024: 0",
        "ketama:memcached|ketama flavor must be libketama or twemproxy: 'memcached'",
        "jump:3|jump takes no parameter",
        "ring:1:2|ring takes at most 1 parameter(s)",
      })
  void byName_badParameter_namesSpecAndProblem(String spec, String problem) {
    assertThatThrownBy(() -> Placements.byName(spec))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("invalid placement '" + spec + "': ")
        .hasMessageContaining(problem);
  }

  @Test
  void byName_empty_rejected() {
    assertThatThrownBy(() -> Placements.byName(" "))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("must not be empty");
  }

  @Test
  void forStore_jumpAndBounded_refusedWithTheReason() {
    assertThatThrownBy(() -> Placements.forStore("jump"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("placement 'jump' cannot hold a store")
        .hasMessageContaining("most recently added server");
    assertThatThrownBy(() -> Placements.forStore("bounded:0.1"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("placement 'bounded:0.1' cannot hold a store")
        .hasMessageContaining("load");
    for (String spec :
        new String[] {
          "seed", "ring", "ketama", "rendezvous", "maglev", "multiprobe", "memento", "slots"
        }) {
      assertThat(Placements.forStore(spec).supportsArbitraryRemoval()).isTrue();
    }
  }

  @Test
  void twemproxyName_defaultPortDropped() {
    assertThat(Placements.twemproxyName("10.0.0.1", 6379)).isEqualTo("10.0.0.1:6379");
    assertThat(Placements.twemproxyName("cache-a", 11211)).isEqualTo("cache-a");
  }

  @Test
  void byName_seed_isTheOriginalRing() {
    Placement p = Placements.byName("seed");
    assertThat(p).isInstanceOf(HashRing.class);
    assertThat(p.hashKey("a".getBytes(StandardCharsets.US_ASCII))).isEqualTo(177670);
  }

  @Test
  void hashKey_xxh3Strategies_highHalfOfXxh3() {
    // XXH3-64 of the empty input is 0x2D06800538D394C2
    for (String spec :
        new String[] {
          "ring", "jump", "rendezvous", "maglev", "multiprobe", "memento", "slots", "bounded"
        }) {
      assertThat(Placements.byName(spec).hashKey(new byte[0])).as(spec).isEqualTo(0x2D068005);
    }
  }
}
