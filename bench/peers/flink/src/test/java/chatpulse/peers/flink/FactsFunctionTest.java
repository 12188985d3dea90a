package chatpulse.peers.flink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import chatpulse.peers.facts.CausalFoundryDecoder;
import chatpulse.peers.facts.DecodeException;
import chatpulse.peers.facts.FactsRow;
import chatpulse.peers.facts.Golden;
import chatpulse.peers.facts.MessageInfo;
import chatpulse.peers.facts.ReceiptStatus;
import chatpulse.peers.facts.Update;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.state.StateBackend;
import org.apache.flink.runtime.state.hashmap.HashMapStateBackend;
import org.apache.flink.state.rocksdb.EmbeddedRocksDBStateBackend;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

@SuppressWarnings("try") // the harness's close() may throw InterruptedException; a test lets it
class FactsFunctionTest {
    private static final Duration TTL = Duration.ofDays(7);
    private static final long T = 1_707_836_960_000L;

    /** The function on RocksDB state, as the job runs it. */
    private static KeyedOneInputStreamOperatorTestHarness<String, Update, FactsRow> harness() throws Exception {
        return harness(new EmbeddedRocksDBStateBackend());
    }

    /** The function on heap state, whose entries the harness can count. */
    private static KeyedOneInputStreamOperatorTestHarness<String, Update, FactsRow> heapHarness() throws Exception {
        return harness(new HashMapStateBackend());
    }

    private static KeyedOneInputStreamOperatorTestHarness<String, Update, FactsRow> harness(StateBackend backend) throws Exception {
        var h = new KeyedOneInputStreamOperatorTestHarness<>(new KeyedProcessOperator<>(new FactsFunction(TTL)), Update::key, Types.STRING);
        h.setStateBackend(backend);
        h.open();
        return h;
    }

    private static List<Update> goldenUpdates(Golden golden) {
        CausalFoundryDecoder decoder = new CausalFoundryDecoder();
        List<Update> out = new ArrayList<>();
        for (Golden.Input in : golden.input()) {
            try {
                decoder.decode(in.value(), in.timestamp(), out::add);
            } catch (DecodeException e) {
                // poison: no update
            }
        }
        return out;
    }

    private static Map<String, FactsRow> latest(List<FactsRow> rows) {
        Map<String, FactsRow> m = new TreeMap<>();
        rows.forEach(r -> m.put(r.msgId(), r));
        return m;
    }

    static List<Golden> goldens() {
        return Golden.all();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("goldens")
    void theGoldenUpdatesInReverseOrderGiveChatpulsesRows(Golden golden) throws Exception {
        List<Update> updates = goldenUpdates(golden);
        Collections.reverse(updates);
        try (var h = harness()) {
            for (Update u : updates) {
                h.processElement(u, u.atMs());
            }
            assertEquals(golden.expectedRows(), latest(h.extractOutputValues()));
        }
    }

    @Test
    void theWatermarkPassingTheTtlDropsTheMessageAndALateReceiptChangesNothing() throws Exception {
        MessageInfo info = new MessageInfo("web", "g", "user", "u", "group", "g", "", "text");
        try (var h = heapHarness()) {
            h.processElement(Update.message("m", T, info), T);
            h.processElement(Update.receipt("orphan", T + 1000, ReceiptStatus.READ, ""), T + 1000);
            assertEquals(2, h.numKeyedStateEntries());
            h.processWatermark(T + TTL.toMillis());
            assertEquals(2, h.numKeyedStateEntries(), "nothing expires at exactly its TTL");
            h.processWatermark(T + TTL.toMillis() + 1001);
            assertEquals(0, h.numKeyedStateEntries(), "both expire once the watermark passes their TTL");
            int rows = h.extractOutputValues().size();
            h.processElement(Update.receipt("m", T + TTL.toMillis() + 2000, ReceiptStatus.READ, ""), T + TTL.toMillis() + 2000);
            assertEquals(rows, h.extractOutputValues().size(), "a receipt for a forgotten message writes no row");
            h.processElement(Update.message("orphan", T, info), T);
            List<FactsRow> out = h.extractOutputValues();
            FactsRow orphan = out.get(out.size() - 1);
            assertEquals("orphan", orphan.msgId());
            assertNull(orphan.readLatencyMs(), "the receipt that waited a TTL was dropped");
        }
    }

    @Test
    void aMessageArrivingAfterItsReceiptsMovesTheExpiryToItsSendTime() throws Exception {
        MessageInfo info = new MessageInfo("web", "g", "user", "u", "group", "g", "", "text");
        try (var h = heapHarness()) {
            h.processElement(Update.receipt("m", T + 5000, ReceiptStatus.DELIVERED, ""), T + 5000);
            h.processElement(Update.message("m", T, info), T);
            h.processWatermark(T + TTL.toMillis() + 1);
            assertEquals(0, h.numKeyedStateEntries());
            assertTrue(h.extractOutputValues().stream().anyMatch(r -> Long.valueOf(5000).equals(r.deliveredLatencyMs())));
        }
    }
}
