package chatpulse.peers.flink;

import chatpulse.peers.facts.Update;

/**
 * What the source makes of one raw record: its event time and its updates (a second one for a reply),
 * or, for a poison record, the dead letter. Decoding in the source lets the source assign event time
 * and watermarks per Kafka partition.
 *
 * @param atMs the event time; for a dead letter the record timestamp
 * @param update the record's update, null for a dead letter or a record that changes no message
 * @param reply the reply update of a message with a parent, else null
 * @param dead the dead letter of a poison record, else null
 */
public record Decoded(long atMs, Update update, Update reply, DeadLetter dead) {
}
