package io.ringlb.cli;

import io.ringlb.core.HashRing;
import io.ringlb.core.Hashes;
import io.ringlb.core.LabelHash;
import io.ringlb.core.Placement;
import java.util.ArrayList;
import java.util.List;

/**
 * Draws a placement as an SVG circle of the 32-bit hash space, each server's arcs in its own
 * colour, for the run report. A ring of few labels is drawn label by label (dots for the labels,
 * server ids on the wider arcs); a larger one, or a placement that is not a ring, is drawn from the
 * owners of {@link #SAMPLES} evenly spaced hashes, which is all a picture of that size can show.
 */
final class RingPicture {

  /** The most labels drawn one by one; beyond, the ring is sampled. */
  static final int EXACT_LABELS = 6000;

  /** The most labels drawn as dots. */
  static final int DOT_LABELS = 600;

  /** The most servers whose ids are written on their arcs. */
  static final int NAMED_SERVERS = 200;

  /** The hashes read to draw a sampled ring. */
  static final int SAMPLES = 1024;

  private static final long RING = 1L << 32;
  private static final int SIZE = 600;
  private static final double CENTRE = SIZE / 2.0;
  private static final double RADIUS = 236;
  private static final double BAND = 40;

  /** An SVG element and the sentence that says what it shows. */
  record Picture(String svg, String caption) {}

  /** A run of the hash space {@code (start, end]} owned by one server; start may be negative. */
  private record Arc(int server, long start, long end) {}

  private RingPicture() {}

  /** Draws {@code placement}, which holds {@code keys} keys. */
  static Picture of(Placement placement, long keys) {
    StringBuilder svg = new StringBuilder(64 * 1024);
    svg.append("<svg viewBox=\"0 0 ")
        .append(SIZE)
        .append(' ')
        .append(SIZE)
        .append("\" role=\"img\" aria-label=\"the ring after the run\">");
    circle(svg, "track", "#e6e6e6", null, -1);
    String caption;
    int servers = placement.size();
    if (servers == 0) {
      caption = "The run ends with no server: the ring is empty.";
    } else if (placement instanceof HashRing ring && ring.labelCount() <= EXACT_LABELS) {
      caption = exact(svg, ring, servers);
    } else {
      caption = sampled(svg, placement, servers);
    }
    ticks(svg);
    centre(svg, placement, keys);
    svg.append("</svg>");
    return new Picture(svg.toString(), caption);
  }

  private static String exact(StringBuilder svg, HashRing ring, int servers) {
    int n = ring.labelCount();
    long[] positions = new long[n];
    int[] owners = new int[n];
    for (int i = 0; i < n; i++) {
      positions[i] = Integer.toUnsignedLong(ring.positionAt(i));
      owners[i] = ring.serverAt(i);
    }
    // label i owns (position of label i - 1, position of label i]; label 0 wraps past the top
    List<Arc> arcs = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      long start = i == 0 ? positions[n - 1] - RING : positions[i - 1];
      Arc previous = arcs.isEmpty() ? null : arcs.get(arcs.size() - 1);
      if (previous != null && previous.server == owners[i]) {
        arcs.set(arcs.size() - 1, new Arc(owners[i], previous.start, positions[i]));
      } else {
        arcs.add(new Arc(owners[i], start, positions[i]));
      }
    }
    mergeWrap(arcs);
    drawArcs(svg, arcs, servers, "");
    StringBuilder caption =
        new StringBuilder(
            "The 32-bit hash space clockwise from 0x00000000 at the top. A key belongs to the"
                + " server of the first label at or after its hash, so each label's server owns the"
                + " arc that ends at it, drawn in that server's colour.");
    if (n <= DOT_LABELS) {
      LabelHash seedLabel = ring.name().equals("seed") ? Hashes.seedLabel() : null;
      for (int i = 0; i < n; i++) {
        dot(svg, positions[i], owners[i], labelName(seedLabel, ring, owners[i], positions[i]));
      }
      caption.append(" Dots are the labels; hover over a dot or an arc for its hashes.");
    } else {
      caption.append(" The ").append(Html.count(n)).append(" labels are not drawn as dots.");
    }
    if (servers > NAMED_SERVERS) {
      caption
          .append(" Server ids are not written beyond ")
          .append(NAMED_SERVERS)
          .append(" servers.");
    }
    return caption.toString();
  }

  private static String sampled(StringBuilder svg, Placement placement, int servers) {
    List<Arc> arcs = new ArrayList<>();
    for (int k = 0; k < SAMPLES; k++) {
      long start = k * RING / SAMPLES;
      long end = (k + 1) * RING / SAMPLES;
      int owner = placement.serverFor((int) ((start + end) / 2));
      Arc previous = arcs.isEmpty() ? null : arcs.get(arcs.size() - 1);
      if (previous != null && previous.server == owner) {
        arcs.set(arcs.size() - 1, new Arc(owner, previous.start, end));
      } else {
        arcs.add(new Arc(owner, start, end));
      }
    }
    mergeWrap(arcs);
    drawArcs(svg, arcs, servers, "about ");
    String what =
        placement instanceof HashRing ring
            ? "The " + Html.count(ring.labelCount()) + " labels are too many to draw one by one"
            : "Placement " + placement.name() + " has no labels on a circle";
    return what
        + ": the 32-bit hash space is drawn clockwise from 0x00000000 at the top, each of "
        + Html.count(SAMPLES)
        + " equal sectors in the colour of the server that owns its middle hash."
        + (servers > NAMED_SERVERS ? " Server ids are not written." : "");
  }

  /** Joins the last arc to the first when one server owns both sides of the top. */
  private static void mergeWrap(List<Arc> arcs) {
    if (arcs.size() > 1 && arcs.get(0).server == arcs.get(arcs.size() - 1).server) {
      Arc last = arcs.remove(arcs.size() - 1);
      Arc first = arcs.get(0);
      long start = last.start >= 0 ? last.start - RING : last.start;
      arcs.set(0, new Arc(first.server, start, first.end));
    }
  }

  private static void drawArcs(StringBuilder svg, List<Arc> arcs, int servers, String about) {
    for (Arc arc : arcs) {
      long span = arc.end - arc.start;
      if (span <= 0) {
        continue; // labels at one position: the first of them owns the arc
      }
      String title =
          "server "
              + arc.server
              + ": hashes ("
              + Html.position((int) arc.start)
              + ", "
              + Html.position((int) arc.end)
              + "], "
              + about
              + Html.percent((double) span / RING)
              + " of the ring";
      if (span >= RING) {
        circle(svg, "arc", Html.colour(arc.server), title, arc.server);
        continue;
      }
      svg.append("<path class=\"arc\" data-server=\"")
          .append(arc.server)
          .append("\" stroke=\"")
          .append(Html.colour(arc.server))
          .append("\" d=\"M")
          .append(point(RADIUS, arc.start))
          .append(" A")
          .append(Html.coordinate(RADIUS))
          .append(' ')
          .append(Html.coordinate(RADIUS))
          .append(" 0 ")
          .append(span > RING / 2 ? 1 : 0)
          .append(" 1 ")
          .append(point(RADIUS, arc.end))
          .append("\"><title>")
          .append(Html.escape(title))
          .append("</title></path>");
    }
    if (servers <= NAMED_SERVERS) {
      for (Arc arc : arcs) {
        if (arc.end - arc.start >= RING / 90) {
          long middle = arc.start + (arc.end - arc.start) / 2;
          svg.append("<text class=\"id\" ")
              .append(xy(RADIUS + BAND / 2 + 14, middle))
              .append('>')
              .append(arc.server)
              .append("</text>");
        }
      }
    }
  }

  private static String labelName(LabelHash seedLabel, HashRing ring, int server, long position) {
    if (seedLabel != null) {
      for (int r = 0; r < ring.points(server); r++) {
        int label = r * 100_000 + server;
        if (Integer.toUnsignedLong(seedLabel.hash(label)) == position) {
          return "label " + label + " of server " + server;
        }
      }
    }
    return "a label of server " + server;
  }

  private static void dot(StringBuilder svg, long position, int server, String name) {
    svg.append("<circle class=\"label\" data-server=\"")
        .append(server)
        .append("\" ")
        .append(attributes("cx", "cy", RADIUS + BAND / 2, position))
        .append(" r=\"5\" fill=\"")
        .append(Html.colour(server))
        .append("\"><title>")
        .append(Html.escape(name))
        .append(" at ")
        .append(Html.position((int) position))
        .append(" (")
        .append(position)
        .append(")</title></circle>");
  }

  private static void ticks(StringBuilder svg) {
    for (int q = 0; q < 4; q++) {
      long position = q * (RING / 4);
      svg.append("<line class=\"tick\" ")
          .append(attributes("x1", "y1", RADIUS - BAND / 2 - 6, position))
          .append(' ')
          .append(attributes("x2", "y2", RADIUS + BAND / 2, position))
          .append("/><text class=\"tick\" ")
          .append(xy(RADIUS - BAND / 2 - (q % 2 == 0 ? 16 : 10), position))
          .append(q == 1 ? " text-anchor=\"end\"" : q == 3 ? " text-anchor=\"start\"" : "")
          .append('>')
          .append(Html.position((int) position))
          .append("</text>");
    }
  }

  private static void centre(StringBuilder svg, Placement placement, long keys) {
    String[] lines = {
      Html.count(placement.size(), "server"),
      placement instanceof HashRing ring ? Html.count(ring.labelCount(), "label") : "",
      Html.count(keys, "key")
    };
    double y = CENTRE - 22;
    for (String line : lines) {
      if (!line.isEmpty()) {
        svg.append("<text class=\"centre\" x=\"")
            .append(Html.coordinate(CENTRE))
            .append("\" y=\"")
            .append(Html.coordinate(y))
            .append("\">")
            .append(line)
            .append("</text>");
      }
      y += 22;
    }
  }

  /** Draws the whole circle; {@code server} is its owner, or -1; {@code title} may be null. */
  private static void circle(
      StringBuilder svg, String kind, String colour, String title, int server) {
    svg.append("<circle class=\"").append(kind).append('"');
    if (server >= 0) {
      svg.append(" data-server=\"").append(server).append('"');
    }
    svg.append(" cx=\"")
        .append(Html.coordinate(CENTRE))
        .append("\" cy=\"")
        .append(Html.coordinate(CENTRE))
        .append("\" r=\"")
        .append(Html.coordinate(RADIUS))
        .append("\" stroke=\"")
        .append(colour)
        .append('"');
    if (title == null) {
      svg.append("/>");
    } else {
      svg.append("><title>").append(Html.escape(title)).append("</title></circle>");
    }
  }

  private static double angle(long position) {
    return 2 * Math.PI * position / RING;
  }

  private static String point(double radius, long position) {
    double a = angle(position);
    return Html.coordinate(CENTRE + radius * Math.sin(a))
        + ' '
        + Html.coordinate(CENTRE - radius * Math.cos(a));
  }

  /** Returns the attributes {@code x="..." y="..."} of a point, with those attribute names. */
  private static String attributes(String x, String y, double radius, long position) {
    double a = angle(position);
    return x
        + "=\""
        + Html.coordinate(CENTRE + radius * Math.sin(a))
        + "\" "
        + y
        + "=\""
        + Html.coordinate(CENTRE - radius * Math.cos(a))
        + '"';
  }

  private static String xy(double radius, long position) {
    return attributes("x", "y", radius, position);
  }
}
