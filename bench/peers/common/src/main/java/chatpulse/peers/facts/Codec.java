package chatpulse.peers.facts;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInput;
import java.io.DataInputStream;
import java.io.DataOutput;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The compact binary forms of {@link Update} (what the repartition step carries) and {@link Facts} (what
 * the state store holds). A leading version byte lets a later layout read the old one. Strings are
 * modified UTF-8 with a two-byte length: ids are at most 256 bytes.
 */
public final class Codec {
    private static final int VERSION = 1;
    private static final Update.Kind[] KINDS = Update.Kind.values();

    private Codec() {
    }

    public static void writeUpdate(Update u, DataOutput out) throws IOException {
        out.writeByte(VERSION);
        out.writeByte(u.kind().ordinal());
        out.writeUTF(u.key());
        out.writeLong(u.atMs());
        switch (u.kind()) {
            case MESSAGE -> writeMessage(u.message(), out);
            case RECEIPT -> {
                out.writeByte(u.status().ordinal());
                out.writeUTF(u.id());
            }
            case REPLY -> out.writeUTF(u.id());
            case REACTION -> {
                out.writeUTF(u.id());
                out.writeUTF(u.emoji());
                out.writeBoolean(u.present());
            }
        }
    }

    public static Update readUpdate(DataInput in) throws IOException {
        version(in);
        Update.Kind kind = KINDS[in.readUnsignedByte()];
        String key = in.readUTF();
        long at = in.readLong();
        return switch (kind) {
            case MESSAGE -> Update.message(key, at, readMessage(in));
            case RECEIPT -> {
                ReceiptStatus st = ReceiptStatus.ofOrdinal(in.readUnsignedByte());
                yield Update.receipt(key, at, st, in.readUTF());
            }
            case REPLY -> Update.reply(key, at, in.readUTF());
            case REACTION -> Update.reaction(key, at, in.readUTF(), in.readUTF(), in.readBoolean());
        };
    }

    public static void writeFacts(Facts f, DataOutput out) throws IOException {
        out.writeByte(VERSION);
        int flags = (f.message != null ? 1 : 0) | (f.failed ? 2 : 0) | (f.deleted ? 4 : 0);
        out.writeByte(flags);
        if (f.message != null) {
            out.writeLong(f.sentAtMs);
            writeMessage(f.message, out);
        }
        out.writeLong(f.firstSeenAtMs);
        out.writeLong(f.deliveredAtMs);
        out.writeLong(f.readAtMs);
        out.writeLong(f.firstReplyAtMs);
        out.writeInt(f.replyIds.size());
        for (String id : f.replyIds) {
            out.writeUTF(id);
        }
        out.writeInt(f.reactions.size());
        for (Facts.Reaction r : f.reactions) {
            out.writeUTF(r.actor);
            out.writeUTF(r.emoji);
            out.writeLong(r.atMs);
            out.writeBoolean(r.present);
        }
    }

    public static Facts readFacts(DataInput in) throws IOException {
        version(in);
        int flags = in.readUnsignedByte();
        MessageInfo message = null;
        long sentAt = 0;
        if ((flags & 1) != 0) {
            sentAt = in.readLong();
            message = readMessage(in);
        }
        long firstSeen = in.readLong();
        long delivered = in.readLong();
        long read = in.readLong();
        long firstReply = in.readLong();
        int nReplies = in.readInt();
        Set<String> replies = new HashSet<>(Math.max(4, nReplies * 2));
        for (int i = 0; i < nReplies; i++) {
            replies.add(in.readUTF());
        }
        int nReactions = in.readInt();
        List<Facts.Reaction> reactions = new ArrayList<>(Math.max(2, nReactions));
        for (int i = 0; i < nReactions; i++) {
            reactions.add(new Facts.Reaction(in.readUTF(), in.readUTF(), in.readLong(), in.readBoolean()));
        }
        Facts f = new Facts(replies, reactions);
        f.message = message;
        f.sentAtMs = sentAt;
        f.firstSeenAtMs = firstSeen;
        f.deliveredAtMs = delivered;
        f.readAtMs = read;
        f.firstReplyAtMs = firstReply;
        f.failed = (flags & 2) != 0;
        f.deleted = (flags & 4) != 0;
        return f;
    }

    public static byte[] updateBytes(Update u) {
        ByteArrayOutputStream buf = new ByteArrayOutputStream(128);
        try {
            writeUpdate(u, new DataOutputStream(buf));
        } catch (IOException e) {
            throw new UncheckedIOException("encode update", e);
        }
        return buf.toByteArray();
    }

    public static Update updateFromBytes(byte[] b) {
        try {
            return readUpdate(new DataInputStream(new ByteArrayInputStream(b)));
        } catch (IOException e) {
            throw new UncheckedIOException("decode update", e);
        }
    }

    public static byte[] factsBytes(Facts f) {
        ByteArrayOutputStream buf = new ByteArrayOutputStream(256);
        try {
            writeFacts(f, new DataOutputStream(buf));
        } catch (IOException e) {
            throw new UncheckedIOException("encode facts", e);
        }
        return buf.toByteArray();
    }

    public static Facts factsFromBytes(byte[] b) {
        try {
            return readFacts(new DataInputStream(new ByteArrayInputStream(b)));
        } catch (IOException e) {
            throw new UncheckedIOException("decode facts", e);
        }
    }

    private static void writeMessage(MessageInfo m, DataOutput out) throws IOException {
        out.writeUTF(m.platform());
        out.writeUTF(m.conversationId());
        out.writeUTF(m.senderType());
        out.writeUTF(m.senderId());
        out.writeUTF(m.recipientType());
        out.writeUTF(m.recipientId());
        out.writeUTF(m.parentMsgId());
        out.writeUTF(m.contentType());
    }

    private static MessageInfo readMessage(DataInput in) throws IOException {
        return new MessageInfo(in.readUTF(), in.readUTF(), in.readUTF(), in.readUTF(), in.readUTF(), in.readUTF(),
                in.readUTF(), in.readUTF());
    }

    private static void version(DataInput in) throws IOException {
        int v = in.readUnsignedByte();
        if (v != VERSION) {
            throw new IOException("unknown encoding version " + v);
        }
    }
}
