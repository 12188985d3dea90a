package chatpulse.peers.facts;

/**
 * One change to the facts of the message whose id is {@code key}: the message itself, or a receipt,
 * reply or reaction that joins it. A Causal Foundry record yields one update, or two for a reply
 * (the message at its own id and the reply at its parent's). Updates are what the peers repartition
 * by message id.
 *
 * <p>Fields that do not apply to the kind are null (false for {@code present}).
 *
 * @param key the message id the update belongs to: the state key
 * @param atMs the event time, epoch milliseconds
 * @param message the message's description, for {@link Kind#MESSAGE}
 * @param id the reply's own message id, the receipt's member ("" when none) or the reacting actor
 * @param emoji the reaction's emoji
 * @param status the receipt's status
 * @param present whether the reaction is being added (true) or taken away
 */
public record Update(
        String key,
        Kind kind,
        long atMs,
        MessageInfo message,
        String id,
        String emoji,
        ReceiptStatus status,
        boolean present) {

    /** What an update is. */
    public enum Kind {
        MESSAGE,
        RECEIPT,
        REPLY,
        REACTION
    }

    public static Update message(String msgId, long atMs, MessageInfo info) {
        return new Update(msgId, Kind.MESSAGE, atMs, info, null, null, null, false);
    }

    public static Update receipt(String msgId, long atMs, ReceiptStatus status, String member) {
        return new Update(msgId, Kind.RECEIPT, atMs, null, member, null, status, false);
    }

    public static Update reply(String parentMsgId, long atMs, String replyMsgId) {
        return new Update(parentMsgId, Kind.REPLY, atMs, null, replyMsgId, null, null, false);
    }

    public static Update reaction(String targetMsgId, long atMs, String actorId, String emoji, boolean present) {
        return new Update(targetMsgId, Kind.REACTION, atMs, null, actorId, emoji, null, present);
    }
}
