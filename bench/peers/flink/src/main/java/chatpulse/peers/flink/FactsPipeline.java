package chatpulse.peers.flink;

import chatpulse.peers.facts.FactsRow;
import chatpulse.peers.facts.Update;
import java.time.Duration;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * decoded records -> updates (dead letters to a side output) -> keyBy message id -> {@link FactsFunction}.
 * The Kafka source and sinks are attached by {@link FactsJob}; tests attach their own.
 */
public final class FactsPipeline {
    public static final OutputTag<DeadLetter> DEAD_LETTERS = new OutputTag<>("dead-letters", TypeInformation.of(DeadLetter.class));

    /** The rows and, as the side output {@link #DEAD_LETTERS} of {@link #updates}, the poison records. */
    public record Streams(SingleOutputStreamOperator<Update> updates, DataStream<FactsRow> rows) {
        public DataStream<DeadLetter> deadLetters() {
            return updates.getSideOutput(DEAD_LETTERS);
        }
    }

    private FactsPipeline() {
    }

    public static Streams build(DataStream<Decoded> decoded, Duration ttl) {
        SingleOutputStreamOperator<Update> updates = decoded
                .process(new Split())
                .name("split")
                .uid("split");
        DataStream<FactsRow> rows = updates
                .keyBy(Update::key)
                .process(new FactsFunction(ttl))
                .name("join")
                .uid("join");
        return new Streams(updates, rows);
    }

    /** Emits a record's updates; sends a dead letter to the side output. */
    static final class Split extends ProcessFunction<Decoded, Update> {
        private static final long serialVersionUID = 1L;

        @Override
        public void processElement(Decoded d, Context ctx, Collector<Update> out) {
            if (d.dead() != null) {
                ctx.output(DEAD_LETTERS, d.dead());
                return;
            }
            if (d.update() != null) {
                out.collect(d.update());
            }
            if (d.reply() != null) {
                out.collect(d.reply());
            }
        }
    }
}
