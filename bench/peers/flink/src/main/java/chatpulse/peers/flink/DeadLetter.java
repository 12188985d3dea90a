package chatpulse.peers.flink;

/**
 * A raw record that cannot be decoded, with where it came from and why.
 *
 * @param reason chatpulse's reason code, such as missing_field
 * @param error the detail, starting with the reason code
 */
public record DeadLetter(String topic, int partition, long offset, long timestamp, byte[] key, byte[] value, String reason,
        String error) {
}
