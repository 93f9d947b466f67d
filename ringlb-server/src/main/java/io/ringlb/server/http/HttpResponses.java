package io.ringlb.server.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;

/** Writes the HTTP port's responses: whole bodies with their length, and the common headers. */
final class HttpResponses {

  static final String TEXT = "text/plain; charset=utf-8";
  static final String JSON = "application/json";

  /** What the dashboard's page may load: its own scripts, styles and API, nothing else. */
  private static final String CONTENT_SECURITY_POLICY =
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:;"
          + " connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

  private HttpResponses() {}

  /** Returns a response of {@code body} as UTF-8 text. */
  static FullHttpResponse text(HttpResponseStatus status, String body) {
    return bytes(status, TEXT, body.getBytes(StandardCharsets.UTF_8));
  }

  /** Returns a response of {@code body} with content type {@code type}. */
  static FullHttpResponse bytes(HttpResponseStatus status, String type, byte[] body) {
    return buffer(status, type, Unpooled.wrappedBuffer(body));
  }

  /** Returns a response of {@code body}, which it then owns, with content type {@code type}. */
  static FullHttpResponse buffer(HttpResponseStatus status, String type, ByteBuf body) {
    FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, body);
    r.headers()
        .set(HttpHeaderNames.CONTENT_TYPE, type)
        .set(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes())
        .set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_STORE)
        .set("X-Content-Type-Options", "nosniff")
        .set(HttpHeaderNames.CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY)
        .set("Referrer-Policy", "no-referrer");
    return r;
  }

  /**
   * Sends {@code response} for a request with {@code method}, keeping the connection open when
   * {@code keepAlive}; the body of an answer to HEAD is dropped, its length kept.
   */
  static void send(
      ChannelHandlerContext ctx, HttpMethod method, boolean keepAlive, FullHttpResponse response) {
    if (HttpMethod.HEAD.equals(method)) {
      response.content().clear();
    }
    HttpUtil.setKeepAlive(response, keepAlive);
    if (keepAlive) {
      ctx.writeAndFlush(response, ctx.voidPromise());
    } else {
      ctx.writeAndFlush(response).addListener(io.netty.channel.ChannelFutureListener.CLOSE);
    }
  }
}
