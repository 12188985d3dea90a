package chatpulse.peers.flink;

import chatpulse.peers.facts.FactsRow;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.ExternalizedCheckpointRetention;
import org.apache.flink.configuration.MemorySize;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.configuration.StateBackendOptions;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.core.execution.CheckpointingMode;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;

/**
 * The Flink peer: Kafka source (decoding, event time per partition) -> {@link FactsPipeline} -> transactional
 * Kafka sinks, with exactly-once checkpoints of RocksDB state. Run with {@code java -jar} it executes in an
 * embedded (local) cluster in this process; {@code flink run} submits the same job to a cluster.
 */
public final class FactsJob {
    private FactsJob() {
    }

    // the connector's committedOffsets takes kafka-clients' OffsetResetStrategy, deprecated in 4.x
    @SuppressWarnings("deprecation")
    public static void main(String[] args) throws Exception {
        Settings s = Settings.fromEnv(System.getenv());
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(configuration(s));
        env.setParallelism(s.parallelism());

        KafkaSource<Decoded> source = KafkaSource.<Decoded>builder()
                .setBootstrapServers(s.bootstrapServers())
                .setTopics(s.inputTopic())
                .setGroupId(s.groupId())
                // offsets live in checkpoints; the committed group offset is where a fresh job starts
                .setStartingOffsets(OffsetsInitializer.committedOffsets(OffsetResetStrategy.EARLIEST))
                .setDeserializer(new RawDeserializer())
                .setProperty(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "2000")
                .setProperty(ConsumerConfig.FETCH_MIN_BYTES_CONFIG, Integer.toString(64 * 1024))
                .setProperty(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, "100")
                .build();
        WatermarkStrategy<Decoded> watermarks = WatermarkStrategy
                .<Decoded>forBoundedOutOfOrderness(s.outOfOrderness())
                .withTimestampAssigner((d, recordTs) -> d.atMs())
                .withIdleness(s.idleness());
        DataStream<Decoded> decoded = env.fromSource(source, watermarks, "raw").uid("raw");

        FactsPipeline.Streams out = FactsPipeline.build(decoded, s.ttl());
        out.rows().sinkTo(Sinks.rows(s)).name("message-facts").uid("message-facts");
        out.deadLetters().sinkTo(Sinks.deadLetters(s)).name("dead-letters").uid("dead-letters");
        env.execute("chatpulse-peer-flink message_facts");
    }

    /** Checkpointing, state backend and memory; README.md gives the reason for each. */
    static Configuration configuration(Settings s) {
        Configuration c = new Configuration();
        c.set(CheckpointingOptions.CHECKPOINTING_INTERVAL, s.checkpointInterval());
        c.set(CheckpointingOptions.CHECKPOINTING_CONSISTENCY_MODE, CheckpointingMode.EXACTLY_ONCE);
        c.set(CheckpointingOptions.MIN_PAUSE_BETWEEN_CHECKPOINTS, s.checkpointInterval().dividedBy(2));
        c.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, s.checkpointDir());
        c.set(CheckpointingOptions.EXTERNALIZED_CHECKPOINT_RETENTION, ExternalizedCheckpointRetention.RETAIN_ON_CANCELLATION);
        c.set(StateBackendOptions.STATE_BACKEND, "rocksdb");
        c.set(CheckpointingOptions.INCREMENTAL_CHECKPOINTS, true);
        c.set(TaskManagerOptions.MANAGED_MEMORY_SIZE, MemorySize.parse(s.managedMemory()));
        c.set(TaskManagerOptions.NUM_TASK_SLOTS, s.parallelism());
        c.set(PipelineOptions.OBJECT_REUSE, true);
        c.set(PipelineOptions.GENERIC_TYPES, false);
        if (!s.restoreFrom().isEmpty()) {
            c.set(StateRecoveryOptions.SAVEPOINT_PATH, s.restoreFrom());
        }
        return c;
    }
}
