package io.ringlb.server.embedded;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Redis's DUMP payload of a string value: the RDB string type, the value in RDB's string encoding
 * (a small integer as RDB's 8, 16 or 32-bit integer, anything else length-prefixed), RDB version 10
 * (Redis 7.0's) and a CRC-64 (Jones, reflected) of all that. Reading also takes RDB's
 * LZF-compressed strings, which redis-server writes for longer values; writing never compresses,
 * which redis-server reads as well.
 */
final class DumpFormat {

  /** The RDB version Redis 7.0 writes and the newest it reads. */
  static final int RDB_VERSION = 10;

  private static final int TYPE_STRING = 0;
  private static final int ENC_INT8 = 0;
  private static final int ENC_INT16 = 1;
  private static final int ENC_INT32 = 2;
  private static final int ENC_LZF = 3;

  private static final long[] CRC_TABLE = crcTable();

  private DumpFormat() {}

  /** The payload could not be read: Redis's "Bad data format". */
  static final class BadFormat extends Exception {
    private static final long serialVersionUID = 1L;

    BadFormat(String why) {
      super(why, null, false, false);
    }
  }

  /** Returns the DUMP payload of string value {@code value}. */
  static byte[] dump(byte[] value) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(value.length + 16);
    out.write(TYPE_STRING);
    writeString(out, value);
    return footed(out);
  }

  /** Returns {@code body} followed by the RDB version and the CRC of both. */
  static byte[] footed(ByteArrayOutputStream body) {
    body.write(RDB_VERSION & 0xFF);
    body.write(RDB_VERSION >>> 8);
    byte[] head = body.toByteArray();
    long crc = crc64(head, head.length);
    byte[] out = Arrays.copyOf(head, head.length + 8);
    for (int i = 0; i < 8; i++) {
      out[head.length + i] = (byte) (crc >>> (8 * i));
    }
    return out;
  }

  /** Returns whether the payload has a version Redis 7.0 reads and a matching CRC. */
  static boolean verify(byte[] payload) {
    int n = payload.length;
    if (n < 10) {
      return false;
    }
    int version = (payload[n - 10] & 0xFF) | (payload[n - 9] & 0xFF) << 8;
    if (version > RDB_VERSION) {
      return false;
    }
    long crc = crc64(payload, n - 8);
    for (int i = 0; i < 8; i++) {
      if (payload[n - 8 + i] != (byte) (crc >>> (8 * i))) {
        return false;
      }
    }
    return true;
  }

  /** Returns the payload's body: what comes before its version and CRC. */
  static int bodyLength(byte[] verified) {
    return verified.length - 10;
  }

  /**
   * Returns the string value of a verified payload.
   *
   * @throws BadFormat when it is not a string, or not well formed
   */
  static byte[] restore(byte[] payload) throws BadFormat {
    Reader in = new Reader(payload, bodyLength(payload));
    int type = in.next();
    if (type != TYPE_STRING) {
      throw new BadFormat("type " + type);
    }
    return in.string();
  }

  private static void writeString(ByteArrayOutputStream out, byte[] value) {
    if (value.length <= 11 && NumberCommands.isLong(value)) {
      long v = Long.parseLong(new String(value, StandardCharsets.US_ASCII));
      if (v >= Byte.MIN_VALUE && v <= Byte.MAX_VALUE) {
        out.write(0xC0 | ENC_INT8);
        out.write((int) v);
        return;
      }
      if (v >= Short.MIN_VALUE && v <= Short.MAX_VALUE) {
        out.write(0xC0 | ENC_INT16);
        out.write((int) v);
        out.write((int) (v >> 8));
        return;
      }
      if (v >= Integer.MIN_VALUE && v <= Integer.MAX_VALUE) {
        out.write(0xC0 | ENC_INT32);
        for (int i = 0; i < 4; i++) {
          out.write((int) (v >> (8 * i)));
        }
        return;
      }
    }
    writeLength(out, value.length);
    out.write(value, 0, value.length);
  }

  private static void writeLength(ByteArrayOutputStream out, long length) {
    if (length < 64) {
      out.write((int) length);
    } else if (length < 16384) {
      out.write(0x40 | (int) (length >> 8));
      out.write((int) length);
    } else if (length <= 0xFFFF_FFFFL) {
      out.write(0x80);
      for (int i = 3; i >= 0; i--) {
        out.write((int) (length >> (8 * i)));
      }
    } else {
      out.write(0x81);
      for (int i = 7; i >= 0; i--) {
        out.write((int) (length >> (8 * i)));
      }
    }
  }

  /** Reads RDB's encodings from a payload's body. */
  private static final class Reader {
    private final byte[] data;
    private final int end;
    private int pos;

    Reader(byte[] data, int end) {
      this.data = data;
      this.end = end;
    }

    int next() throws BadFormat {
      if (pos >= end) {
        throw new BadFormat("truncated");
      }
      return data[pos++] & 0xFF;
    }

    /** Returns a length, or {@code -1 - encoding} for a specially encoded string. */
    long length() throws BadFormat {
      int first = next();
      switch (first >> 6) {
        case 0:
          return first & 0x3F;
        case 1:
          return ((first & 0x3F) << 8) | next();
        case 3:
          return -1 - (first & 0x3F);
        default:
          int bytes = first == 0x80 ? 4 : first == 0x81 ? 8 : -1;
          if (bytes < 0) {
            throw new BadFormat("length " + first);
          }
          long v = 0;
          for (int i = 0; i < bytes; i++) {
            v = (v << 8) | next();
          }
          return v;
      }
    }

    byte[] string() throws BadFormat {
      long length = length();
      if (length < 0) {
        int encoding = (int) (-1 - length);
        switch (encoding) {
          case ENC_INT8:
            return Long.toString((byte) next()).getBytes(StandardCharsets.US_ASCII);
          case ENC_INT16:
            return Long.toString((short) (next() | next() << 8))
                .getBytes(StandardCharsets.US_ASCII);
          case ENC_INT32:
            return Long.toString(next() | next() << 8 | next() << 16 | next() << 24)
                .getBytes(StandardCharsets.US_ASCII);
          case ENC_LZF:
            return lzf();
          default:
            throw new BadFormat("string encoding " + encoding);
        }
      }
      return take(length);
    }

    private byte[] take(long length) throws BadFormat {
      if (length > end - pos) {
        throw new BadFormat("truncated");
      }
      byte[] out = Arrays.copyOfRange(data, pos, pos + (int) length);
      pos += (int) length;
      return out;
    }

    /** LZF: literal runs (control byte under 32) and back references into the output. */
    private byte[] lzf() throws BadFormat {
      long compressed = length();
      long length = length();
      if (compressed < 0 || length < 0 || length > Integer.MAX_VALUE - 16) {
        throw new BadFormat("lzf lengths");
      }
      byte[] in = take(compressed);
      byte[] out = new byte[(int) length];
      int o = 0;
      int i = 0;
      while (i < in.length) {
        int ctrl = in[i++] & 0xFF;
        if (ctrl < 32) {
          int run = ctrl + 1;
          if (i + run > in.length || o + run > out.length) {
            throw new BadFormat("lzf literal");
          }
          System.arraycopy(in, i, out, o, run);
          i += run;
          o += run;
        } else {
          int len = ctrl >> 5;
          if (len == 7) {
            if (i >= in.length) {
              throw new BadFormat("lzf length");
            }
            len += in[i++] & 0xFF;
          }
          if (i >= in.length) {
            throw new BadFormat("lzf reference");
          }
          int ref = o - ((ctrl & 0x1F) << 8) - (in[i++] & 0xFF) - 1;
          len += 2;
          if (ref < 0 || o + len > out.length) {
            throw new BadFormat("lzf reference");
          }
          for (int k = 0; k < len; k++) {
            out[o++] = out[ref + k]; // may overlap what it writes, byte by byte
          }
        }
      }
      if (o != out.length) {
        throw new BadFormat("lzf length");
      }
      return out;
    }
  }

  /** CRC-64/Jones as Redis computes it (reflected, initial value 0, no final xor). */
  static long crc64(byte[] data, int length) {
    long crc = 0;
    for (int i = 0; i < length; i++) {
      crc = CRC_TABLE[(int) ((crc ^ data[i]) & 0xFF)] ^ (crc >>> 8);
    }
    return crc;
  }

  private static long[] crcTable() {
    long poly = Long.reverse(0xad93d23594c935a9L);
    long[] table = new long[256];
    for (int n = 0; n < 256; n++) {
      long c = n;
      for (int k = 0; k < 8; k++) {
        c = (c & 1) != 0 ? (c >>> 1) ^ poly : c >>> 1;
      }
      table[n] = c;
    }
    return table;
  }
}
