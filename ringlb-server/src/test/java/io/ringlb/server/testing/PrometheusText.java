package io.ringlb.server.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * Parses a metrics exposition with the Prometheus project's own parser: the official Python client
 * library's ({@code prometheus_client.parser} for the Prometheus text format, {@code
 * prometheus_client.openmetrics.parser} for OpenMetrics), from Debian's {@code
 * python3-prometheus-client}, run as a separate process like redis-cli. A malformed exposition
 * fails the parse, and so the test. Missing, it fails under {@code CI=true} and skips elsewhere.
 */
public final class PrometheusText {

  /** One sample: its metric family and type, its own name, labels and value. */
  public record Sample(
      String family, String type, String name, Map<String, String> labels, double value) {}

  private static final String PACKAGE = "python3-prometheus-client";
  private static final ObjectMapper JSON = new ObjectMapper();

  private PrometheusText() {}

  /** Parses {@code text} in the Prometheus text format (version 0.0.4). */
  public static List<Sample> parse(String text) {
    return run("prometheus", text);
  }

  /** Parses {@code text} in the OpenMetrics text format, which must end in {@code # EOF}. */
  public static List<Sample> parseOpenMetrics(String text) {
    return run("openmetrics", text);
  }

  /** Returns the value of the one sample named {@code name} with exactly {@code labels}. */
  public static double value(List<Sample> samples, String name, Map<String, String> labels) {
    List<Sample> found = new ArrayList<>();
    for (Sample s : samples) {
      if (s.name().equals(name) && s.labels().equals(labels)) {
        found.add(s);
      }
    }
    if (found.size() != 1) {
      throw new AssertionError(
          found.size() + " samples " + name + labels + " among " + samples.size());
    }
    return found.get(0).value();
  }

  /** Returns the sum of the samples named {@code name}. */
  public static double sum(List<Sample> samples, String name) {
    double total = 0;
    for (Sample s : samples) {
      if (s.name().equals(name)) {
        total += s.value();
      }
    }
    return total;
  }

  private static List<Sample> run(String format, String text) {
    Path python =
        python()
            .orElseGet(
                () ->
                    Required.missing(
                        "no python3 with the prometheus_client module (/usr/bin/python3 or on PATH)",
                        "apt-get install " + PACKAGE));
    try {
      Path script = Files.createTempFile("ringlb-parse-metrics", ".py");
      try (InputStream in = PrometheusText.class.getResourceAsStream("parse_metrics.py")) {
        Files.write(script, in.readAllBytes());
      }
      try {
        Process p =
            new ProcessBuilder(python.toString(), script.toString(), format)
                .redirectErrorStream(false)
                .start();
        p.getOutputStream().write(text.getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().close();
        byte[] out = p.getInputStream().readAllBytes();
        byte[] err = p.getErrorStream().readAllBytes();
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
          p.destroyForcibly();
          throw new AssertionError("the metrics parser did not finish");
        }
        if (p.exitValue() != 0) {
          throw new AssertionError(
              "the Prometheus client's "
                  + format
                  + " parser refused the exposition: "
                  + new String(err, StandardCharsets.UTF_8)
                  + "\n--- exposition ---\n"
                  + text);
        }
        List<Sample> samples = new ArrayList<>();
        for (String line : new String(out, StandardCharsets.UTF_8).split("\n")) {
          if (!line.isBlank()) {
            samples.add(sample(JSON.readTree(line)));
          }
        }
        return samples;
      } finally {
        Files.deleteIfExists(script);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }

  private static Sample sample(JsonNode n) {
    Map<String, String> labels = new TreeMap<>();
    n.get("labels").fields().forEachRemaining(e -> labels.put(e.getKey(), e.getValue().asText()));
    JsonNode v = n.get("value");
    double value =
        v.isTextual()
            ? ("+Inf".equals(v.asText()) ? Double.POSITIVE_INFINITY : Double.NEGATIVE_INFINITY)
            : v.asDouble();
    return new Sample(
        n.get("family").asText(), n.get("type").asText(), n.get("name").asText(), labels, value);
  }

  /** Returns a python3 that has the {@code prometheus_client} module: Debian's first. */
  private static Optional<Path> python() {
    List<Path> candidates = new ArrayList<>();
    candidates.add(Path.of("/usr/bin/python3"));
    RedisProgram.find("python3", System.getenv().getOrDefault("PATH", ""))
        .ifPresent(candidates::add);
    for (Path candidate : candidates) {
      if (!Files.isExecutable(candidate)) {
        continue;
      }
      try {
        Process p =
            new ProcessBuilder(candidate.toString(), "-c", "import prometheus_client")
                .redirectErrorStream(true)
                .start();
        p.getInputStream().readAllBytes();
        if (p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0) {
          return Optional.of(candidate);
        }
        p.destroyForcibly();
      } catch (IOException e) {
        // not this one
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return Optional.empty();
      }
    }
    return Optional.empty();
  }
}
