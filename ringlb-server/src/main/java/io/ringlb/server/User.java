package io.ringlb.server;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;

/**
 * A user clients log in as, as in Redis's ACL: a name, the SHA-256 of its password (never the
 * password itself), and a {@link UserRole}.
 */
public final class User {

  /** The user {@code AUTH password} and {@code requirepass} name, as in Redis. */
  public static final String DEFAULT = "default";

  private final String name;
  private final byte[] nameBytes;
  private final byte[] sha256; // null: nopass (any password logs in)
  private final UserRole role;

  private User(String name, byte[] sha256, UserRole role) {
    if (name == null
        || name.isEmpty()
        || name.chars().anyMatch(c -> c <= ' ' || c > '~')
        || name.indexOf(':') >= 0) {
      throw new IllegalArgumentException(
          "user name must be printable ASCII without spaces or ':': '" + name + "'");
    }
    if (role == null) {
      throw new IllegalArgumentException("user " + name + ": role must be given");
    }
    this.name = name;
    this.nameBytes = name.getBytes(StandardCharsets.US_ASCII);
    this.sha256 = sha256;
    this.role = role;
  }

  /** Returns user {@code name} logging in with {@code password}, kept as its SHA-256. */
  public static User withPassword(String name, String password, UserRole role) {
    if (password == null || password.isEmpty()) {
      throw new IllegalArgumentException("user " + name + ": password must not be empty");
    }
    return new User(name, sha256(password.getBytes(StandardCharsets.UTF_8)), role);
  }

  /** Returns user {@code name} whose password has the SHA-256 {@code hex} (64 hex digits). */
  public static User withSha256(String name, String hex, UserRole role) {
    String h = hex == null ? "" : hex.trim().toLowerCase(Locale.ROOT);
    if (h.length() != 64 || !h.chars().allMatch(c -> Character.digit(c, 16) >= 0)) {
      throw new IllegalArgumentException(
          "user " + name + ": password-sha256 must be 64 hex digits, not '" + hex + "'");
    }
    return new User(name, HexFormat.of().parseHex(h), role);
  }

  /** Returns the {@code default} user without a password (Redis's {@code nopass}). */
  static User noPassword(UserRole role) {
    return new User(DEFAULT, null, role);
  }

  /** Returns the user's name. */
  public String name() {
    return name;
  }

  /** Returns the user's role. */
  public UserRole role() {
    return role;
  }

  /** Returns whether the user may run administrative commands. */
  public boolean admin() {
    return role == UserRole.ADMIN;
  }

  /** Returns whether any password logs in as this user. */
  boolean noPassword() {
    return sha256 == null;
  }

  /** Returns the hex SHA-256 of the password, as ACL LIST shows it, or null for nopass. */
  String passwordHash() {
    return sha256 == null ? null : HexFormat.of().formatHex(sha256);
  }

  /** Returns whether {@code user} names this user, byte for byte. */
  boolean named(byte[] user) {
    return MessageDigest.isEqual(nameBytes, user);
  }

  /** Returns whether {@code password} logs in, compared in constant time on the hashes. */
  boolean accepts(byte[] password) {
    return sha256 == null || MessageDigest.isEqual(sha256, sha256(password));
  }

  /** Returns the SHA-256 of {@code bytes}. */
  static byte[] sha256(byte[] bytes) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(bytes);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java platform has SHA-256", e);
    }
  }

  @Override
  public String toString() {
    return "User[" + name + ", " + role.word() + "]";
  }
}
