package io.ringlb.server.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufOutputStream;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.prometheus.metrics.expositionformats.ExpositionFormatWriter;
import io.prometheus.metrics.expositionformats.ExpositionFormats;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.ringlb.server.RingView;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * {@code GET /metrics}: the registry scraped and written by the Prometheus client library, in the
 * format the scraper's {@code Accept} header asks for (Prometheus text unless it asks for
 * OpenMetrics).
 */
final class MetricsEndpoint {

  private final PrometheusRegistry registry;
  private final RingMetrics ring;
  private final ExpositionFormats formats = ExpositionFormats.init();

  /** Registers the ring's metrics in {@code registry}, beside the front end's. */
  MetricsEndpoint(PrometheusRegistry registry) {
    this.registry = registry;
    this.ring = new RingMetrics(registry);
  }

  /**
   * Returns the response to a scrape asking for {@code accept}, with the ring metrics of {@code
   * view}; on the HTTP event loop, so that scrapes do not interleave.
   */
  FullHttpResponse scrape(RingView view, String accept) {
    ring.update(view);
    ExpositionFormatWriter writer = formats.findWriter(accept);
    if (!writer.isAvailable()) {
      writer = formats.getPrometheusTextFormatWriter();
    }
    ByteBuf body = Unpooled.buffer(16384);
    try (ByteBufOutputStream out = new ByteBufOutputStream(body)) {
      writer.write(out, registry.scrape());
    } catch (IOException e) {
      body.release();
      throw new UncheckedIOException(e);
    }
    return HttpResponses.buffer(HttpResponseStatus.OK, writer.getContentType(), body);
  }
}
