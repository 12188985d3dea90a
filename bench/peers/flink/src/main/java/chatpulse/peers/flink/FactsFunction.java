package chatpulse.peers.flink;

import chatpulse.peers.facts.Facts;
import chatpulse.peers.facts.FactsRow;
import chatpulse.peers.facts.Update;
import java.time.Duration;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

/**
 * The join, keyed by message id: applies each update to the message's {@link Facts} in keyed state and
 * emits the row whenever it changes, so the latest row per key on the output topic is the final one.
 *
 * <p>The TTL is an event-time timer at the entry's expiry: Flink's state TTL runs on processing time only,
 * which would make the rows depend on how fast the job ran. A timer is registered whenever the expiry
 * moves and never deleted (deleting is a RocksDB seek); a timer that finds a later expiry does nothing.
 */
public final class FactsFunction extends KeyedProcessFunction<String, Update, FactsRow> {
    private static final long serialVersionUID = 1L;

    private final long ttlMs;
    private transient ValueState<Facts> state;

    public FactsFunction(Duration ttl) {
        this.ttlMs = ttl.toMillis();
    }

    @Override
    public void open(OpenContext openContext) {
        state = getRuntimeContext().getState(new ValueStateDescriptor<>("facts", FactsSerializer.INSTANCE));
    }

    @Override
    public void processElement(Update u, Context ctx, Collector<FactsRow> out) throws Exception {
        Facts facts = state.value();
        long before = Long.MIN_VALUE;
        if (facts == null) {
            facts = new Facts();
        } else {
            before = facts.expiresAtMs(ttlMs);
        }
        int changed = facts.apply(u);
        if ((changed & Facts.STATE_CHANGED) == 0) {
            return;
        }
        state.update(facts);
        long expires = facts.expiresAtMs(ttlMs);
        if (expires != before && expires < Long.MAX_VALUE) {
            // fires once the watermark passes the expiry, as chatpulse drops what is older than watermark - TTL
            ctx.timerService().registerEventTimeTimer(expires + 1);
        }
        if ((changed & Facts.ROW_CHANGED) != 0) {
            out.collect(facts.row(ctx.getCurrentKey()));
        }
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<FactsRow> out) throws Exception {
        Facts facts = state.value();
        if (facts != null && facts.expiresAtMs(ttlMs) < timestamp) {
            state.clear();
        }
    }
}
