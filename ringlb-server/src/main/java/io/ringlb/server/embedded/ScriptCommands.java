package io.ringlb.server.embedded;

import io.netty.handler.codec.redis.RedisMessage;
import io.ringlb.server.CommandException;
import io.ringlb.server.CommandRegistry;
import io.ringlb.server.CommandSpec;
import io.ringlb.server.Replies;
import io.ringlb.server.Request;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * FUNCTION, FCALL, SCRIPT and EVALSHA on a server without a scripting engine: what there is to say
 * about no functions and no scripts is said as Redis says it (FUNCTION FLUSH and SCRIPT FLUSH
 * answer OK, FUNCTION LIST is empty, FUNCTION DUMP is the payload of no library, FCALL answers
 * "Function not found", EVALSHA NOSCRIPT), and what would need an engine is refused as Redis
 * refuses an engine it does not have.
 */
final class ScriptCommands {

  private static final String NOT_BUSY = "NOTBUSY No scripts in execution right now.";

  void register(CommandRegistry r) {
    r.register(
        CommandSpec.of("function", -2, ""),
        (s, q) -> {
          throw CommandException.syntax(); // the table answers unknown subcommands
        });
    r.registerSubcommand(
        "function",
        CommandSpec.of("flush", -2, "write admin"),
        (s, q) -> {
          if (q.argc() > 3 || (q.argc() == 3 && !q.is(2, "sync") && !q.is(2, "async"))) {
            throw new CommandException("ERR FUNCTION FLUSH only supports SYNC|ASYNC option");
          }
          return Replies.OK;
        });
    r.registerSubcommand("function", CommandSpec.of("list", -2, "readonly"), (s, q) -> list(q));
    r.registerSubcommand(
        "function",
        CommandSpec.of("delete", 3, "write"),
        (s, q) -> {
          throw new CommandException("ERR Library not found");
        });
    r.registerSubcommand("function", CommandSpec.of("load", -3, "write"), (s, q) -> load(q));
    r.registerSubcommand(
        "function",
        CommandSpec.of("kill", 2, ""),
        (s, q) -> {
          throw new CommandException(NOT_BUSY);
        });
    r.registerSubcommand(
        "function",
        CommandSpec.of("stats", 2, ""),
        (s, q) ->
            Replies.map(
                List.of(
                    bulk("running_script"),
                    Replies.NULL,
                    bulk("engines"),
                    Replies.map(List.of()))));
    r.registerSubcommand(
        "function",
        CommandSpec.of("dump", 2, ""),
        (s, q) -> Replies.bulkOf(DumpFormat.footed(new ByteArrayOutputStream())));
    r.registerSubcommand(
        "function", CommandSpec.of("restore", -3, "write admin"), (s, q) -> restore(q));
    r.register(CommandSpec.of("fcall", -3, ""), (s, q) -> notFound());
    r.register(CommandSpec.of("fcall_ro", -3, "readonly"), (s, q) -> notFound());

    r.register(
        CommandSpec.of("script", -2, ""),
        (s, q) -> {
          throw CommandException.syntax();
        });
    r.registerSubcommand(
        "script",
        CommandSpec.of("flush", -2, "admin"),
        (s, q) -> {
          if (q.argc() > 3 || (q.argc() == 3 && !q.is(2, "sync") && !q.is(2, "async"))) {
            throw new CommandException("ERR SCRIPT FLUSH only support SYNC|ASYNC option");
          }
          return Replies.OK;
        });
    r.registerSubcommand(
        "script",
        CommandSpec.of("exists", -3, ""),
        (s, q) -> {
          List<RedisMessage> zeros = new ArrayList<>(q.argc() - 2);
          for (int i = 2; i < q.argc(); i++) {
            zeros.add(Replies.ZERO);
          }
          return Replies.array(zeros);
        });
    r.registerSubcommand(
        "script",
        CommandSpec.of("kill", 2, ""),
        (s, q) -> {
          throw new CommandException(NOT_BUSY);
        });
    r.registerSubcommand(
        "script",
        CommandSpec.of("load", 3, ""),
        (s, q) -> {
          throw new CommandException("ERR ringlb: the embedded server has no scripting engine");
        });
    r.register(CommandSpec.of("evalsha", -3, ""), (s, q) -> noScript());
    r.register(CommandSpec.of("evalsha_ro", -3, "readonly"), (s, q) -> noScript());
  }

  private static RedisMessage bulk(String text) {
    return Replies.bulkOf(text.getBytes(StandardCharsets.US_ASCII));
  }

  private static RedisMessage notFound() {
    throw new CommandException("ERR Function not found");
  }

  private static RedisMessage noScript() {
    throw new CommandException("NOSCRIPT No matching script. Please use EVAL.");
  }

  /**
   * FUNCTION RESTORE payload [FLUSH | APPEND | REPLACE]: a payload of no library (what FUNCTION
   * DUMP gives here) restores nothing; one with libraries would need an engine.
   */
  private static RedisMessage restore(Request q) {
    if (q.argc() > 4) {
      throw new CommandException(
          "ERR unknown subcommand or wrong number of arguments for 'restore'. Try FUNCTION HELP.");
    }
    if (q.argc() == 4 && !q.is(3, "flush") && !q.is(3, "append") && !q.is(3, "replace")) {
      throw new CommandException(
          "ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.");
    }
    byte[] payload = q.bytes(2);
    if (!DumpFormat.verify(payload)) {
      throw new CommandException("ERR DUMP payload version or checksum are wrong");
    }
    if (DumpFormat.bodyLength(payload) > 0) {
      throw new CommandException("ERR ringlb: the embedded server has no scripting engine");
    }
    return Replies.OK;
  }

  /** FUNCTION LIST [LIBRARYNAME pattern] [WITHCODE]: no library to list. */
  private static RedisMessage list(Request q) {
    for (int i = 2; i < q.argc(); i++) {
      if (q.is(i, "withcode")) {
        continue;
      }
      if (q.is(i, "libraryname") && i + 1 < q.argc()) {
        i++;
        continue;
      }
      throw new CommandException("ERR Unknown argument " + q.string(i));
    }
    return Replies.EMPTY_ARRAY;
  }

  /** FUNCTION LOAD [REPLACE] code: the metadata line checked as Redis does, then no engine. */
  private static RedisMessage load(Request q) {
    int code = 2;
    if (q.argc() == 4 && q.is(2, "replace")) {
      code = 3;
    } else if (q.argc() != 3) {
      throw new CommandException("ERR Unknown option given: " + q.string(2));
    }
    String text = q.string(code);
    if (!text.startsWith("#!")) {
      throw new CommandException("ERR Missing library metadata");
    }
    int eol = text.indexOf('\n');
    String[] parts = (eol < 0 ? text.substring(2) : text.substring(2, eol)).trim().split(" +");
    String name = null;
    for (int i = 1; i < parts.length; i++) {
      if (parts[i].startsWith("name=")) {
        name = parts[i].substring(5);
      } else {
        throw new CommandException("ERR Invalid metadata value given: " + parts[i]);
      }
    }
    if (name == null) {
      throw new CommandException("ERR Library name was not given");
    }
    throw new CommandException("ERR Engine '" + parts[0] + "' not found");
  }
}
