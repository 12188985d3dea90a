package chatpulse.peers.flink;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import chatpulse.peers.facts.DeadLetters;
import chatpulse.peers.facts.FactsRow;
import chatpulse.peers.facts.Golden;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.util.CloseableIterator;
import org.apache.kafka.common.header.Header;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** The whole pipeline on a MiniCluster, with the job's own configuration (RocksDB, no generic types). */
class FactsPipelineTest {
    @RegisterExtension
    static final MiniClusterExtension CLUSTER = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1)
            .setNumberSlotsPerTaskManager(2)
            .build());

    @TempDir
    Path checkpoints;

    static List<Golden> goldens() {
        return Golden.all();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("goldens")
    void theGoldenInputShuffledGivesChatpulsesRowsAndDeadLetters(Golden golden) throws Exception {
        Settings s = Settings.fromEnv(Map.of("PEERS_PARALLELISM", "2", "PEERS_CHECKPOINT_DIR", checkpoints.toUri().toString()));
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.configure(FactsJob.configuration(s));
        env.setParallelism(s.parallelism());

        RawDeserializer deserializer = new RawDeserializer();
        List<Golden.Input> input = new ArrayList<>(golden.input());
        Collections.shuffle(input, new Random(13));
        List<Decoded> decoded = new ArrayList<>();
        for (Golden.Input in : input) {
            decoded.add(deserializer.decode("causalfoundry", 0, in.line(), in.timestamp(), null, in.value()));
        }
        DataStream<Decoded> source = env.fromData(decoded, TypeInformation.of(Decoded.class))
                .assignTimestampsAndWatermarks(WatermarkStrategy.<Decoded>forBoundedOutOfOrderness(Duration.ofMinutes(1))
                        .withTimestampAssigner((d, ts) -> d.atMs()));
        FactsPipeline.Streams out = FactsPipeline.build(source, s.ttl());
        CloseableIterator<FactsRow> rows = out.rows().collectAsync();
        CloseableIterator<DeadLetter> dead = out.deadLetters().collectAsync();
        env.execute("facts pipeline test");

        Map<String, FactsRow> latest = new TreeMap<>();
        rows.forEachRemaining(r -> latest.put(r.msgId(), r));
        assertEquals(golden.expectedRows(), latest);

        Map<Long, DeadLetter> byLine = new TreeMap<>();
        dead.forEachRemaining(d -> byLine.put(d.offset(), d));
        List<Golden.DeadLetter> want = golden.deadLetters();
        assertEquals(want.size(), byLine.size());
        for (Golden.DeadLetter w : want) {
            DeadLetter d = byLine.get((long) w.line());
            assertEquals(w.reason(), d.reason(), "line " + w.line() + ": " + d.error());
            assertTrue(d.error().startsWith(w.reason() + ":"), d.error());
            assertArrayEquals(golden.input().get(w.line() - 1).value(), d.value(), "the raw record, unchanged");
            Header reason = Sinks.headers(d).get(0);
            assertEquals(DeadLetters.HEADER_REASON, reason.key());
            assertEquals(d.reason(), new String(reason.value(), StandardCharsets.UTF_8));
        }
    }
}
