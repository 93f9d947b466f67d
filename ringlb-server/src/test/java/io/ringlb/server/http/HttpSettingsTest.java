package io.ringlb.server.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class HttpSettingsTest {

  @Test
  void parse_hostAndPort_portAlone_ipv6() {
    assertThat(HttpSettings.parse("127.0.0.1:9121", false, "--http"))
        .isEqualTo(new HttpSettings("127.0.0.1", 9121, false));
    assertThat(HttpSettings.parse("9121", true, "--http"))
        .isEqualTo(new HttpSettings("127.0.0.1", 9121, true));
    assertThat(HttpSettings.parse("[::1]:0", false, "--http").host()).isEqualTo("::1");
    assertThat(HttpSettings.parse("[::1]:80", false, "--http").address()).isEqualTo("[::1]:80");
    assertThat(HttpSettings.parse("0.0.0.0:9121", false, "http").host()).isEqualTo("0.0.0.0");
  }

  @Test
  void parse_refusesWhatIsNoAddress_namingTheSetting() {
    assertThatThrownBy(() -> HttpSettings.parse("localhost", false, "--http"))
        .hasMessage("--http must be HOST:PORT or PORT (e.g. 127.0.0.1:9121), not 'localhost'");
    assertThatThrownBy(() -> HttpSettings.parse(":9121", false, "http"))
        .hasMessageStartingWith("http must be HOST:PORT or PORT");
    assertThatThrownBy(() -> HttpSettings.parse("127.0.0.1:99999", false, "--http"))
        .hasMessage("--http: port must be from 0 to 65535, not 99999");
    assertThatThrownBy(() -> HttpSettings.parse("127.0.0.1:-1", false, "--http"))
        .hasMessageStartingWith("--http must be HOST:PORT");
  }
}
