package chatpulse.peers.facts;

/**
 * The static description of a message: the columns of its message_facts row that the message itself
 * decides. Its send time travels in the {@link Update} that carries it.
 */
public record MessageInfo(
        String platform,
        String conversationId,
        String senderType,
        String senderId,
        String recipientType,
        String recipientId,
        String parentMsgId,
        String contentType) {
}
