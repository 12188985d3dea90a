package chatpulse.peers.flink;

import chatpulse.peers.facts.Codec;
import chatpulse.peers.facts.Facts;
import java.io.IOException;
import org.apache.flink.api.common.typeutils.SimpleTypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.base.TypeSerializerSingleton;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

/**
 * The state serializer of {@link Facts}: the shared compact binary layout, versioned by its own leading
 * byte, instead of Kryo, which Flink would fall back to for a class with collections and no POJO shape.
 */
public final class FactsSerializer extends TypeSerializerSingleton<Facts> {
    private static final long serialVersionUID = 1L;

    public static final FactsSerializer INSTANCE = new FactsSerializer();

    @Override
    public boolean isImmutableType() {
        return false;
    }

    @Override
    public Facts createInstance() {
        return new Facts();
    }

    @Override
    public Facts copy(Facts from) {
        return Codec.factsFromBytes(Codec.factsBytes(from));
    }

    @Override
    public Facts copy(Facts from, Facts reuse) {
        return copy(from);
    }

    @Override
    public int getLength() {
        return -1;
    }

    @Override
    public void serialize(Facts record, DataOutputView target) throws IOException {
        Codec.writeFacts(record, target);
    }

    @Override
    public Facts deserialize(DataInputView source) throws IOException {
        return Codec.readFacts(source);
    }

    @Override
    public Facts deserialize(Facts reuse, DataInputView source) throws IOException {
        return deserialize(source);
    }

    @Override
    public void copy(DataInputView source, DataOutputView target) throws IOException {
        serialize(deserialize(source), target);
    }

    @Override
    public TypeSerializerSnapshot<Facts> snapshotConfiguration() {
        return new Snapshot();
    }

    /** The serializer has no configuration; its layout carries its own version. */
    public static final class Snapshot extends SimpleTypeSerializerSnapshot<Facts> {
        public Snapshot() {
            super(() -> INSTANCE);
        }
    }
}
