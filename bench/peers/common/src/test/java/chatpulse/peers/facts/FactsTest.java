package chatpulse.peers.facts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

class FactsTest {
    private static final long T = 1_707_836_960_000L;
    private static final long TTL = 7L * 24 * 3600 * 1000;
    private static final MessageInfo INFO = new MessageInfo("whatsapp", "g", "user", "u", "group", "g", "", "text");

    @Test
    void aRemovalAndAnAddAtTheSameTimeLeaveNoReactionWhateverTheOrder() {
        for (boolean removalFirst : new boolean[] {false, true}) {
            Facts f = new Facts();
            f.apply(Update.message("m", T, INFO));
            Update add = Update.reaction("m", T + 5, "u2", "x", true);
            Update remove = Update.reaction("m", T + 5, "u2", "x", false);
            f.apply(removalFirst ? remove : add);
            f.apply(removalFirst ? add : remove);
            assertEquals(0, f.row("m").reactions(), "removal first: " + removalFirst);
        }
    }

    @Test
    void anOlderRemovalDoesNotTakeBackANewerAdd() {
        Facts f = new Facts();
        f.apply(Update.reaction("m", T + 9, "u2", "x", true));
        f.apply(Update.reaction("m", T + 5, "u2", "x", false));
        f.apply(Update.message("m", T, INFO));
        assertEquals(1, f.row("m").reactions());
    }

    @Test
    void aReceiptBeforeTheSendTimeCountsAsZeroLatency() {
        Facts f = new Facts();
        f.apply(Update.receipt("m", T - 700, ReceiptStatus.READ, "u2"));
        f.apply(Update.message("m", T, INFO));
        FactsRow r = f.row("m");
        assertEquals(0L, r.deliveredLatencyMs());
        assertEquals(0L, r.readLatencyMs());
    }

    @Test
    void aDuplicateChangesNeitherStateNorRow() {
        Facts f = new Facts();
        assertEquals(Facts.STATE_CHANGED | Facts.ROW_CHANGED, f.apply(Update.message("m", T, INFO)));
        assertEquals(0, f.apply(Update.message("m", T + 1, INFO)), "a second copy of the message");
        assertEquals(Facts.STATE_CHANGED | Facts.ROW_CHANGED, f.apply(Update.receipt("m", T + 10, ReceiptStatus.FAILED, "")));
        assertEquals(0, f.apply(Update.receipt("m", T + 20, ReceiptStatus.FAILED, "")), "a second failed receipt");
        assertEquals(Facts.STATE_CHANGED | Facts.ROW_CHANGED, f.apply(Update.reply("m", T + 30, "r")));
        assertEquals(0, f.apply(Update.reply("m", T + 30, "r")), "the same reply again");
        assertEquals(0, f.apply(Update.receipt("m", T + 40, ReceiptStatus.SENT, "")), "a sent receipt");
    }

    @Test
    void aReceiptThatOnlyMovesAClampedLatencyWritesNoRow() {
        Facts f = new Facts();
        f.apply(Update.message("m", T, INFO));
        f.apply(Update.receipt("m", T - 5, ReceiptStatus.DELIVERED, ""));
        assertEquals(Facts.STATE_CHANGED, f.apply(Update.receipt("m", T - 9, ReceiptStatus.DELIVERED, "")));
    }

    @Test
    void aMessageExpiresATtlAfterItWasSentAndAPendingEntryATtlAfterItsFirstEvent() {
        Facts f = new Facts();
        f.apply(Update.receipt("m", T + 100, ReceiptStatus.READ, ""));
        f.apply(Update.receipt("m", T + 50, ReceiptStatus.DELIVERED, ""));
        assertEquals(T + 50 + TTL, f.expiresAtMs(TTL));
        f.apply(Update.message("m", T, INFO));
        assertEquals(T + TTL, f.expiresAtMs(TTL));
    }

    @Test
    void aMessageWithoutJoinsHasNullLatenciesAndZeroCounts() {
        Facts f = new Facts();
        f.apply(Update.message("m", T, INFO));
        FactsRow r = f.row("m");
        assertNull(r.deliveredLatencyMs());
        assertNull(r.readLatencyMs());
        assertNull(r.firstReplyLatencyMs());
        assertEquals(0, r.replies());
        assertEquals(0, r.reactions());
    }

    @Test
    void aRowSurvivesItsJson() throws Exception {
        Facts f = new Facts();
        f.apply(Update.message("m\"1", T + 999, INFO));
        f.apply(Update.reply("m\"1", T + 5000, "r"));
        FactsRow r = f.row("m\"1");
        assertEquals("2024-02-13 15:09:20", r.sentAt());
        assertEquals(r, FactsRow.fromJson(r.toJson()));
    }
}
