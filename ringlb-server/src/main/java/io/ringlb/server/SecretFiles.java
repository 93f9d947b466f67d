package io.ringlb.server;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * Passwords read from files named on the command line, so that they do not show in {@code ps}, and
 * the warning a file holding one deserves when others may read it.
 */
public final class SecretFiles {

  private SecretFiles() {}

  /**
   * Returns the password {@code file} holds: its content without one trailing line end.
   *
   * @throws IllegalArgumentException naming {@code option} and the file when it cannot be read or
   *     holds no password
   */
  public static String read(Path file, String option) {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalArgumentException(
          option
              + ": cannot read "
              + file
              + ": "
              + (Files.exists(file) ? "permission denied" : "no such file"));
    }
    if (text.endsWith("\n")) {
      text = text.substring(0, text.length() - (text.endsWith("\r\n") ? 2 : 1));
    }
    if (text.isEmpty() || text.indexOf('\n') >= 0) {
      throw new IllegalArgumentException(
          option + ": " + file + " must hold the password on one line, and nothing else");
    }
    return text;
  }

  /**
   * Returns a one-line warning naming {@code file} and its mode when its group or others may read
   * it, else null (also where the file system has no POSIX permissions).
   */
  public static String warningIfShared(Path file) {
    Set<PosixFilePermission> mode;
    try {
      mode = Files.getPosixFilePermissions(file);
    } catch (IOException | UnsupportedOperationException e) {
      return null;
    }
    if (!mode.contains(PosixFilePermission.GROUP_READ)
        && !mode.contains(PosixFilePermission.OTHERS_READ)) {
      return null;
    }
    return "warning: "
        + file
        + " holds a password and is readable by others (mode "
        + octal(mode)
        + " "
        + PosixFilePermissions.toString(mode)
        + "); chmod 600 "
        + file;
  }

  private static String octal(Set<PosixFilePermission> mode) {
    int bits = 0;
    for (PosixFilePermission p : mode) {
      bits |= 1 << (8 - p.ordinal());
    }
    return String.format("%04o", bits);
  }
}
