package chatpulse.peers.streams;

import chatpulse.peers.facts.Codec;
import chatpulse.peers.facts.Facts;
import chatpulse.peers.facts.FactsRow;
import chatpulse.peers.facts.Update;
import java.io.IOException;
import java.io.UncheckedIOException;
import org.apache.kafka.common.serialization.Serde;

/** The typed serdes of the topology: binary for internal data, JSON for the output rows. */
public final class Serdes {
    private Serdes() {
    }

    /** The repartitioned updates: compact binary, since only this application reads them. */
    public static Serde<Update> update() {
        return org.apache.kafka.common.serialization.Serdes.serdeFrom(
                (topic, u) -> u == null ? null : Codec.updateBytes(u),
                (topic, b) -> b == null ? null : Codec.updateFromBytes(b));
    }

    /** The state store's values and its changelog. */
    public static Serde<Facts> facts() {
        return org.apache.kafka.common.serialization.Serdes.serdeFrom(
                (topic, f) -> f == null ? null : Codec.factsBytes(f),
                (topic, b) -> b == null ? null : Codec.factsFromBytes(b));
    }

    /** The output rows: the message_facts JSON other systems read. */
    public static Serde<FactsRow> row() {
        return org.apache.kafka.common.serialization.Serdes.serdeFrom(
                (topic, r) -> r == null ? null : r.toJson(),
                (topic, b) -> {
                    if (b == null) {
                        return null;
                    }
                    try {
                        return FactsRow.fromJson(b);
                    } catch (IOException e) {
                        throw new UncheckedIOException("read message_facts row", e);
                    }
                });
    }
}
