package io.ringlb.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

class StorePlacementConverterTest {

  /** A stand-in for a data-holding command with the option as run and serve declare it. */
  @Command(name = "store")
  static final class StoreCommand implements Runnable {
    @Option(names = "--placement", defaultValue = "seed", converter = StorePlacementConverter.class)
    String placement;

    @Override
    public void run() {}
  }

  private static String error(String spec) {
    StringWriter err = new StringWriter();
    CommandLine cli = new CommandLine(new StoreCommand());
    cli.setErr(new PrintWriter(err, true));
    int status = cli.execute("--placement", spec);
    assertThat(status).isEqualTo(2);
    return err.toString();
  }

  @Test
  void convert_storePlacements_canonicalSpec() {
    StoreCommand command = new StoreCommand();
    new CommandLine(command).parseArgs("--placement", "ring");
    assertThat(command.placement).isEqualTo("ring:160");
    new CommandLine(command).parseArgs("--placement", "slots");
    assertThat(command.placement).isEqualTo("slots:65536");
    new CommandLine(command).parseArgs();
    assertThat(command.placement).isEqualTo("seed");
  }

  @Test
  void convert_jump_saysWhyNot() {
    assertThat(error("jump"))
        .startsWith("Invalid value for option '--placement': placement 'jump' cannot hold a store")
        .contains("most recently added server");
  }

  @Test
  void convert_bounded_saysWhyNot() {
    assertThat(error("bounded:0.2"))
        .contains("placement 'bounded:0.2' cannot hold a store")
        .contains("load of every server");
  }

  @Test
  void convert_unknown_listsValidNames() {
    assertThat(error("chord")).contains("unknown placement 'chord'; valid: seed, ring[:labels]");
  }
}
