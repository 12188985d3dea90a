package chatpulse.peers.facts;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The join state of one message id: the message once it has arrived, and what its receipts, replies and
 * reactions contribute, in any arrival order. It holds aggregates, not events, so a pending message costs
 * a few dozen bytes plus its reply ids and reactions, and the result is the same whatever the order.
 *
 * <p>Its row follows chatpulse's message_facts (sink/schema.go, join/state.go):
 *
 * <ul>
 *   <li>the first message with the id wins; a later copy changes nothing;
 *   <li>delivered latency is the first delivered-or-read receipt time minus the send time (a read implies
 *       delivery), read latency the first read receipt's; a latency below zero is 0;
 *   <li>failed and deleted say whether such a receipt was seen; a "sent" receipt changes nothing;
 *   <li>replies counts distinct reply message ids; the first reply latency is the earliest reply's;
 *   <li>reactions counts the (actor, emoji) pairs whose latest event is an add; when an add and a removal
 *       share a time the removal wins.
 * </ul>
 *
 * Not thread-safe: one task owns each key.
 */
public final class Facts {
    /** {@link #apply} result bit: the state changed and must be stored. */
    public static final int STATE_CHANGED = 1;
    /** {@link #apply} result bit: the message's row changed and must be written. */
    public static final int ROW_CHANGED = 2;

    static final long NONE = Long.MAX_VALUE;

    MessageInfo message; // null while the message has not arrived
    long sentAtMs;
    long firstSeenAtMs = NONE;
    long deliveredAtMs = NONE;
    long readAtMs = NONE;
    boolean failed;
    boolean deleted;
    final Set<String> replyIds;
    long firstReplyAtMs = NONE;
    final List<Reaction> reactions;

    /** One (actor, emoji) pair's latest event. */
    static final class Reaction {
        final String actor;
        final String emoji;
        long atMs;
        boolean present;

        Reaction(String actor, String emoji, long atMs, boolean present) {
            this.actor = actor;
            this.emoji = emoji;
            this.atMs = atMs;
            this.present = present;
        }
    }

    public Facts() {
        this(new HashSet<>(4), new ArrayList<>(2));
    }

    Facts(Set<String> replyIds, List<Reaction> reactions) {
        this.replyIds = replyIds;
        this.reactions = reactions;
    }

    /** Whether the message itself has arrived, so that the entry has a row. */
    public boolean hasMessage() {
        return message != null;
    }

    /**
     * Applies u, which must belong to this entry's message id.
     *
     * @return {@link #STATE_CHANGED} and {@link #ROW_CHANGED} bits
     */
    public int apply(Update u) {
        int flags = 0;
        boolean known = message != null;
        if (!known && u.atMs() < firstSeenAtMs) {
            firstSeenAtMs = u.atMs(); // only a pending entry's expiry depends on it
            flags = STATE_CHANGED;
        }
        switch (u.kind()) {
            case MESSAGE -> {
                if (known) {
                    return flags; // a copy of a message already seen changes nothing
                }
                message = u.message();
                sentAtMs = u.atMs();
                return STATE_CHANGED | ROW_CHANGED;
            }
            case RECEIPT -> {
                long at = u.atMs();
                switch (u.status()) {
                    case DELIVERED, READ -> {
                        if (at < deliveredAtMs) {
                            long before = latency(deliveredAtMs);
                            deliveredAtMs = at;
                            flags |= STATE_CHANGED | rowBit(known && latency(at) != before);
                        }
                        if (u.status() == ReceiptStatus.READ && at < readAtMs) {
                            long before = latency(readAtMs);
                            readAtMs = at;
                            flags |= STATE_CHANGED | rowBit(known && latency(at) != before);
                        }
                    }
                    case FAILED -> {
                        if (!failed) {
                            failed = true;
                            flags |= STATE_CHANGED | rowBit(known);
                        }
                    }
                    case DELETED -> {
                        if (!deleted) {
                            deleted = true;
                            flags |= STATE_CHANGED | rowBit(known);
                        }
                    }
                    case SENT -> {
                        // the message's own send time is its event time: a sent receipt adds nothing
                    }
                }
                return flags;
            }
            case REPLY -> {
                if (replyIds.add(u.id())) {
                    flags |= STATE_CHANGED | rowBit(known);
                }
                if (u.atMs() < firstReplyAtMs) {
                    long before = latency(firstReplyAtMs);
                    firstReplyAtMs = u.atMs();
                    flags |= STATE_CHANGED | rowBit(known && latency(firstReplyAtMs) != before);
                }
                return flags;
            }
            case REACTION -> {
                return flags | reaction(u, known);
            }
        }
        throw new IllegalArgumentException("unknown update kind " + u.kind());
    }

    private int reaction(Update u, boolean known) {
        for (Reaction r : reactions) {
            if (r.actor.equals(u.id()) && r.emoji.equals(u.emoji())) {
                boolean newer = u.atMs() > r.atMs || (u.atMs() == r.atMs && r.present && !u.present());
                if (!newer) {
                    return 0;
                }
                boolean flipped = r.present != u.present();
                r.atMs = u.atMs();
                r.present = u.present();
                return STATE_CHANGED | rowBit(known && flipped);
            }
        }
        reactions.add(new Reaction(u.id(), u.emoji(), u.atMs(), u.present()));
        return STATE_CHANGED | rowBit(known && u.present());
    }

    private static int rowBit(boolean changed) {
        return changed ? ROW_CHANGED : 0;
    }

    /** The latency of an event at at, never below 0; NONE for NONE. */
    private long latency(long at) {
        return at == NONE ? NONE : Math.max(0, at - sentAtMs);
    }

    private Long nullableLatency(long at) {
        return at == NONE ? null : Math.max(0, at - sentAtMs);
    }

    /**
     * When the entry may be dropped, in event time: a message TTL after it was sent; an entry still
     * waiting for its message TTL after the first thing that arrived for it.
     */
    public long expiresAtMs(long ttlMs) {
        long from = message != null ? sentAtMs : firstSeenAtMs;
        return from >= Long.MAX_VALUE - ttlMs ? Long.MAX_VALUE : from + ttlMs;
    }

    /** The message_facts row of msgId; only for an entry that {@link #hasMessage()}. */
    public FactsRow row(String msgId) {
        if (message == null) {
            throw new IllegalStateException("no message " + msgId + " yet");
        }
        int present = 0;
        for (Reaction r : reactions) {
            if (r.present) {
                present++;
            }
        }
        MessageInfo m = message;
        return new FactsRow(FactsRow.SOURCE, "", m.platform(), msgId, m.conversationId(), m.senderType(), m.senderId(),
                m.recipientType(), m.recipientId(), m.parentMsgId(), m.contentType(), sentAtMs,
                nullableLatency(deliveredAtMs), nullableLatency(readAtMs), failed, deleted, replyIds.size(),
                replyIds.isEmpty() ? null : nullableLatency(firstReplyAtMs), present);
    }
}
