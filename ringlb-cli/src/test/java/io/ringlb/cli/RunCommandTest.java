package io.ringlb.cli;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

class RunCommandTest {

  @TempDir Path dir;

  @ParameterizedTest(name = "test{0}")
  @ValueSource(ints = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10})
  void run_conformanceCase_byteIdentical(int n) throws IOException {
    byte[] input = resource("conformance/test" + n + ".in");
    byte[] expected = resource("conformance/test" + n + ".ref");
    Result result = run(input);
    assertThat(result.stdout).isEqualTo(expected);
    assertThat(result.stderr).isEmpty();
    assertThat(result.status).isZero();
  }

  @Test
  void run_conformanceCase_fromFileAndCrlf() throws IOException {
    byte[] input = resource("conformance/test5.in");
    Path crlf = dir.resolve("crlf.in");
    Files.write(crlf, new String(input, UTF_8).replace("\n", "\r\n").getBytes(UTF_8));
    Result result = runFile(crlf.toString());
    assertThat(result.stdout).isEqualTo(resource("conformance/test5.ref"));
    assertThat(result.status).isZero();
  }

  @Test
  void run_lastLineWithoutNewline_andBlankLines() {
    Result result = run("\n  \nadd_server 7\n\t\nstore \"a\" \"b\"\n\nretrieve \"a\"");
    assertThat(result.out()).isEqualTo("Stored b on server 7.\nRetrieved b from server 7.\n");
    assertThat(result.status).isZero();
  }

  @Test
  void store_valueWithQuotes_keepsThem() {
    Result result = run("add_server 0\nstore \"k\" \"a \"b\" c\"\nretrieve \"k\"\n");
    assertThat(result.out())
        .isEqualTo("Stored a \"b\" c on server 0.\nRetrieved a \"b\" c from server 0.\n");
  }

  @Test
  void retrieve_dropsEveryQuote() {
    Result result = run("add_server 0\nstore \"ab\" \"v\"\nretrieve \"a\"b\"\nretrieve \"zz\"\n");
    assertThat(result.out())
        .isEqualTo("Stored v on server 0.\nRetrieved v from server 0.\nKey zz not present.\n");
  }

  @Test
  void run_arbitraryBytes_passThrough() {
    byte[] key = {(byte) 0xFF, 0x00, (byte) 0x80, 'k'};
    byte[] value = "žluťoučký kůň 🐎".getBytes(UTF_8);
    ByteArrayOutputStream in = new ByteArrayOutputStream();
    in.writeBytes("add_server 3\nstore \"".getBytes(UTF_8));
    in.writeBytes(key);
    in.writeBytes("\" \"".getBytes(UTF_8));
    in.writeBytes(value);
    in.writeBytes("\"\nretrieve \"".getBytes(UTF_8));
    in.writeBytes(key);
    in.writeBytes("\"\n".getBytes(UTF_8));
    Result result = run(in.toByteArray());
    ByteArrayOutputStream expected = new ByteArrayOutputStream();
    expected.writeBytes("Stored ".getBytes(UTF_8));
    expected.writeBytes(value);
    expected.writeBytes(" on server 3.\nRetrieved ".getBytes(UTF_8));
    expected.writeBytes(value);
    expected.writeBytes(" from server 3.\n".getBytes(UTF_8));
    assertThat(result.stdout).isEqualTo(expected.toByteArray());
    assertThat(result.status).isZero();
  }

  @Test
  void store_restore_keepsLastValue() {
    Result result =
        run(
            "add_server 1\nadd_server 2\nstore \"k\" \"one\"\n"
                + "store \"k\" \"a much longer second value\"\nstore \"k\" \"3\"\nretrieve \"k\"\n");
    assertThat(result.out()).endsWith("Retrieved 3 from server 1.\n");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "frobnicate 1|unknown command 'frobnicate'",
        "Store \"k\" \"v\"|unknown command 'Store'",
        "store \"k\" \"v|found 3 quotes",
        "store k v|found 0 quotes",
        "retrieve k|no quote found",
        "add_server|missing server id",
        "add_server 12a|'12a' is not a number",
        "add_server -1|'-1' is not a number",
        "add_server 100000|above 99999",
        "add_server 99999999999999999999999|above 99999",
        "add_server 5 6|unexpected '6'",
        "remove_server|missing server id",
        "remove_server 1 x|unexpected 'x'",
        "add_server 0|server 0 is already present",
        "remove_server 42|server 42 is not present",
      })
  void run_malformedLine_diagnosedAndSkipped(String spec) {
    String[] parts = spec.split("\\|");
    Result result = run("add_server 0\n" + parts[0] + "\nstore \"k\" \"v\"\n");
    assertThat(result.out()).isEqualTo("Stored v on server 0.\n");
    assertThat(result.err()).startsWith("ringlb run: <stdin>:2: ").contains(parts[1]);
    assertThat(result.err().lines()).hasSize(1);
    assertThat(result.status).isEqualTo(1);
  }

  @Test
  void run_noServer_storeAndRetrieveRejected() {
    Result result = run("store \"k\" \"v\"\nretrieve \"k\"\nadd_server 00012\nretrieve \"k\"\n");
    assertThat(result.out()).isEqualTo("Key k not present.\n");
    assertThat(result.err().lines())
        .containsExactly(
            "ringlb run: <stdin>:1: store: no server to store on (add_server first)",
            "ringlb run: <stdin>:2: retrieve: no server to retrieve from (add_server first)");
    assertThat(result.status).isEqualTo(1);
  }

  @Test
  void removeServer_lastHoldingKeys_refusedAndKeysKept() {
    Result result = run("add_server 1\nstore \"k\" \"v\"\nremove_server 1\nretrieve \"k\"\n");
    assertThat(result.out()).isEqualTo("Stored v on server 1.\nRetrieved v from server 1.\n");
    assertThat(result.err())
        .contains(":3: remove_server: server 1 is the last server and holds 1 key");
    assertThat(result.status).isEqualTo(1);
  }

  @Test
  void removeServer_lastWithoutKeys_allowed() {
    Result result = run("add_server 1\nremove_server 1\nadd_server 2\n");
    assertThat(result.err()).isEmpty();
    assertThat(result.status).isZero();
  }

  @Test
  void run_missingFile_exit2() {
    Result result = runFile(dir.resolve("absent.in").toString());
    assertThat(result.status).isEqualTo(2);
    assertThat(result.err()).contains("absent.in").contains("no such file");
    assertThat(result.stdout).isEmpty();
  }

  @Test
  void run_directory_exit2() {
    Result result = runFile(dir.toString());
    assertThat(result.status).isEqualTo(2);
    assertThat(result.err()).contains("is a directory").doesNotContain("Exception");
  }

  @Test
  void run_longLinesBeyondTheReadBuffer() {
    String value = "x".repeat(300_000);
    Result result = run("add_server 9\nstore \"big\" \"" + value + "\"\nretrieve \"big\"\n");
    assertThat(result.out())
        .isEqualTo("Stored " + value + " on server 9.\nRetrieved " + value + " from server 9.\n");
  }

  @Test
  void summary_printsOneRowPerServer() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    String input = "add_server 1\nadd_server 2\nstore \"a\" \"1\"\nstore \"b\" \"2\"\n";
    int status =
        RunCommand.run(
            "-",
            true,
            new ByteArrayInputStream(input.getBytes(UTF_8)),
            out,
            new PrintStream(err, true, UTF_8));
    assertThat(status).isZero();
    String table = err.toString(UTF_8);
    assertThat(table.lines()).hasSize(4);
    assertThat(table).contains("key share").contains("ring share").contains("placement seed");
    assertThat(table.lines().skip(1).limit(2)).allSatisfy(row -> assertThat(row).contains("3"));
  }

  @Test
  void run_otherPlacement_keepsEveryKey() {
    StringBuilder input = new StringBuilder("add_server 1\nadd_server 2\nadd_server 3\n");
    for (int i = 0; i < 200; i++) {
      input.append("store \"key").append(i).append("\" \"v").append(i).append("\"\n");
    }
    input.append("remove_server 2\nadd_server 4\n");
    for (int i = 0; i < 200; i++) {
      input.append("retrieve \"key").append(i).append("\"\n");
    }
    for (String placement : new String[] {"slots", "ring:160", "maglev", "memento"}) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ByteArrayOutputStream err = new ByteArrayOutputStream();
      int status =
          RunCommand.run(
              "-",
              false,
              placement,
              new ByteArrayInputStream(input.toString().getBytes(UTF_8)),
              out,
              new PrintStream(err, true, UTF_8));
      assertThat(status).as(placement).isZero();
      assertThat(out.toString(UTF_8).lines().filter(l -> l.startsWith("Retrieved v")))
          .as(placement)
          .hasSize(200);
    }
  }

  @Test
  void run_placementThatCannotStore_usageError() {
    StringWriter err = new StringWriter();
    CommandLine commandLine = Main.commandLine();
    commandLine.setErr(new PrintWriter(err));
    assertThat(commandLine.execute("run", "--placement", "jump", "x")).isEqualTo(2);
    assertThat(err.toString()).contains("--placement").contains("jump");
    assertThat(commandLine.execute("run", "--placement", "nosuch", "x")).isEqualTo(2);
    assertThat(err.toString()).contains("nosuch");
  }

  @Test
  void help_and_version() {
    StringWriter out = new StringWriter();
    CommandLine commandLine = Main.commandLine();
    commandLine.setOut(new PrintWriter(out));
    assertThat(commandLine.execute("--help")).isZero();
    assertThat(out.toString()).contains("run");
    assertThat(commandLine.execute("--version")).isZero();
    assertThat(out.toString()).contains("ringlb ");
    StringWriter runHelp = new StringWriter();
    CommandLine again = Main.commandLine();
    again.setOut(new PrintWriter(runHelp));
    assertThat(again.execute("run", "--help")).isZero();
    assertThat(runHelp.toString()).contains("FILE").contains("--summary").contains("Exit status");
  }

  @Test
  void unknownOption_usageErrorWithoutStackTrace() {
    StringWriter err = new StringWriter();
    CommandLine commandLine = Main.commandLine();
    commandLine.setErr(new PrintWriter(err));
    assertThat(commandLine.execute("run", "--bogus", "x")).isEqualTo(2);
    assertThat(err.toString()).contains("--bogus").doesNotContain("at io.ringlb");
  }

  private Result run(String input) {
    return run(input.getBytes(UTF_8));
  }

  private static Result run(byte[] input) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status =
        RunCommand.run(
            "-", false, new ByteArrayInputStream(input), out, new PrintStream(err, true, UTF_8));
    return new Result(status, out.toByteArray(), err.toByteArray());
  }

  private static Result runFile(String file) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status =
        RunCommand.run(
            file, false, InputStream.nullInputStream(), out, new PrintStream(err, true, UTF_8));
    return new Result(status, out.toByteArray(), err.toByteArray());
  }

  private static byte[] resource(String name) throws IOException {
    try (InputStream in = RunCommandTest.class.getClassLoader().getResourceAsStream(name)) {
      assertThat(in).as(name).isNotNull();
      return in.readAllBytes();
    }
  }

  private record Result(int status, byte[] stdout, byte[] stderr) {
    String out() {
      return new String(stdout, UTF_8);
    }

    String err() {
      return new String(stderr, UTF_8);
    }
  }
}
