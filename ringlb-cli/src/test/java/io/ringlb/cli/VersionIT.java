package io.ringlb.cli;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarFile;
import org.junit.jupiter.api.Test;

/** The version ringlb prints is the pom's: run by failsafe once the jars are packaged. */
class VersionIT {

  private static final String POM_VERSION =
      Objects.requireNonNull(
          System.getProperty("ringlb.pomVersion"),
          "ringlb.pomVersion (set by the failsafe plugin)");

  @Test
  void launcher_printsThePomVersion() throws Exception {
    String launcher =
        Objects.requireNonNull(
            System.getProperty("ringlb.launcher"), "ringlb.launcher (set by the failsafe plugin)");
    ProcessBuilder builder =
        new ProcessBuilder("bash", launcher, "--version").redirectErrorStream(true);
    builder.environment().put("JAVA_HOME", System.getProperty("java.home"));
    Process process = builder.start();
    // two short lines: they fit in the pipe, so they are read once the process has exited
    boolean exited = process.waitFor(60, TimeUnit.SECONDS);
    if (!exited) {
      process.destroyForcibly();
    }
    assertThat(exited).as("bin/ringlb --version exited within 60 s").isTrue();
    String out = new String(process.getInputStream().readAllBytes(), UTF_8);
    assertThat(process.exitValue()).as(out).isZero();
    assertThat(out.lines().findFirst()).hasValue("ringlb " + POM_VERSION);
  }

  @Test
  void shadedJar_manifestCarriesThePomVersion() throws Exception {
    String jar =
        Objects.requireNonNull(
            System.getProperty("ringlb.jar"), "ringlb.jar (set by the failsafe plugin)");
    try (JarFile file = new JarFile(jar)) {
      Attributes main = file.getManifest().getMainAttributes();
      assertThat(main.getValue(Attributes.Name.IMPLEMENTATION_VERSION)).isEqualTo(POM_VERSION);
      assertThat(main.getValue(Attributes.Name.MAIN_CLASS)).isEqualTo(Main.class.getName());
    }
  }

  @Test
  void versionProvider_printsThePomVersion() {
    // in this JVM the provider reads the manifest of the ringlb-server jar the build packaged
    assertThat(new Main.VersionProvider().getVersion()[0]).isEqualTo("ringlb " + POM_VERSION);
  }
}
