package io.ringlb.server;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** The version of ringlb that is running, as the build recorded it in the ringlb-server jar. */
public final class Version {

  private static final String POM_PROPERTIES =
      "/META-INF/maven/io.ringlb/ringlb-server/pom.properties";

  private static final String CURRENT = read();

  private Version() {}

  /**
   * Returns the {@code Implementation-Version} of the ringlb-server jar's manifest, else the
   * version in its Maven {@code pom.properties}, else {@code "unknown"} (classes run from a build
   * directory have neither).
   */
  public static String current() {
    return CURRENT;
  }

  private static String read() {
    Package p = Version.class.getPackage();
    String manifest = p == null ? null : p.getImplementationVersion();
    if (manifest != null && !manifest.isBlank()) {
      return manifest.trim();
    }
    try (InputStream in = Version.class.getResourceAsStream(POM_PROPERTIES)) {
      if (in != null) {
        Properties properties = new Properties();
        properties.load(in);
        String pom = properties.getProperty("version");
        if (pom != null && !pom.isBlank()) {
          return pom.trim();
        }
      }
    } catch (IOException | IllegalArgumentException e) {
      // an unreadable pom.properties says nothing about the version
    }
    return "unknown";
  }
}
