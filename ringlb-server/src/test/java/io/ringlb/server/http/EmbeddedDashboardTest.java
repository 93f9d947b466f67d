package io.ringlb.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.ringlb.core.HashRing;
import io.ringlb.server.RespServer;
import io.ringlb.server.ServerConfig;
import io.ringlb.server.embedded.EmbeddedBackend;
import io.ringlb.server.testing.Browser;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.openqa.selenium.By;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;

/** The dashboard of the embedded server in a real browser: headless chromium through Selenium. */
@Timeout(180)
class EmbeddedDashboardTest {

  private RespServer server;

  @AfterEach
  void stop() {
    if (server != null) {
      server.close();
    }
  }

  /** Returns the ids of the servers the page's table shows. */
  static List<String> rows(Browser browser) {
    return browser.strings(
        "return Array.from(document.querySelectorAll('#servers tbody tr'), r => r.dataset.server)");
  }

  /** Returns the states of the servers the page's table shows, in the order of {@link #rows}. */
  static List<String> states(Browser browser) {
    return browser.strings(
        "return Array.from(document.querySelectorAll('#servers tbody tr'), r => r.dataset.state)");
  }

  /** Returns the servers that own an arc of the page's ring, ascending. */
  static List<String> arcs(Browser browser) {
    return browser.strings(
        "return [...new Set(Array.from(document.querySelectorAll('#arcs [data-server]'),"
            + " a => a.dataset.server))].sort()");
  }

  @Test
  void dashboard_showsEveryServer_withoutConsoleErrors_andARingAddWithinTwoSeconds()
      throws Exception {
    server =
        RespServer.start(
            ServerConfig.defaults().withPort(0),
            EmbeddedBackend.create(HashRing.seed(), 0, 1, 2),
            new HttpSettings("127.0.0.1", 0, false));
    try (Jedis jedis = new Jedis("127.0.0.1", server.address().getPort(), 15_000)) {
      Pipeline p = jedis.pipelined();
      for (int i = 0; i < 3000; i++) {
        p.set(EmbeddedHttpTest.key(i), "value");
      }
      p.sync();
      try (Browser browser = Browser.start()) {
        WebDriver d = browser.driver();
        d.get("http://127.0.0.1:" + server.httpAddress().getPort() + "/");
        browser
            .waiting(Duration.ofSeconds(30))
            .until(
                x -> "live".equals(x.findElement(By.tagName("body")).getAttribute("data-state")));
        assertThat(rows(browser)).containsExactly("0", "1", "2");
        assertThat(arcs(browser)).containsExactly("0", "1", "2");
        assertThat(d.findElement(By.id("ring-keys")).getText()).isEqualTo("3,000");
        assertThat(d.findElement(By.id("mode")).getText()).isEqualTo("embedded");
        assertThat(d.findElement(By.id("ready")).getText()).isEqualTo("ready");

        jedis.sendCommand(() -> "RING".getBytes(), "ADD", "3");
        browser
            .waiting(Duration.ofSeconds(2))
            .until(x -> rows(browser).contains("3") && arcs(browser).contains("3"));
        WebElement last = d.findElement(By.id("last-migration"));
        assertThat(last.getText()).startsWith("last: adding server 3, ").endsWith("(done)");
        assertThat(d.findElement(By.id("epoch")).getText()).isEqualTo("epoch 2");
        assertThat(browser.consoleErrors()).isEmpty();
        browser.screenshot(Path.of("target", "dashboard-embedded.png"));
      }
    }
  }
}
