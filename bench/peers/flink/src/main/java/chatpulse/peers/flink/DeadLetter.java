package chatpulse.peers.flink;

/** A raw record that cannot be decoded, with where it came from and why (chatpulse's reason code first). */
public record DeadLetter(String topic, int partition, long offset, long timestamp, byte[] key, byte[] value, String reason) {
}
