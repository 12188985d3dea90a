package chatpulse.peers.facts;

/**
 * The headers of a dead letter, named as chatpulse's own (processor/raw.go), so that one consumer reads
 * the dead letters of chatpulse and of both peers alike. The value is the raw record, unchanged.
 */
public final class DeadLetters {
    /** The reason code, such as missing_field. */
    public static final String HEADER_REASON = "chatpulse.reason";
    /** The detail, starting with the reason code. */
    public static final String HEADER_ERROR = "chatpulse.error";
    public static final String HEADER_TOPIC = "chatpulse.source.topic";
    public static final String HEADER_PARTITION = "chatpulse.source.partition";
    public static final String HEADER_OFFSET = "chatpulse.source.offset";
    public static final String HEADER_FORMAT = "chatpulse.format";
    /** The format of every record the peers read. */
    public static final String FORMAT = "causalfoundry";

    private DeadLetters() {
    }
}
