package io.ringlb.server;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.util.Locale;

/**
 * The Netty transport: native epoll on Linux when the application ships Netty's native library (the
 * {@code ringlb} command does), NIO otherwise.
 */
public enum Transport {
  /** Linux's epoll through Netty's native library. */
  EPOLL,
  /** Java's NIO selectors. */
  NIO;

  /** Returns epoll when its native library loads, else NIO. */
  public static Transport best() {
    return Epoll.isAvailable() ? EPOLL : NIO;
  }

  /** Returns {@code threads} event loops whose threads are named {@code name-N}. */
  public EventLoopGroup group(int threads, String name, boolean daemon) {
    DefaultThreadFactory factory = new DefaultThreadFactory(name, daemon);
    return this == EPOLL
        ? new EpollEventLoopGroup(threads, factory)
        : new NioEventLoopGroup(threads, factory);
  }

  /** Returns the class of a listening channel of this transport. */
  public Class<? extends ServerSocketChannel> serverChannel() {
    return this == EPOLL ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
  }

  /** Returns the class of a client or upstream channel of this transport. */
  public Class<? extends SocketChannel> socketChannel() {
    return this == EPOLL ? EpollSocketChannel.class : NioSocketChannel.class;
  }

  /** Returns the name INFO shows as {@code multiplexing_api}: {@code epoll} or {@code nio}. */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }
}
