package io.ringlb.conformance;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Reads exchange files (docs/CONFORMANCE.md, "Adding an exchange"): {@code [name]} opens an
 * exchange, each line after it is one step, {@code #} starts a comment line.
 *
 * <p>A step is a command's words, sent as a RESP array of bulk strings; a word in double quotes may
 * hold spaces and {@link Rendering} escapes ({@code ""} is the empty word). {@code raw "BYTES"}
 * sends BYTES exactly and reads one reply, {@code raw N "BYTES"} reads N (0: none). An unquoted
 * word starting with {@code ~} begins the step's marker ({@link Normalizer}), up to the line's end.
 */
final class ExchangeFile {

  private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9-]*");

  private ExchangeFile() {}

  /** Returns every exchange of the {@code .txt} files in {@code dir}, by file name then order. */
  static List<Exchange> readAll(Path dir) throws IOException {
    List<Path> files;
    try (Stream<Path> list = Files.list(dir)) {
      files = list.filter(p -> p.getFileName().toString().endsWith(".txt")).sorted().toList();
    }
    if (files.isEmpty()) {
      throw new IOException("no exchange files (*.txt) in " + dir);
    }
    List<Exchange> all = new ArrayList<>();
    for (Path file : files) {
      String name = file.getFileName().toString();
      all.addAll(
          parse(
              name.substring(0, name.length() - ".txt".length()),
              name,
              Files.readString(file, StandardCharsets.ISO_8859_1)));
    }
    return all;
  }

  /**
   * Parses one file's text.
   *
   * @param family the ids' first part
   * @param fileName for messages, {@code strings.txt}
   * @throws IllegalArgumentException naming the file and line, for a line that is not valid
   */
  static List<Exchange> parse(String family, String fileName, String text) {
    Map<String, Exchange> exchanges = new LinkedHashMap<>();
    String name = null;
    String source = null;
    List<Exchange.Step> steps = new ArrayList<>();
    String[] lines = text.split("\r?\n", -1);
    for (int i = 0; i < lines.length; i++) {
      String where = fileName + ":" + (i + 1);
      String line = lines[i].strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      try {
        if (line.startsWith("[")) {
          if (name != null) {
            add(exchanges, new Exchange(family + "/" + name, source, steps));
          }
          name = header(line);
          source = where;
          steps = new ArrayList<>();
        } else if (name == null) {
          throw new IllegalArgumentException("a step before the first [name]");
        } else {
          steps.add(step(line));
        }
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
      }
    }
    if (name != null) {
      add(exchanges, new Exchange(family + "/" + name, source, steps));
    }
    return List.copyOf(exchanges.values());
  }

  private static void add(Map<String, Exchange> exchanges, Exchange exchange) {
    Exchange earlier = exchanges.putIfAbsent(exchange.id(), exchange);
    if (earlier != null) {
      throw new IllegalArgumentException(
          exchange.source() + ": exchange " + exchange.id() + " is already at " + earlier.source());
    }
  }

  private static String header(String line) {
    if (!line.endsWith("]")) {
      throw new IllegalArgumentException("a header is [name]: " + line);
    }
    String name = line.substring(1, line.length() - 1).strip();
    if (!NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("a name is lower-case letters, digits and '-': " + line);
    }
    return name;
  }

  /** Parses one step's line. */
  static Exchange.Step step(String line) {
    List<String> words = new ArrayList<>();
    List<Boolean> quoted = new ArrayList<>();
    String marker = null;
    int textEnd = line.length();
    int i = 0;
    while (i < line.length()) {
      char c = line.charAt(i);
      if (c == ' ' || c == '\t') {
        i++;
      } else if (c == '"') {
        int close = closingQuote(line, i);
        words.add(
            new String(
                Rendering.unescape(line.substring(i + 1, close)), StandardCharsets.ISO_8859_1));
        quoted.add(true);
        i = close + 1;
        if (i < line.length() && line.charAt(i) != ' ' && line.charAt(i) != '\t') {
          throw new IllegalArgumentException("a quoted word must end at a space: " + line);
        }
      } else if (c == '~') {
        marker = line.substring(i + 1);
        textEnd = i;
        break;
      } else {
        int end = i;
        while (end < line.length() && line.charAt(end) != ' ' && line.charAt(end) != '\t') {
          end++;
        }
        String word = line.substring(i, end);
        if (word.indexOf('"') >= 0) {
          throw new IllegalArgumentException("a \" inside a word; quote the whole word: " + line);
        }
        words.add(word);
        quoted.add(false);
        i = end;
      }
    }
    if (words.isEmpty()) {
      throw new IllegalArgumentException("a marker without a command: " + line);
    }
    Normalizer normalizer = marker == null ? Normalizer.EXACT : Normalizer.parse(marker);
    String text = line.substring(0, textEnd).strip();
    if (!quoted.get(0) && words.get(0).equals("raw")) {
      return raw(text, words, quoted, normalizer);
    }
    return new Exchange.Step(text, resp(words), 1, normalizer);
  }

  private static Exchange.Step raw(
      String text, List<String> words, List<Boolean> quoted, Normalizer normalizer) {
    int replies = 1;
    int bytesAt = 1;
    if (words.size() == 3 && !quoted.get(1)) {
      try {
        replies = Integer.parseInt(words.get(1));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("raw N \"BYTES\": N is a number: " + text);
      }
      bytesAt = 2;
    }
    if (words.size() != bytesAt + 1 || !quoted.get(bytesAt)) {
      throw new IllegalArgumentException("raw takes [N] \"BYTES\": " + text);
    }
    byte[] bytes = words.get(bytesAt).getBytes(StandardCharsets.ISO_8859_1);
    if (bytes.length == 0) {
      throw new IllegalArgumentException("raw sends at least one byte: " + text);
    }
    return new Exchange.Step(text, bytes, replies, normalizer);
  }

  private static int closingQuote(String line, int open) {
    for (int j = open + 1; j < line.length(); j++) {
      char c = line.charAt(j);
      if (c == '\\') {
        j++;
      } else if (c == '"') {
        return j;
      }
    }
    throw new IllegalArgumentException("unclosed quote: " + line);
  }

  /** Encodes {@code words} as a RESP array of bulk strings. */
  static byte[] resp(List<String> words) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(("*" + words.size() + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
    for (String word : words) {
      byte[] b = word.getBytes(StandardCharsets.ISO_8859_1);
      out.writeBytes(("$" + b.length + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
      out.writeBytes(b);
      out.writeBytes(new byte[] {'\r', '\n'});
    }
    return out.toByteArray();
  }
}
