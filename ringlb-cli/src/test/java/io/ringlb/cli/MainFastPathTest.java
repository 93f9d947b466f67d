package io.ringlb.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Which command lines {@code Main} runs directly instead of through picocli. */
class MainFastPathTest {

  @Test
  void isPlainOperand_filesAndStdin() {
    assertThat(Main.isPlainOperand("commands.txt")).isTrue();
    assertThat(Main.isPlainOperand("/tmp/a b.in")).isTrue();
    assertThat(Main.isPlainOperand("-")).isTrue();
  }

  @Test
  void isPlainOperand_optionsAndArgumentFilesGoToPicocli() {
    assertThat(Main.isPlainOperand("--summary")).isFalse();
    assertThat(Main.isPlainOperand("--help")).isFalse();
    assertThat(Main.isPlainOperand("-h")).isFalse();
    assertThat(Main.isPlainOperand("@args.txt")).isFalse();
    assertThat(Main.isPlainOperand("")).isFalse();
  }
}
