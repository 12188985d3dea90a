package chatpulse.peers.facts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class GoldenTest {
    private final CausalFoundryDecoder decoder = new CausalFoundryDecoder();

    @Test
    void theDecoderDeadLettersExactlyTheLinesChatpulseDoesForTheSameReasons() {
        List<Golden.DeadLetter> dead = new ArrayList<>();
        for (Golden.Input in : Golden.input()) {
            try {
                decoder.decode(in.value(), in.timestamp(), u -> { });
            } catch (DecodeException e) {
                dead.add(new Golden.DeadLetter(in.line(), e.reason().code()));
            }
        }
        assertEquals(Golden.deadLetters(), dead);
    }

    @Test
    void theAggregatesGiveChatpulsesRowsInInputOrder() {
        assertEquals(Golden.expectedRows(), rows(updates()));
    }

    @Test
    void theAggregatesGiveTheSameRowsInAnyArrivalOrder() {
        List<Update> updates = updates();
        Map<String, FactsRow> want = Golden.expectedRows();
        List<Update> reversed = new ArrayList<>(updates);
        Collections.reverse(reversed);
        assertEquals(want, rows(reversed), "reversed");
        Random rnd = new Random(13);
        for (int i = 0; i < 50; i++) {
            List<Update> shuffled = new ArrayList<>(updates);
            Collections.shuffle(shuffled, rnd);
            assertEquals(want, rows(shuffled), "shuffle " + i);
        }
    }

    @Test
    void theStateSurvivesItsEncodingAtEveryStep() {
        Map<String, byte[]> store = new HashMap<>();
        for (Update u : updates()) {
            byte[] b = store.get(u.key());
            Facts f = b == null ? new Facts() : Codec.factsFromBytes(b);
            f.apply(u);
            store.put(u.key(), Codec.factsBytes(f));
        }
        Map<String, FactsRow> rows = new TreeMap<>();
        store.forEach((k, b) -> {
            Facts f = Codec.factsFromBytes(b);
            if (f.hasMessage()) {
                rows.put(k, f.row(k));
            }
        });
        assertEquals(Golden.expectedRows(), rows);
    }

    @Test
    void everyUpdateSurvivesItsEncoding() {
        List<Update> updates = updates();
        assertFalse(updates.isEmpty());
        for (Update u : updates) {
            assertEquals(u, Codec.updateFromBytes(Codec.updateBytes(u)));
        }
    }

    private List<Update> updates() {
        List<Update> out = new ArrayList<>();
        for (Golden.Input in : Golden.input()) {
            try {
                decoder.decode(in.value(), in.timestamp(), out::add);
            } catch (DecodeException e) {
                // dead letters are checked above
            }
        }
        return out;
    }

    /** The rows the aggregates give, with the row emitted last for each message, as a compacted topic keeps it. */
    static Map<String, FactsRow> rows(List<Update> updates) {
        Map<String, Facts> state = new HashMap<>();
        Map<String, FactsRow> emitted = new TreeMap<>();
        for (Update u : updates) {
            Facts f = state.computeIfAbsent(u.key(), k -> new Facts());
            if ((f.apply(u) & Facts.ROW_CHANGED) != 0) {
                emitted.put(u.key(), f.row(u.key()));
            }
        }
        state.forEach((k, f) -> {
            if (f.hasMessage()) {
                assertEquals(f.row(k), emitted.get(k), "the last row written for " + k + " is its final row");
            }
        });
        return emitted;
    }
}
