package io.ringlb.proxy;

import io.netty.handler.codec.redis.ArrayRedisMessage;
import io.netty.handler.codec.redis.ErrorRedisMessage;
import io.netty.handler.codec.redis.RedisMessage;
import io.netty.util.ReferenceCountUtil;
import io.ringlb.server.Session;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;

/**
 * The reply to EXEC of a transaction that queued commands of every backend (FLUSHALL, FLUSHDB):
 * they ran inside the transaction on its backend; once its EXEC answered, each runs on every other
 * backend holding keys, and its place in EXEC's reply says OK only when every backend took it.
 * Nothing runs elsewhere when the transaction did not run (EXECABORT, or nil after WATCH).
 */
final class TransactionFanOut extends Pending {

  /** A command of every backend, at {@code index} among the transaction's commands. */
  record Command(int index, Object[] args) {}

  private final Session client;
  private final Pending reply;
  private final Backend[] others;
  private final List<Command> commands;

  TransactionFanOut(Session client, Pending reply, Backend[] others, List<Command> commands) {
    this.client = client;
    this.reply = reply;
    this.others = others;
    this.commands = commands;
  }

  @Override
  void complete(RedisMessage exec) {
    if (!(exec instanceof ArrayRedisMessage array)
        || array.isNull()
        || others.length == 0
        || array.children().size() <= commands.get(commands.size() - 1).index()) {
      reply.complete(exec);
      return;
    }
    Object[][] results = new Object[commands.size()][others.length];
    List<CompletableFuture<?>> calls = new ArrayList<>();
    for (int c = 0; c < commands.size(); c++) {
      if (array.children().get(commands.get(c).index()) instanceof ErrorRedisMessage) {
        continue; // refused on the transaction's backend: not sent elsewhere
      }
      for (int b = 0; b < others.length; b++) {
        Object[] row = results[c];
        int index = b;
        calls.add(
            others[b]
                .call(commands.get(c).args())
                .handle(
                    (v, failure) -> {
                      row[index] = failure == null ? v : new Values.Error(failure.getMessage());
                      return null;
                    }));
      }
    }
    CompletableFuture.allOf(calls.toArray(new CompletableFuture<?>[0]))
        .whenComplete(
            (done, failure) ->
                client.eventLoop().execute(() -> reply.complete(combine(array, results))));
  }

  /** Returns EXEC's reply with each fanned-out command's place saying which backends refused. */
  private RedisMessage combine(ArrayRedisMessage exec, Object[][] results) {
    List<RedisMessage> children = new ArrayList<>(exec.children());
    for (int c = 0; c < commands.size(); c++) {
      int index = commands.get(c).index();
      if (children.get(index) instanceof ErrorRedisMessage) {
        continue;
      }
      List<String> refused = new ArrayList<>();
      for (int b = 0; b < others.length; b++) {
        if (results[c][b] instanceof Values.Error e) {
          refused.add(others[b].describe() + ": " + e.text());
        }
      }
      if (!refused.isEmpty()) {
        ReferenceCountUtil.release(children.get(index));
        String name =
            new String((byte[]) commands.get(c).args()[0], StandardCharsets.UTF_8)
                .toUpperCase(Locale.ROOT);
        children.set(
            index,
            new ErrorRedisMessage(
                "ERR ringlb: "
                    + name
                    + " ran on the transaction's backend but not on "
                    + String.join("; ", refused)));
      }
    }
    // The new array owns the children; the old one is dropped without releasing them.
    return new ArrayRedisMessage(children);
  }

  @Override
  void fail(String error) {
    reply.fail(error);
  }
}
