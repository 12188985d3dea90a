package chatpulse.peers.facts;

/**
 * A raw record that cannot be decoded or breaks the canonical model's rules: poison, which goes to
 * the dead-letter topic with its reason and never stops processing. Without a stack trace, since a
 * bad record is data, not a bug, and may be frequent.
 */
public final class DecodeException extends Exception {
    private static final long serialVersionUID = 1L;

    /** The reason codes, chatpulse's dead-letter reasons. */
    public enum Reason {
        MALFORMED_JSON("malformed_json"),
        WRONG_TYPE("wrong_type"),
        MISSING_FIELD("missing_field"),
        UNKNOWN_ENUM("unknown_enum"),
        UNKNOWN_KIND("unknown_kind"),
        BAD_TIMESTAMP("bad_timestamp"),
        INVALID("invalid_event"),
        TOO_LARGE("too_large");

        private final String code;

        Reason(String code) {
            this.code = code;
        }

        public String code() {
            return code;
        }
    }

    private final Reason reason;

    /** The message is "reason: detail", so that a dead-letter header made from it names the reason first. */
    public DecodeException(Reason reason, String detail) {
        super(reason.code() + ": " + detail, null, false, false);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
