package chatpulse.peers.flink;

import chatpulse.peers.facts.CausalFoundryDecoder;
import chatpulse.peers.facts.DecodeException;
import chatpulse.peers.facts.Update;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/** Decodes raw Causal Foundry records in the Kafka source; a poison record becomes a dead letter, never an exception. */
final class RawDeserializer implements KafkaRecordDeserializationSchema<Decoded> {
    private static final long serialVersionUID = 1L;

    private transient CausalFoundryDecoder decoder;

    @Override
    public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<Decoded> out) {
        out.collect(decode(record.topic(), record.partition(), record.offset(), record.timestamp(), record.key(), record.value()));
    }

    Decoded decode(String topic, int partition, long offset, long timestamp, byte[] key, byte[] value) {
        if (decoder == null) {
            decoder = new CausalFoundryDecoder();
        }
        Update[] got = new Update[2];
        try {
            long at = decoder.decode(value, timestamp, u -> got[got[0] == null ? 0 : 1] = u);
            return new Decoded(at, got[0], got[1], null);
        } catch (DecodeException e) {
            return new Decoded(timestamp, null, null, new DeadLetter(topic, partition, offset, timestamp, key, value, e.reason().code(), e.getMessage()));
        }
    }

    @Override
    public TypeInformation<Decoded> getProducedType() {
        return TypeInformation.of(Decoded.class);
    }
}
