package io.ringlb.server.http;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.timeout.ReadTimeoutException;
import io.ringlb.server.RingView;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Answers one HTTP request: routes it by path, asks for a login where the server has passwords, and
 * serves the probes ({@code /healthz}, {@code /readyz}, {@code /metrics}), {@code /api/ring} and
 * the dashboard's files. Only GET and HEAD are served.
 */
@ChannelHandler.Sharable
final class HttpRequestHandler extends SimpleChannelInboundHandler<FullHttpRequest> {

  private static final Logger LOG = Logger.getLogger(HttpRequestHandler.class.getName());

  /** The paths a scraper or load balancer reads, which a setting may leave open. */
  private static final Set<String> PROBES = Set.of("/metrics", "/healthz", "/readyz");

  /** The longest a data side may take to show its ring before the request fails. */
  private static final long VIEW_TIMEOUT_SECONDS = 10;

  private final Monitored server;
  private final HttpSettings settings;
  private final StaticAssets assets;
  private final MetricsEndpoint metrics;

  HttpRequestHandler(Monitored server, HttpSettings settings, StaticAssets assets) {
    this.server = server;
    this.settings = settings;
    this.assets = assets;
    this.metrics = new MetricsEndpoint(server.registry());
  }

  @Override
  protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
    boolean keepAlive = HttpUtil.isKeepAlive(request);
    HttpMethod method = request.method();
    if (!request.decoderResult().isSuccess()) {
      HttpResponses.send(
          ctx, method, false, HttpResponses.text(HttpResponseStatus.BAD_REQUEST, "bad request\n"));
      return;
    }
    String path = new QueryStringDecoder(request.uri()).path();
    boolean probe = PROBES.contains(path);
    if (!probe && !"/api/ring".equals(path) && assets.get(path) == null) {
      HttpResponses.send(
          ctx,
          method,
          keepAlive,
          HttpResponses.text(
              HttpResponseStatus.NOT_FOUND,
              "not found: " + path + " (try /, /api/ring, /metrics, /healthz, /readyz)\n"));
      return;
    }
    if (!HttpMethod.GET.equals(method) && !HttpMethod.HEAD.equals(method)) {
      FullHttpResponse r =
          HttpResponses.text(
              HttpResponseStatus.METHOD_NOT_ALLOWED, method + " is not served; use GET\n");
      r.headers().set(HttpHeaderNames.ALLOW, "GET, HEAD");
      HttpResponses.send(ctx, method, keepAlive, r);
      return;
    }
    if (server.loginRequired() && !(probe && settings.openProbes())) {
      BasicAuth.Result auth = BasicAuth.check(request, server, host(ctx.channel().remoteAddress()));
      if (auth.outcome() != BasicAuth.Outcome.ACCEPTED) {
        refuse(ctx, method, keepAlive, auth);
        return;
      }
    }
    String accept = request.headers().get(HttpHeaderNames.ACCEPT);
    switch (path) {
      case "/healthz" ->
          HttpResponses.send(
              ctx, method, keepAlive, HttpResponses.text(HttpResponseStatus.OK, "ok\n"));
      case "/readyz" -> ready(ctx, method, keepAlive);
      case "/metrics" -> withView(ctx, method, keepAlive, view -> metrics.scrape(view, accept));
      case "/api/ring" ->
          withView(
              ctx,
              method,
              keepAlive,
              view ->
                  HttpResponses.bytes(
                      HttpResponseStatus.OK,
                      HttpResponses.JSON,
                      RingJson.of(server.status(), view)));
      default -> {
        StaticAssets.Asset asset = assets.get(path);
        HttpResponses.send(
            ctx,
            method,
            keepAlive,
            HttpResponses.bytes(HttpResponseStatus.OK, asset.contentType(), asset.body()));
      }
    }
  }

  /** Answers 401 with the challenge, after the login throttle's delay for a wrong password. */
  private static void refuse(
      ChannelHandlerContext ctx, HttpMethod method, boolean keepAlive, BasicAuth.Result auth) {
    Runnable answer =
        () -> {
          FullHttpResponse r =
              HttpResponses.text(
                  HttpResponseStatus.UNAUTHORIZED,
                  auth.outcome() == BasicAuth.Outcome.MISSING
                      ? "log in with a user of the server (default and the requirepass password)\n"
                      : "wrong user or password\n");
          r.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, BasicAuth.CHALLENGE);
          HttpResponses.send(ctx, method, keepAlive, r);
        };
    if (auth.delayNanos() > 0) {
      ctx.executor().schedule(answer, auth.delayNanos(), TimeUnit.NANOSECONDS);
    } else {
      answer.run();
    }
  }

  private void ready(ChannelHandlerContext ctx, HttpMethod method, boolean keepAlive) {
    if (server.stopping()) {
      HttpResponses.send(
          ctx,
          method,
          keepAlive,
          HttpResponses.text(HttpResponseStatus.SERVICE_UNAVAILABLE, "not ready: stopping\n"));
      return;
    }
    withView(
        ctx,
        method,
        keepAlive,
        view -> {
          String reason = view.notReadyReason();
          return reason == null
              ? HttpResponses.text(HttpResponseStatus.OK, "ready\n")
              : HttpResponses.text(
                  HttpResponseStatus.SERVICE_UNAVAILABLE, "not ready: " + reason + "\n");
        });
  }

  /** What a request makes of the ring's view. */
  private interface ViewAnswer {
    FullHttpResponse answer(RingView view);
  }

  /**
   * Asks the data side for its view and answers with {@code answer}'s response, made on this
   * connection's event loop, or 503 when the view cannot be had.
   */
  private void withView(
      ChannelHandlerContext ctx, HttpMethod method, boolean keepAlive, ViewAnswer answer) {
    CompletableFuture<RingView> view;
    try {
      view = server.view().toCompletableFuture();
    } catch (RuntimeException e) {
      view = CompletableFuture.failedFuture(e);
    }
    view.orTimeout(VIEW_TIMEOUT_SECONDS, TimeUnit.SECONDS)
        .whenComplete(
            (v, failure) ->
                ctx.executor()
                    .execute(
                        () -> {
                          FullHttpResponse r;
                          if (failure != null) {
                            r =
                                HttpResponses.text(
                                    HttpResponseStatus.SERVICE_UNAVAILABLE,
                                    "the ring cannot be read: " + message(failure) + "\n");
                          } else {
                            try {
                              r = answer.answer(v);
                            } catch (RuntimeException e) {
                              LOG.log(Level.WARNING, "HTTP request failed", e);
                              r =
                                  HttpResponses.text(
                                      HttpResponseStatus.INTERNAL_SERVER_ERROR,
                                      "internal error: " + e + "\n");
                            }
                          }
                          HttpResponses.send(ctx, method, keepAlive, r);
                        }));
  }

  private static String message(Throwable failure) {
    Throwable cause = failure.getCause() != null ? failure.getCause() : failure;
    return cause.getMessage() == null ? cause.toString() : cause.getMessage();
  }

  private static String host(SocketAddress address) {
    return address instanceof InetSocketAddress a
        ? a.getAddress() == null ? a.getHostString() : a.getAddress().getHostAddress()
        : String.valueOf(address);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (!(cause instanceof ReadTimeoutException) && !(cause instanceof java.io.IOException)) {
      LOG.log(Level.FINE, "HTTP connection failed", cause);
    }
    ctx.close();
  }
}
