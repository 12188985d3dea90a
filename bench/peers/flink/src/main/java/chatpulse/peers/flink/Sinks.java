package chatpulse.peers.flink;

import chatpulse.peers.facts.DeadLetters;
import chatpulse.peers.facts.FactsRow;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.lineage.DefaultKafkaDatasetFacet;
import org.apache.flink.connector.kafka.lineage.DefaultKafkaDatasetIdentifier;
import org.apache.flink.connector.kafka.lineage.KafkaDatasetFacet;
import org.apache.flink.connector.kafka.lineage.KafkaDatasetFacetProvider;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.sink.TransactionNamingStrategy;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;

/** The transactional Kafka sinks: rows keyed by msg_id, and dead letters with their reason and origin in headers. */
final class Sinks {
    private Sinks() {
    }

    static KafkaSink<FactsRow> rows(Settings s) {
        return sink(s, new RowSerializer(s.outputTopic()), s.transactionalIdPrefix() + "-rows");
    }

    static KafkaSink<DeadLetter> deadLetters(Settings s) {
        return sink(s, new DeadLetterSerializer(s.deadLetterTopic()), s.transactionalIdPrefix() + "-dlq");
    }

    /** Writes to one topic, which it names for lineage, as the pooling transaction naming requires. */
    abstract static class TopicSerializer<T> implements KafkaRecordSerializationSchema<T>, KafkaDatasetFacetProvider {
        private static final long serialVersionUID = 1L;

        final String topic;

        TopicSerializer(String topic) {
            this.topic = topic;
        }

        @Override
        public Optional<KafkaDatasetFacet> getKafkaDatasetFacet() {
            return Optional.of(new DefaultKafkaDatasetFacet(DefaultKafkaDatasetIdentifier.ofTopics(List.of(topic))));
        }
    }

    /** A row keyed by msg_id, so that compaction keeps the latest row of each message. */
    static final class RowSerializer extends TopicSerializer<FactsRow> {
        private static final long serialVersionUID = 1L;

        RowSerializer(String topic) {
            super(topic);
        }

        @Override
        public ProducerRecord<byte[], byte[]> serialize(FactsRow row, KafkaSinkContext ctx, Long timestamp) {
            return new ProducerRecord<>(topic, null, timestamp, row.msgId().getBytes(StandardCharsets.UTF_8), row.toJson());
        }
    }

    /** The raw record unchanged, with the reason and origin in headers. */
    static final class DeadLetterSerializer extends TopicSerializer<DeadLetter> {
        private static final long serialVersionUID = 1L;

        DeadLetterSerializer(String topic) {
            super(topic);
        }

        @Override
        public ProducerRecord<byte[], byte[]> serialize(DeadLetter d, KafkaSinkContext ctx, Long timestamp) {
            return new ProducerRecord<>(topic, null, d.timestamp(), d.key(), d.value(), headers(d));
        }
    }

    static List<Header> headers(DeadLetter d) {
        return List.of(
                header(DeadLetters.HEADER_REASON, d.reason()),
                header(DeadLetters.HEADER_ERROR, d.error()),
                header(DeadLetters.HEADER_TOPIC, d.topic()),
                header(DeadLetters.HEADER_PARTITION, Integer.toString(d.partition())),
                header(DeadLetters.HEADER_OFFSET, Long.toString(d.offset())),
                header(DeadLetters.HEADER_FORMAT, DeadLetters.FORMAT));
    }

    private static Header header(String key, String value) {
        return new RecordHeader(key, value.getBytes(StandardCharsets.UTF_8));
    }

    private static <T> KafkaSink<T> sink(Settings s, KafkaRecordSerializationSchema<T> schema, String txPrefix) {
        return KafkaSink.<T>builder()
                .setBootstrapServers(s.bootstrapServers())
                .setRecordSerializer(schema)
                .setDeliveryGuarantee(DeliveryGuarantee.EXACTLY_ONCE)
                .setTransactionalIdPrefix(txPrefix)
                // reuses a small pool of transactional ids instead of minting one per checkpoint
                .setTransactionNamingStrategy(TransactionNamingStrategy.POOLING)
                // must outlast a checkpoint interval plus a restart, and stay within the broker's
                // transaction.max.timeout.ms (15 min by default)
                .setProperty(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, Long.toString(s.transactionTimeout().toMillis()))
                .setProperty(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4")
                .setProperty(ProducerConfig.LINGER_MS_CONFIG, "10")
                .setProperty(ProducerConfig.BATCH_SIZE_CONFIG, Integer.toString(128 * 1024))
                .build();
    }
}
