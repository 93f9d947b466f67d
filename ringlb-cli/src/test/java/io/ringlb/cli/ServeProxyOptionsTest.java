package io.ringlb.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.ringlb.placement.Placements;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** Bad proxy options of {@code ringlb serve} are refused with a message, before anything starts. */
class ServeProxyOptionsTest {

  private static String[] run(String... args) {
    CommandLine cli = Main.commandLine();
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cli.setOut(new PrintWriter(out));
    cli.setErr(new PrintWriter(err));
    int status = cli.execute(args);
    return new String[] {Integer.toString(status), err.toString()};
  }

  @Test
  void backend_malformed() {
    String[] r = run("serve", "--backend", "127.0.0.1:7001");
    assertThat(r[0]).isEqualTo("2");
    assertThat(r[1])
        .contains(
            "--backend must be ID=HOST:PORT (e.g. 0=127.0.0.1:7001) or ID=sentinel:MASTER, not"
                + " '127.0.0.1:7001'")
        .doesNotContain("Exception");
  }

  @Test
  void maxmemoryClients_malformed_namesTheOption() {
    String[] r = run("serve", "--backend", "0=127.0.0.1:7001", "--maxmemory-clients", "0%");
    assertThat(r[0]).isEqualTo("2");
    assertThat(r[1])
        .contains("--maxmemory-clients: '0%' is not a percentage from 1% to 100%")
        .doesNotContain("Exception");
  }

  @Test
  void config_missingFile() {
    String[] r = run("serve", "--config", "/nonexistent/proxy.yaml");
    assertThat(r[0]).isEqualTo("2");
    assertThat(r[1]).contains("--config: cannot read /nonexistent/proxy.yaml: no such file");
  }

  @Test
  void stateFileAlone_isTheProxy_andNamesWhatIsMissing(@TempDir Path dir) {
    String[] r = run("serve", "--port", "0", "--state", dir.resolve("ring.state").toString());
    assertThat(r[0]).as("not an embedded server that ignores --state").isEqualTo("2");
    assertThat(r[1])
        .contains("no backends: give --backend ID=HOST:PORT")
        .doesNotContain("Exception");
  }

  @Test
  void etcdWithoutCluster_isTheProxy_andRefused() {
    String[] r = run("serve", "--port", "0", "--etcd", "127.0.0.1:2379");
    assertThat(r[0]).isEqualTo("2");
    assertThat(r[1]).contains("--etcd needs --cluster NAME").doesNotContain("Exception");
  }

  @Test
  void servers_withBackend() {
    String[] r = run("serve", "--backend", "0=127.0.0.1:7001", "--servers", "1");
    assertThat(r[0]).isEqualTo("2");
    assertThat(r[1]).contains("--servers names embedded server memories");
  }

  @Test
  void config_placementUnknown_oneLineNamingFileValueAndValidOnes(@TempDir Path dir)
      throws Exception {
    Path file = dir.resolve("proxy.yaml");
    Files.writeString(file, "placement: nope\nbackends:\n  0: 127.0.0.1:7001\n");
    String[] r = run("serve", "--config", file.toString(), "--port", "0");
    assertThat(r[0]).isEqualTo("2");
    assertThat(r[1].lines().findFirst())
        .contains(
            "ringlb serve: " + file + ": unknown placement 'nope'; valid: " + Placements.specs());
    assertThat(r[1]).doesNotContain("Exception");
  }

  @Test
  void placement_unknown() {
    String[] r =
        run("serve", "--backend", "0=127.0.0.1:7001", "--placement", "nope", "--port", "0");
    assertThat(r[0]).isEqualTo("2");
    assertThat(r[1]).contains("unknown placement 'nope'");
  }

  @Test
  void hashTag_malformed_namesTheOption() {
    for (String[] args :
        new String[][] {
          {"serve", "--backend", "0=127.0.0.1:7001", "--hash-tag", "{", "--port", "0"},
          {"serve", "--hash-tag", "<<>", "--port", "0"}
        }) {
      String[] r = run(args);
      assertThat(r[0]).isEqualTo("2");
      assertThat(r[1])
          .contains("--hash-tag: a hash tag is two characters")
          .doesNotContain("Exception");
    }
  }

  @Test
  void secretFiles_readableByOthers_warnInOneLineNamingFileAndMode(@TempDir Path dir)
      throws Exception {
    Path pass = dir.resolve("requirepass");
    Files.writeString(pass, "s3cret\n");
    Files.setPosixFilePermissions(
        pass, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
    Path backend = dir.resolve("backend-password");
    Files.writeString(backend, "b4ckend\n");
    Files.setPosixFilePermissions(
        backend, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
    // A bad --allow-backend stops the start after the secrets were read.
    String[] r =
        run(
            "serve",
            "--backend",
            "0=127.0.0.1:7001",
            "--requirepass-file",
            pass.toString(),
            "--backend-password-file",
            backend.toString(),
            "--allow-backend",
            "not a host!",
            "--port",
            "0");
    assertThat(r[0]).isEqualTo("2");
    assertThat(r[1].lines().filter(l -> l.contains("warning")))
        .containsExactly(
            "ringlb serve: warning: "
                + pass
                + " holds a password and is readable by others (mode 0644 rw-r--r--); chmod 600 "
                + pass);
    assertThat(r[1]).contains("allow-backends: 'not a host!' is not a host, address or CIDR");
  }

  @Test
  void user_malformed() {
    String[] r = run("serve", "--user", "app:data", "--port", "0");
    assertThat(r[0]).isEqualTo("2");
    assertThat(r[1]).contains("--user must be NAME:ROLE:FILE (e.g. app:data:/etc/ringlb/app.pass)");
  }

  @Test
  void forceAfter_malformedOrEmbedded() {
    String[] r =
        run("serve", "--backend", "0=127.0.0.1:7001", "--force-after", "soon", "--port", "0");
    assertThat(r[0]).isEqualTo("2");
    assertThat(r[1])
        .contains("--force-after must be a duration such as 500ms, 3s or 1m, not 'soon'")
        .doesNotContain("Exception");
    r = run("serve", "--force-after", "30s", "--port", "0");
    assertThat(r[0]).isEqualTo("2");
    assertThat(r[1])
        .contains(
            "--force-after, --read-from and --durability* are for the proxy (--backend or"
                + " --config)");
  }

  @Test
  void readFrom_malformedOrOnAPlainBackend() {
    String[] r =
        run("serve", "--backend", "0=127.0.0.1:7001", "--read-from", "nearest", "--port", "0");
    assertThat(r[0]).isEqualTo("2");
    assertThat(r[1])
        .contains("--read-from must be primary, replica-preferred or replica, not 'nearest'")
        .doesNotContain("Exception");
    r = run("serve", "--backend", "0=127.0.0.1:7001", "--read-from", "0=replica", "--port", "0");
    assertThat(r[0]).isEqualTo("2");
    assertThat(r[1])
        .contains("backend 0: read-from needs a Sentinel-managed shard")
        .doesNotContain("Exception");
    r = run("serve", "--read-from", "replica", "--port", "0");
    assertThat(r[0]).isEqualTo("2");
    assertThat(r[1]).contains("--read-from and --durability* are for the proxy");
  }
}
