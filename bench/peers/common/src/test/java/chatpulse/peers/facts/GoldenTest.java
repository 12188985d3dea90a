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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class GoldenTest {
    private final CausalFoundryDecoder decoder = new CausalFoundryDecoder();

    static List<Golden> goldens() {
        return Golden.all();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("goldens")
    void theDecoderDeadLettersExactlyTheLinesChatpulseDoesForTheSameReasons(Golden golden) {
        List<Golden.DeadLetter> dead = new ArrayList<>();
        for (Golden.Input in : golden.input()) {
            try {
                decoder.decode(in.value(), in.timestamp(), u -> { });
            } catch (DecodeException e) {
                dead.add(new Golden.DeadLetter(in.line(), e.reason().code()));
            }
        }
        assertEquals(golden.deadLetters(), dead);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("goldens")
    void theAggregatesGiveChatpulsesRowsInInputOrder(Golden golden) {
        assertEquals(golden.expectedRows(), rows(updates(golden)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("goldens")
    void theAggregatesGiveTheSameRowsInAnyArrivalOrder(Golden golden) {
        List<Update> updates = updates(golden);
        Map<String, FactsRow> want = golden.expectedRows();
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

    @ParameterizedTest(name = "{0}")
    @MethodSource("goldens")
    void theStateSurvivesItsEncodingAtEveryStep(Golden golden) {
        Map<String, byte[]> store = new HashMap<>();
        for (Update u : updates(golden)) {
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
        assertEquals(golden.expectedRows(), rows);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("goldens")
    void everyUpdateSurvivesItsEncoding(Golden golden) {
        List<Update> updates = updates(golden);
        assertFalse(updates.isEmpty());
        for (Update u : updates) {
            assertEquals(u, Codec.updateFromBytes(Codec.updateBytes(u)));
        }
    }

    private List<Update> updates(Golden golden) {
        List<Update> out = new ArrayList<>();
        for (Golden.Input in : golden.input()) {
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
