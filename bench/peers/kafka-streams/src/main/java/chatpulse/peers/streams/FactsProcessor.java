package chatpulse.peers.streams;

import chatpulse.peers.facts.Facts;
import chatpulse.peers.facts.FactsRow;
import chatpulse.peers.facts.Update;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The join: applies each update to its message's {@link Facts} in the RocksDB store and forwards the
 * message's row whenever it changes, so the latest row per key on the output topic is the final one.
 *
 * <p>The 7-day TTL runs on stream time, which is event time here: every TTL/16 of it a punctuation drops
 * the entries whose message was sent (or, still waiting, whose first update came) more than a TTL ago,
 * as chatpulse's join sweeps. The Processor API is used because the DSL's aggregations have no
 * event-time expiry.
 */
final class FactsProcessor implements Processor<String, Update, String, FactsRow> {
    static final int SWEEPS_PER_TTL = 16;

    private final String storeName;
    private final long ttlMs;
    private ProcessorContext<String, FactsRow> context;
    private KeyValueStore<String, Facts> store;

    FactsProcessor(String storeName, Duration ttl) {
        this.storeName = storeName;
        this.ttlMs = ttl.toMillis();
    }

    @Override
    public void init(ProcessorContext<String, FactsRow> context) {
        this.context = context;
        this.store = context.getStateStore(storeName);
        context.schedule(Duration.ofMillis(Math.max(1, ttlMs / SWEEPS_PER_TTL)), PunctuationType.STREAM_TIME, this::expire);
    }

    @Override
    public void process(Record<String, Update> record) {
        String key = record.key();
        Facts facts = store.get(key);
        if (facts == null) {
            facts = new Facts();
        }
        int changed = facts.apply(record.value());
        if ((changed & Facts.STATE_CHANGED) != 0) {
            store.put(key, facts);
        }
        if ((changed & Facts.ROW_CHANGED) != 0) {
            context.forward(new Record<>(key, facts.row(key), record.timestamp()));
        }
    }

    /** Drops every entry that expired before streamTime; keys are collected first, then deleted. */
    private void expire(long streamTime) {
        List<String> expired = new ArrayList<>();
        try (KeyValueIterator<String, Facts> it = store.all()) {
            while (it.hasNext()) {
                KeyValue<String, Facts> kv = it.next();
                if (kv.value.expiresAtMs(ttlMs) < streamTime) {
                    expired.add(kv.key);
                }
            }
        }
        for (String key : expired) {
            store.delete(key);
        }
    }
}
