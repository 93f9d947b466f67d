package io.ringlb.server.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import java.util.stream.Stream;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * A real browser for the dashboard's tests: Debian's {@code chromium}, driven headless through
 * Debian's {@code chromium-driver} by Selenium, with a fresh profile and everything that would
 * reach the internet turned off. Missing, it fails under {@code CI=true} and skips elsewhere.
 */
public final class Browser implements AutoCloseable {

  private final ChromeDriver driver;
  private final Path profile;

  private Browser(ChromeDriver driver, Path profile) {
    this.driver = driver;
    this.profile = profile;
  }

  /** Starts a headless chromium with a window of 1400 × 1000 pixels. */
  public static Browser start() {
    String path = System.getenv().getOrDefault("PATH", "");
    Path chromium =
        RedisProgram.find("chromium", path)
            .orElseGet(
                () ->
                    Required.missing(
                        "chromium is not on PATH (" + path + ")", "apt-get install chromium"));
    Path chromedriver =
        RedisProgram.find("chromedriver", path)
            .orElseGet(
                () ->
                    Required.missing(
                        "chromedriver is not on PATH (" + path + ")",
                        "apt-get install chromium-driver"));
    Path profile;
    try {
      profile = Files.createTempDirectory("ringlb-chromium");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    ChromeOptions options = new ChromeOptions();
    options.setBinary(chromium.toFile());
    options.addArguments(
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--window-size=1400,1000",
        "--user-data-dir=" + profile);
    options.setCapability("goog:loggingPrefs", Map.of(LogType.BROWSER, Level.ALL.getName()));
    ChromeDriverService service =
        new ChromeDriverService.Builder()
            .usingDriverExecutable(chromedriver.toFile())
            .usingAnyFreePort()
            .build();
    try {
      return new Browser(new ChromeDriver(service, options), profile);
    } catch (RuntimeException e) {
      service.stop();
      delete(profile);
      throw e;
    }
  }

  /** Returns the Selenium driver. */
  public ChromeDriver driver() {
    return driver;
  }

  /**
   * Returns the strings {@code script} (JavaScript returning an array) gives, read in one step: the
   * dashboard redraws its table twice a second, so elements found one call earlier may be gone.
   */
  public List<String> strings(String script) {
    Object result = driver.executeScript(script);
    List<String> out = new ArrayList<>();
    if (result instanceof List<?> list) {
      for (Object o : list) {
        out.add(String.valueOf(o));
      }
    }
    return out;
  }

  /** Returns a wait of at most {@code timeout}, polling every 50 ms. */
  public WebDriverWait waiting(Duration timeout) {
    WebDriverWait wait = new WebDriverWait(driver, timeout);
    wait.pollingEvery(Duration.ofMillis(50));
    return wait;
  }

  /** Returns the browser console's messages of level SEVERE since the last call. */
  public List<String> consoleErrors() {
    List<String> errors = new ArrayList<>();
    for (LogEntry entry : driver.manage().logs().get(LogType.BROWSER)) {
      if (entry.getLevel().intValue() >= Level.SEVERE.intValue()) {
        errors.add(entry.getMessage());
      }
    }
    return errors;
  }

  /** Saves a screenshot of the window as a PNG at {@code file}, making its folder. */
  public void screenshot(Path file) {
    try {
      Files.createDirectories(file.toAbsolutePath().getParent());
      Files.write(file, driver.getScreenshotAs(OutputType.BYTES));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() {
    try {
      driver.quit();
    } finally {
      delete(profile);
    }
  }

  private static void delete(Path dir) {
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // a temporary folder left behind
    }
  }
}
