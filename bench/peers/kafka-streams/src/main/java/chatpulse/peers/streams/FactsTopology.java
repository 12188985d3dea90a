package chatpulse.peers.streams;

import chatpulse.peers.facts.Update;
import java.time.Duration;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.state.Stores;

/**
 * raw topic (randomly keyed) -> decode -> repartition by message id -> join in a RocksDB store ->
 * message_facts rows (JSON, keyed by msg_id) on the output topic. Every internal topic and store is
 * named, so the topology can change without silently renaming its state.
 */
public final class FactsTopology {
    /** The store of per-message aggregates; its changelog is {@code <application.id>-facts-changelog}. */
    public static final String STORE = "facts";
    /** The repartition topic is {@code <application.id>-updates-by-msg-id-repartition}. */
    public static final String REPARTITION = "updates-by-msg-id";

    private FactsTopology() {
    }

    public static Topology build(String inputTopic, String outputTopic, Duration ttl) {
        StreamsBuilder builder = new StreamsBuilder();
        // Caching collapses the read-modify-write of a hot message into one RocksDB and changelog write
        // per commit.
        builder.addStateStore(Stores.keyValueStoreBuilder(
                        Stores.persistentKeyValueStore(STORE), Serdes.String(), chatpulse.peers.streams.Serdes.facts())
                .withCachingEnabled());
        builder.stream(inputTopic, Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()).withName("raw"))
                .process(DecodeProcessor::new, Named.as("decode"))
                .repartition(Repartitioned.<String, Update>as(REPARTITION)
                        .withKeySerde(Serdes.String())
                        .withValueSerde(chatpulse.peers.streams.Serdes.update()))
                .process(() -> new FactsProcessor(STORE, ttl), Named.as("join"), STORE)
                .to(outputTopic, Produced.with(Serdes.String(), chatpulse.peers.streams.Serdes.row()).withName("message-facts"));
        return builder.build();
    }
}
