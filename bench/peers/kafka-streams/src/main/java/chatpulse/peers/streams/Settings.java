package chatpulse.peers.streams;

import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.StreamsConfig;

/**
 * The application's settings, from PEERS_* environment variables (README.md lists each with its reason).
 * Bad values fail at start naming the variable.
 */
public record Settings(
        String bootstrapServers,
        String applicationId,
        String inputTopic,
        String outputTopic,
        String deadLetterTopic,
        String stateDir,
        int threads,
        long commitIntervalMs,
        long cacheBytes,
        long rocksDbMemoryBytes,
        Duration ttl,
        int outputPartitions,
        short replicationFactor,
        boolean transactionalStateStores,
        String groupInstanceId) {

    /** The key under which the RocksDB config setter finds its memory budget among the Streams configs. */
    public static final String ROCKSDB_MEMORY_CONFIG = "peers.rocksdb.memory.bytes";

    public static Settings fromEnv(Map<String, String> env) {
        Env e = new Env(env);
        return new Settings(
                e.string("PEERS_BOOTSTRAP_SERVERS", "localhost:9092"),
                e.string("PEERS_APPLICATION_ID", "chatpulse-peer-streams"),
                e.string("PEERS_INPUT_TOPIC", "causalfoundry"),
                e.string("PEERS_OUTPUT_TOPIC", "message_facts"),
                e.string("PEERS_DEAD_LETTER_TOPIC", "causalfoundry.dlq"),
                e.string("PEERS_STATE_DIR", "/tmp/chatpulse-peer-streams"),
                (int) e.number("PEERS_THREADS", Runtime.getRuntime().availableProcessors(), 1, 256),
                e.number("PEERS_COMMIT_INTERVAL_MS", 1000, 1, 600_000),
                e.number("PEERS_CACHE_BYTES", 64L << 20, 0, 1L << 40),
                e.number("PEERS_ROCKSDB_MEMORY_BYTES", 256L << 20, 16L << 20, 1L << 40),
                Duration.ofMillis(e.number("PEERS_TTL_MS", Duration.ofDays(7).toMillis(), 60_000, Long.MAX_VALUE / 4)),
                (int) e.number("PEERS_OUTPUT_PARTITIONS", 12, 1, 10_000),
                (short) e.number("PEERS_REPLICATION_FACTOR", 1, 1, 16),
                e.bool("PEERS_TRANSACTIONAL_STATE_STORES", true),
                e.string("PEERS_GROUP_INSTANCE_ID", ""));
    }

    /** The Streams configuration an expert would run this topology with; see README.md for each reason. */
    public Properties streamsConfig() {
        Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, threads);
        p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, commitIntervalMs);
        p.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, cacheBytes);
        p.put(StreamsConfig.STATE_DIR_CONFIG, stateDir);
        p.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, (int) replicationFactor);
        p.put(StreamsConfig.TRANSACTIONAL_STATE_STORES_CONFIG, transactionalStateStores);
        p.put(StreamsConfig.ENSURE_EXPLICIT_INTERNAL_RESOURCE_NAMING_CONFIG, true);
        p.put(StreamsConfig.ROCKSDB_CONFIG_SETTER_CLASS_CONFIG, BoundedRocksDbConfig.class);
        p.put(ROCKSDB_MEMORY_CONFIG, rocksDbMemoryBytes);
        p.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG, DeadLetterHandler.class);
        p.put(StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG, deadLetterTopic);
        // Repartition, changelog and output records are small JSON or binary: batch and compress them.
        p.put(StreamsConfig.producerPrefix(ProducerConfig.COMPRESSION_TYPE_CONFIG), "lz4");
        p.put(StreamsConfig.producerPrefix(ProducerConfig.LINGER_MS_CONFIG), 10);
        p.put(StreamsConfig.producerPrefix(ProducerConfig.BATCH_SIZE_CONFIG), 128 * 1024);
        if (!groupInstanceId.isEmpty()) {
            // static membership: a process restarted in place takes its tasks back at once instead of
            // waiting for the session of its previous incarnation to time out
            p.put(StreamsConfig.consumerPrefix(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG), groupInstanceId);
        }
        p.put(StreamsConfig.consumerPrefix(ConsumerConfig.MAX_POLL_RECORDS_CONFIG), 2000);
        p.put(StreamsConfig.consumerPrefix(ConsumerConfig.FETCH_MIN_BYTES_CONFIG), 64 * 1024);
        p.put(StreamsConfig.consumerPrefix(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG), 100);
        return p;
    }

    /** Reads PEERS_* variables, failing with the variable's name. */
    private record Env(Map<String, String> env) {
        String string(String name, String def) {
            String v = env.get(name);
            if (v == null || v.isEmpty()) {
                return def;
            }
            return v;
        }

        long number(String name, long def, long min, long max) {
            String v = env.get(name);
            if (v == null || v.isEmpty()) {
                return def;
            }
            long n;
            try {
                n = Long.parseLong(v.trim());
            } catch (NumberFormatException ex) {
                throw new IllegalArgumentException(name + ": not an integer: " + v);
            }
            if (n < min || n > max) {
                throw new IllegalArgumentException(name + ": must be in [" + min + ", " + max + "], got " + n);
            }
            return n;
        }

        boolean bool(String name, boolean def) {
            String v = env.get(name);
            if (v == null || v.isEmpty()) {
                return def;
            }
            return switch (v.trim().toLowerCase(java.util.Locale.ROOT)) {
                case "true", "1" -> true;
                case "false", "0" -> false;
                default -> throw new IllegalArgumentException(name + ": want true or false, got " + v);
            };
        }
    }
}
