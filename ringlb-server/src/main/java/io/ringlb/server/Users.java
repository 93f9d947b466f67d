package io.ringlb.server;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The users a server accepts besides {@code default}, and the role of {@code default}.
 *
 * <p>The {@code default} user is the one {@code requirepass} sets, as in Redis: with a password it
 * logs in with {@code AUTH password} (or {@code AUTH default password}); without one, every
 * connection starts logged in as {@code default} ({@code nopass}), unless named users are
 * configured: then {@code default} is off and every client must log in as a named user.
 */
public final class Users {

  private static final Users NONE = new Users(Map.of(), UserRole.ADMIN);

  private final Map<String, User> named;
  private final UserRole defaultRole;

  private Users(Map<String, User> named, UserRole defaultRole) {
    this.named = named;
    this.defaultRole = defaultRole;
  }

  /** Returns no named users, and {@code default} an admin. */
  public static Users none() {
    return NONE;
  }

  /**
   * Returns {@code users} (distinct names, none {@code default}) with {@code default} in {@code
   * defaultRole}.
   */
  public static Users of(List<User> users, UserRole defaultRole) {
    if (defaultRole == null) {
      throw new IllegalArgumentException("default-role must be given");
    }
    Map<String, User> byName = new TreeMap<>();
    for (User u : users) {
      if (u.name().equals(User.DEFAULT)) {
        throw new IllegalArgumentException(
            "users: 'default' is the requirepass user; set its password with requirepass and its"
                + " role with default-role");
      }
      if (byName.put(u.name(), u) != null) {
        throw new IllegalArgumentException("users: '" + u.name() + "' is given twice");
      }
    }
    return new Users(Collections.unmodifiableMap(byName), defaultRole);
  }

  /** Returns a copy with {@code user} added. */
  public Users with(User user) {
    List<User> all = new ArrayList<>(named.values());
    all.add(user);
    return of(all, defaultRole);
  }

  /** Returns a copy where {@code default} has {@code role}. */
  public Users withDefaultRole(UserRole role) {
    return of(new ArrayList<>(named.values()), role);
  }

  /** Returns the named users by name, ascending. */
  public Map<String, User> named() {
    return named;
  }

  /** Returns the role of the {@code default} user. */
  public UserRole defaultRole() {
    return defaultRole;
  }

  /**
   * Returns the {@code default} user for {@code requirePass}: with that password, else without one
   * when there are no named users, else null (off).
   */
  User defaultUser(String requirePass) {
    if (requirePass != null) {
      return User.withPassword(User.DEFAULT, requirePass, defaultRole);
    }
    return named.isEmpty() ? User.noPassword(defaultRole) : null;
  }

  @Override
  public String toString() {
    return "Users" + named.values() + ", default " + defaultRole.word();
  }
}
