package io.ringlb.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.ringlb.server.http.HttpSettings;
import io.ringlb.server.testing.Browser;
import io.ringlb.server.testing.RedisServersExtension;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.openqa.selenium.By;
import org.openqa.selenium.WebDriver;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;

/**
 * The proxy's dashboard in a real browser (headless chromium through Selenium): every backend, and
 * a RING ADD's new backend and migration shown within 2 s while the migration runs.
 */
@Timeout(180)
class ProxyDashboardTest {

  @RegisterExtension
  static final RedisServersExtension redis = RedisServersExtension.servers(4).freshForEachTest();

  private ProxyServer proxy;

  @AfterEach
  void stop() {
    if (proxy != null) {
      proxy.close();
    }
  }

  /** Returns the keys the page says the running migration moved, or -1. */
  static long moved(WebDriver d) {
    Matcher m =
        Pattern.compile("^([\\d,]+) keys moved")
            .matcher(d.findElement(By.id("migration-progress")).getText());
    return m.find() ? Long.parseLong(m.group(1).replace(",", "")) : -1;
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
  void dashboard_showsEveryBackend_thenARingAddAndItsMigrationWithinTwoSeconds() throws Exception {
    // Slow enough that the migration is still moving keys while the page is looked at.
    proxy =
        ProxyServer.start(
            ProxyFixtures.config(redis.servers(), 3)
                .migrationBatch(10)
                .migrationRate(150)
                .http(new HttpSettings("127.0.0.1", 0, false))
                .build());
    CompletableFuture<Object> add = null;
    try (Jedis jedis = new Jedis("127.0.0.1", proxy.port(), 60_000)) {
      Pipeline p = jedis.pipelined();
      for (int i = 0; i < 3000; i++) {
        p.set(MigrationTest.key(i), "value");
      }
      p.sync();
      try (Browser browser = Browser.start()) {
        WebDriver d = browser.driver();
        d.get("http://127.0.0.1:" + proxy.httpAddress().getPort() + "/");
        browser
            .waiting(Duration.ofSeconds(30))
            .until(
                x -> "live".equals(x.findElement(By.tagName("body")).getAttribute("data-state")));
        assertThat(rows(browser)).containsExactly("0", "1", "2");
        assertThat(arcs(browser)).containsExactly("0", "1", "2");
        assertThat(d.findElement(By.id("mode")).getText()).isEqualTo("proxy");
        assertThat(d.findElement(By.id("ring-keys")).getText()).isEqualTo("3,000");
        assertThat(d.findElement(By.id("migration")).getAttribute("data-state")).isEqualTo("none");

        String address = redis.server(3).address();
        add =
            CompletableFuture.supplyAsync(
                () -> {
                  try (Jedis admin = new Jedis("127.0.0.1", proxy.port(), 120_000)) {
                    return admin.sendCommand(
                        () -> "RING".getBytes(StandardCharsets.US_ASCII), "ADD", "3", address);
                  } catch (RuntimeException e) {
                    return e;
                  }
                });
        browser
            .waiting(Duration.ofSeconds(2))
            .until(
                x ->
                    rows(browser).contains("3")
                        && arcs(browser).contains("3")
                        && "moving"
                            .equals(x.findElement(By.id("migration")).getAttribute("data-state"))
                        && moved(x) > 0);
        assertThat(states(browser).get(rows(browser).indexOf("3"))).isEqualTo("importing");
        assertThat(d.findElement(By.id("migration-title")).getText())
            .isEqualTo("adding server 3 (" + address + "): moving");
        assertThat(add).isNotDone();
        assertThat(browser.consoleErrors()).isEmpty();
        browser.screenshot(Path.of("target", "dashboard-proxy.png"));
      }
    } finally {
      if (add != null) {
        proxy.close(); // stops the migration; the RING ADD is answered that ringlb is stopping
        add.get(60, TimeUnit.SECONDS);
      }
    }
  }
}
