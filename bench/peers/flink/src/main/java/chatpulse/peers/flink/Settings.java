package chatpulse.peers.flink;

import java.time.Duration;
import java.util.Locale;
import java.util.Map;

/**
 * The job's settings, from PEERS_* environment variables (README.md lists each with its reason). Bad values
 * fail at start naming the variable.
 */
public record Settings(
        String bootstrapServers,
        String groupId,
        String inputTopic,
        String outputTopic,
        String deadLetterTopic,
        String transactionalIdPrefix,
        int parallelism,
        Duration checkpointInterval,
        String checkpointDir,
        String restoreFrom,
        String managedMemory,
        Duration ttl,
        Duration outOfOrderness,
        Duration idleness,
        Duration transactionTimeout) {

    public static Settings fromEnv(Map<String, String> env) {
        Env e = new Env(env);
        return new Settings(
                e.string("PEERS_BOOTSTRAP_SERVERS", "localhost:9092"),
                e.string("PEERS_GROUP_ID", "chatpulse-peer-flink"),
                e.string("PEERS_INPUT_TOPIC", "causalfoundry"),
                e.string("PEERS_OUTPUT_TOPIC", "message_facts"),
                e.string("PEERS_DEAD_LETTER_TOPIC", "causalfoundry.dlq"),
                e.string("PEERS_TRANSACTIONAL_ID_PREFIX", "chatpulse-peer-flink"),
                (int) e.number("PEERS_PARALLELISM", Runtime.getRuntime().availableProcessors(), 1, 1024),
                Duration.ofMillis(e.number("PEERS_CHECKPOINT_INTERVAL_MS", 5_000, 100, 3_600_000)),
                e.string("PEERS_CHECKPOINT_DIR", "file:///tmp/chatpulse-peer-flink/checkpoints"),
                e.string("PEERS_RESTORE_FROM", ""),
                e.string("PEERS_MANAGED_MEMORY", "256m"),
                Duration.ofMillis(e.number("PEERS_TTL_MS", Duration.ofDays(7).toMillis(), 60_000, Long.MAX_VALUE / 4)),
                Duration.ofMillis(e.number("PEERS_OUT_OF_ORDERNESS_MS", 60_000, 0, Long.MAX_VALUE / 4)),
                Duration.ofMillis(e.number("PEERS_IDLENESS_MS", 30_000, 0, Long.MAX_VALUE / 4)),
                Duration.ofMillis(e.number("PEERS_TRANSACTION_TIMEOUT_MS", 900_000, 10_000, 3_600_000)));
    }

    /** Reads PEERS_* variables, failing with the variable's name. */
    private record Env(Map<String, String> env) {
        String string(String name, String def) {
            String v = env.get(name);
            return v == null || v.isEmpty() ? def : v;
        }

        long number(String name, long def, long min, long max) {
            String v = env.get(name);
            if (v == null || v.isEmpty()) {
                return def;
            }
            long n;
            try {
                n = Long.parseLong(v.trim().toLowerCase(Locale.ROOT));
            } catch (NumberFormatException ex) {
                throw new IllegalArgumentException(name + ": not an integer: " + v);
            }
            if (n < min || n > max) {
                throw new IllegalArgumentException(name + ": must be in [" + min + ", " + max + "], got " + n);
            }
            return n;
        }
    }
}
