package chatpulse.peers.facts;

/** The status a receipt reports; the names are chatpulse's, matched exactly (lower case). */
public enum ReceiptStatus {
    SENT("sent"),
    DELIVERED("delivered"),
    READ("read"),
    FAILED("failed"),
    DELETED("deleted");

    private static final ReceiptStatus[] ALL = values();

    private final String wire;

    ReceiptStatus(String wire) {
        this.wire = wire;
    }

    /** Returns the status named s, or null when s names none. */
    public static ReceiptStatus parse(String s) {
        for (ReceiptStatus st : ALL) {
            if (st.wire.equals(s)) {
                return st;
            }
        }
        return null;
    }

    static ReceiptStatus ofOrdinal(int i) {
        return ALL[i];
    }
}
