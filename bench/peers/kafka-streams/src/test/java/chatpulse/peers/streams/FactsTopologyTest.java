package chatpulse.peers.streams;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import chatpulse.peers.facts.DeadLetters;
import chatpulse.peers.facts.Facts;
import chatpulse.peers.facts.FactsRow;
import chatpulse.peers.facts.Golden;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class FactsTopologyTest {
    private static final String IN = "causalfoundry";
    private static final String OUT = "message_facts";
    private static final String DLQ = "causalfoundry.dlq";
    private static final Duration TTL = Duration.ofDays(7);

    @TempDir
    Path stateDir;

    /** The application's own configuration, with the test's state directory. */
    private TopologyTestDriver driver() {
        Settings s = Settings.fromEnv(Map.of("PEERS_STATE_DIR", stateDir.toString(), "PEERS_THREADS", "1",
                "PEERS_ROCKSDB_MEMORY_BYTES", String.valueOf(32 << 20)));
        return new TopologyTestDriver(FactsTopology.build(IN, OUT, TTL), s.streamsConfig());
    }

    private static TestInputTopic<byte[], byte[]> input(TopologyTestDriver d) {
        return d.createInputTopic(IN, new ByteArraySerializer(), new ByteArraySerializer());
    }

    private static TestOutputTopic<String, FactsRow> output(TopologyTestDriver d) {
        return d.createOutputTopic(OUT, new StringDeserializer(), Serdes.row().deserializer());
    }

    /** Pipes records in the given order and returns the latest row per msg_id, as compaction keeps it. */
    private Map<String, FactsRow> run(List<Golden.Input> records) {
        try (TopologyTestDriver d = driver()) {
            TestInputTopic<byte[], byte[]> in = input(d);
            for (Golden.Input r : records) {
                in.pipeInput(null, r.value(), Instant.ofEpochMilli(r.timestamp()));
            }
            return new TreeMap<>(output(d).readKeyValuesToMap());
        }
    }

    static List<Golden> goldens() {
        return Golden.all();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("goldens")
    void theGoldenInputGivesChatpulsesRows(Golden golden) {
        assertEquals(golden.expectedRows(), run(golden.input()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("goldens")
    void theGoldenInputGivesTheSameRowsReversedAndShuffled(Golden golden) {
        Map<String, FactsRow> want = golden.expectedRows();
        List<Golden.Input> records = new ArrayList<>(golden.input());
        Collections.reverse(records);
        assertEquals(want, run(records), "reversed");
        Random rnd = new Random(13);
        for (int i = 0; i < 2; i++) {
            Collections.shuffle(records, rnd);
            assertEquals(want, run(records), "shuffle " + i);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("goldens")
    void poisonRecordsGoToTheDeadLetterTopicUnchangedWithTheirReason(Golden golden) {
        Map<Integer, Golden.Input> byLine = new HashMap<>();
        golden.input().forEach(r -> byLine.put(r.line(), r));
        try (TopologyTestDriver d = driver()) {
            TestInputTopic<byte[], byte[]> in = input(d);
            for (Golden.Input r : golden.input()) {
                in.pipeInput(null, r.value(), Instant.ofEpochMilli(r.timestamp()));
            }
            List<TestRecord<byte[], byte[]>> dead = d.createOutputTopic(DLQ, new ByteArrayDeserializer(), new ByteArrayDeserializer())
                    .readRecordsToList();
            List<Golden.DeadLetter> want = golden.deadLetters();
            assertEquals(want.size(), dead.size());
            for (int i = 0; i < want.size(); i++) {
                TestRecord<byte[], byte[]> rec = dead.get(i);
                int line = want.get(i).line();
                assertArrayEquals(byLine.get(line).value(), rec.value(), "dead letter " + i + " is the raw record");
                assertEquals(want.get(i).reason(), header(rec, DeadLetters.HEADER_REASON), "line " + line);
                assertTrue(header(rec, DeadLetters.HEADER_ERROR).startsWith(want.get(i).reason() + ": "));
                assertEquals(IN, header(rec, DeadLetters.HEADER_TOPIC));
                assertEquals(String.valueOf(line - 1), header(rec, DeadLetters.HEADER_OFFSET), "offsets count from 0");
            }
        }
    }

    @Test
    void aMessageIsForgottenATtlAfterItWasSentAndAPendingReceiptATtlAfterItArrived() {
        long t = 1_707_836_960_000L;
        try (TopologyTestDriver d = driver()) {
            TestInputTopic<byte[], byte[]> in = input(d);
            TestOutputTopic<String, FactsRow> out = output(d);
            KeyValueStore<String, Facts> store = d.getKeyValueStore(FactsTopology.STORE);
            in.pipeInput(null, message("m", t), Instant.ofEpochMilli(t));
            in.pipeInput(null, receipt("orphan", "read", t + 1000), Instant.ofEpochMilli(t));
            assertNotNull(store.get("m"));
            assertNotNull(store.get("orphan"));
            // stream time moves past both TTLs: the sweep drops them
            long later = t + TTL.toMillis() + Duration.ofDays(1).toMillis();
            in.pipeInput(null, message("x", later), Instant.ofEpochMilli(later));
            in.pipeInput(null, message("y", later + 1), Instant.ofEpochMilli(later));
            assertNull(store.get("m"), "the message is forgotten");
            assertNull(store.get("orphan"), "the receipt that waited a TTL is dropped");
            out.readRecordsToList();
            // the orphan's message arrives now: its receipt has expired and is not joined
            in.pipeInput(null, message("orphan", t), Instant.ofEpochMilli(later));
            FactsRow row = out.readValue();
            assertEquals("orphan", row.msgId());
            assertNull(row.readLatencyMs());
        }
    }

    private static String header(TestRecord<byte[], byte[]> rec, String key) {
        Header h = rec.headers().lastHeader(key);
        assertNotNull(h, key);
        return new String(h.value(), StandardCharsets.UTF_8);
    }

    private static byte[] message(String id, long at) {
        return ("{\"ts\":" + at + ",\"type\":\"message\",\"props\":{\"platform\":\"web\",\"msg_id\":\"" + id
                + "\",\"sender_type\":\"user\",\"sender_id\":\"u\",\"recipient_type\":\"group\",\"recipient_id\":\"g\","
                + "\"type\":\"text\"}}").getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] receipt(String id, String status, long at) {
        return ("{\"ts\":" + at + ",\"type\":\"receipt\",\"props\":{\"type\":\"" + status + "\",\"msg_id\":\"" + id + "\"}}")
                .getBytes(StandardCharsets.UTF_8);
    }
}
