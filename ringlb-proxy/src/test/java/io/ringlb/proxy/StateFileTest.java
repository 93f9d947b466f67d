package io.ringlb.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ringlb.core.HashTag;
import io.ringlb.placement.Placements;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StateFileTest {

  @TempDir Path dir;

  private StateFile written(String placement) throws IOException {
    return written(placement, HashTag.BRACES);
  }

  private StateFile written(String placement, HashTag tag) throws IOException {
    StateFile file = new StateFile(dir.resolve("state.yaml"));
    file.write(
        new StateFile.State(
            placement,
            tag,
            Map.of(
                0, new BackendSpec(0, "127.0.0.1", 7001), 1, new BackendSpec(1, "127.0.0.1", 7002)),
            new int[] {0, 1},
            null,
            null,
            -1,
            List.of(0, 1, ~0, 0)));
    return file;
  }

  @Test
  void write_plantedSymlinkAtTheOldTemporaryName_isNotFollowed() throws IOException {
    Path target = dir.resolve("precious.txt");
    Files.writeString(target, "precious");
    Files.createSymbolicLink(dir.resolve("state.yaml.tmp"), target);
    StateFile file = written("slots");
    assertThat(Files.readString(target)).isEqualTo("precious");
    assertThat(Files.isSymbolicLink(dir.resolve("state.yaml.tmp"))).isTrue();
    assertThat(file.read().ring()).containsExactly(0, 1);
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file.path())))
        .isEqualTo("rw-------");
    try (var files = Files.list(dir)) {
      assertThat(files.map(p -> p.getFileName().toString()))
          .containsExactlyInAnyOrder("precious.txt", "state.yaml", "state.yaml.tmp");
    }
  }

  @Test
  void read_whatWasWritten() throws IOException {
    StateFile.State state = written("slots:1024").read();
    assertThat(state.placement()).isEqualTo("slots:1024");
    assertThat(state.ring()).containsExactly(0, 1);
    assertThat(state.history()).containsExactly(0, 1, ~0, 0);
    assertThat(state.backends().get(1).address()).isEqualTo("127.0.0.1:7002");
    assertThat(state.hashTag()).isEqualTo(HashTag.BRACES);
  }

  @Test
  void read_hashTagNone_isNull() throws IOException {
    StateFile file = written("slots", null);
    assertThat(Files.readString(file.path())).contains("hash-tag: none");
    assertThat(file.read().hashTag()).isNull();
    file = written("slots", HashTag.of('<', '>'));
    assertThat(file.read().hashTag()).isEqualTo(HashTag.of('<', '>'));
  }

  @Test
  void read_fileWithoutHashTag_routesOnWholeKeys() throws IOException {
    // files written before hash tags existed: their keys were placed on all of their bytes
    StateFile file = written("slots");
    Files.writeString(file.path(), Files.readString(file.path()).replace("hash-tag: '{}'\n", ""));
    assertThat(Files.readString(file.path())).doesNotContain("hash-tag");
    assertThat(file.read().hashTag()).isNull();
  }

  @Test
  void read_placementUnknown_namesTheFileAndTheValidOnes() throws IOException {
    StateFile file = written("slots");
    Files.writeString(
        file.path(), Files.readString(file.path()).replace("placement: slots", "placement: chord"));
    assertThatThrownBy(file::read)
        .isInstanceOf(IOException.class)
        .hasMessage(
            file.path()
                + ": not a ringlb state file: unknown placement 'chord'; valid: "
                + Placements.specs());
  }
}
