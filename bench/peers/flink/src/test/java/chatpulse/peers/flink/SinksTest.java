package chatpulse.peers.flink;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import chatpulse.peers.facts.Facts;
import chatpulse.peers.facts.DeadLetters;
import chatpulse.peers.facts.FactsRow;
import chatpulse.peers.facts.MessageInfo;
import chatpulse.peers.facts.Update;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

class SinksTest {
    private final Settings settings = Settings.fromEnv(Map.of("PEERS_OUTPUT_TOPIC", "rows", "PEERS_DEAD_LETTER_TOPIC", "dead"));

    @Test
    void bothExactlyOnceSinksBuildWithTheJobsSettings() {
        assertNotNull(Sinks.rows(settings));
        assertNotNull(Sinks.deadLetters(settings));
    }

    @Test
    void aRowIsKeyedByItsMessageId() throws Exception {
        Facts f = new Facts();
        f.apply(Update.message("m1", 1_707_836_960_000L, new MessageInfo("web", "g", "user", "u", "group", "g", "", "text")));
        FactsRow row = f.row("m1");
        ProducerRecord<byte[], byte[]> rec = new Sinks.RowSerializer("rows").serialize(row, null, 5L);
        assertEquals("rows", rec.topic());
        assertArrayEquals("m1".getBytes(StandardCharsets.UTF_8), rec.key());
        assertEquals(row, FactsRow.fromJson(rec.value()));
    }

    @Test
    void aDeadLetterKeepsTheRawRecordAndNamesItsReason() {
        DeadLetter d = new DeadLetter("raw", 3, 42, 7L, "k".getBytes(StandardCharsets.UTF_8), "{".getBytes(StandardCharsets.UTF_8),
                "malformed_json", "malformed_json: end of input");
        ProducerRecord<byte[], byte[]> rec = new Sinks.DeadLetterSerializer("dead").serialize(d, null, 0L);
        assertEquals("dead", rec.topic());
        assertEquals(7L, rec.timestamp());
        assertArrayEquals(d.value(), rec.value());
        assertEquals("malformed_json", new String(rec.headers().lastHeader(DeadLetters.HEADER_REASON).value(), StandardCharsets.UTF_8));
        assertEquals("42", new String(rec.headers().lastHeader(DeadLetters.HEADER_OFFSET).value(), StandardCharsets.UTF_8));
    }
}
